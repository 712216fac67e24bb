using System.CommandLine;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>Runs the parsed command; a failure becomes one clear red line and exit code 1, never a stack trace.</summary>
internal static class CommandLineErrors
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {error.Message}");
            return 2;
        }
        try
        {
            return parse.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
