using Sdtp.Samples.TinyLlama.Commands;
using Spectre.Console;

// The sdtp command-line tool: every step of the SDTP pipeline on any checkpoint directory, the embedded default
// model when none is given.
Sdtp.NativeAllocator.KeepFreedMemory(); // head training re-allocates large attention tensors every step: keep them mapped
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160; // logs get whole table rows, not 80-column wraps
return CommandLineErrors.Run(Cli.CreateRoot(), args);
