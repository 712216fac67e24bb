using System.CommandLine;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>The command tree of the sdtp tool.</summary>
public static class Cli
{
    /// <summary>Root command with every subcommand.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("SdtpGen: saliency-driven dynamic token pruning for LLaMA-family models on TorchSharp.");
        root.Options.Add(CommandLineErrors.Verbose);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(TrainBaseCommand.Create());
        root.Subcommands.Add(MarkCommand.Create());
        root.Subcommands.Add(TrainHeadsCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(SeedsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        return root;
    }
}
