using System.CommandLine;
using Sdtp.Samples.TinyLlama.Commands;

// The sdtp command-line tool: every step of the SDTP pipeline on any checkpoint directory, the embedded default
// model when none is given.
var root = new RootCommand("SdtpGen: saliency-driven dynamic token pruning for LLaMA-family models on TorchSharp.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(TrainBaseCommand.Create());
root.Subcommands.Add(MarkCommand.Create());
root.Subcommands.Add(TrainHeadsCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
return CommandLineErrors.Run(root, args);
