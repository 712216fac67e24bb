using System;
using System.Text;

namespace Sdtp.Generators.Emit;

/// <summary>A string builder that indents: the generated code reads like hand-written code.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder builder = new();
    private int depth;

    public IndentedWriter Line(string text = "")
    {
        if (text.Length > 0) builder.Append(' ', depth * 4).Append(text);
        builder.Append('\n');
        return this;
    }

    /// <summary>Writes each line of a multi-line block at the current depth.</summary>
    public IndentedWriter Lines(string block)
    {
        foreach (var line in block.Replace("\r\n", "\n").Split('\n')) Line(line);
        return this;
    }

    public IDisposable Block(string header)
    {
        Line(header);
        Line("{");
        depth++;
        return new Closer(this);
    }

    public override string ToString() => builder.ToString();

    private sealed class Closer(IndentedWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer.depth--;
            writer.Line("}");
        }
    }
}
