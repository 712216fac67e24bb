using Sdtp.Samples.TinyLlama.Commands;
using Spectre.Console;

// The sdtp command-line tool: every step of the SDTP pipeline on any checkpoint directory, the embedded default
// model when none is given.
// Training and benchmarks re-allocate large tensors every step: keep them mapped. Not for a long-running server, whose
// decode thread hands freed pages back instead (docs/serving.md).
if (args.FirstOrDefault() != "serve") Sdtp.NativeAllocator.KeepFreedMemory();
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160; // logs get whole table rows, not 80-column wraps
return CommandLineErrors.Run(Cli.CreateRoot(), args);
