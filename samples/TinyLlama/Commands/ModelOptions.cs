using System.CommandLine;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// The options that say which model a command opens and how: <c>--model</c>, <c>--schedule</c>, <c>--dtype</c> and,
/// for commands that can use trained heads, <c>--heads</c>; one place that turns them into a <see cref="ModelSession"/>.
/// </summary>
internal sealed class ModelOptions
{
    /// <summary>The options, with <c>--heads</c> when <paramref name="withHeads"/>.</summary>
    public ModelOptions(bool withHeads) => Heads = withHeads ? CommonOptions.Heads() : null;

    public Option<string?> Model { get; } = CommonOptions.Model();
    public Option<string?> Schedule { get; } = CommonOptions.Schedule();
    public Option<string?> DType { get; } = CommonOptions.DType();
    public Option<string?>? Heads { get; }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        foreach (var option in new Option?[] { Model, Schedule, DType, Heads }.OfType<Option>()) command.Options.Add(option);
        return command;
    }

    /// <summary>The model directory asked for (the embedded default when none).</summary>
    public string Directory(ParseResult parse) => parse.GetValue(Model) ?? ModelSession.DefaultModelDirectory;

    /// <summary>The heads file asked for, or the one beside the model.</summary>
    public string HeadsPath(ParseResult parse) =>
        (Heads is null ? null : parse.GetValue(Heads)) ?? Path.Combine(Directory(parse), Sdtp.Pruning.SaliencyHeads.FileName);

    /// <summary>Opens the session these options describe (see <see cref="ModelSession.Open"/>).</summary>
    public ModelSession Open(ParseResult parse, bool loadHeads, bool needsSchedule = true) =>
        ModelSession.Open(parse.GetValue(Model), loadHeads, Heads is null ? null : parse.GetValue(Heads), parse.GetValue(Schedule), needsSchedule,
            CommonOptions.ParseDType(parse.GetValue(DType)));
}
