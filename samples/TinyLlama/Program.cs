using System.CommandLine;
using Sdtp.Samples.TinyLlama.Commands;

// The sdtp command-line tool: every step of the SDTP pipeline on any checkpoint directory, the embedded default
// model when none is given.
var root = new RootCommand("SdtpGen: saliency-driven dynamic token pruning for LLaMA-family models on TorchSharp.");
root.Subcommands.Add(TrainBaseCommand.Create());
return CommandLineErrors.Run(root, args);
