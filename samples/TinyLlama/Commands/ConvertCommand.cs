using System.CommandLine;
using Sdtp.Checkpoints;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary>
/// <c>sdtp convert</c>: writes a copy of a checkpoint at another dtype (a bf16 copy of an fp32 checkpoint ships at
/// half the size). The source is left as it is.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "checkpoint directory to copy", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "f32, bf16 or f16: the dtype of the copy's weights", Required = true };
        var output = new Option<string>("--out") { Description = "new directory for the copy (config.json, model.safetensors, and the source's tokenizer and heads files)", Required = true };
        var command = new Command("convert", "Write a copy of a checkpoint with its weights at another dtype; the tokenizer and heads files are copied as they are.")
        {
            model, dtype, output,
        };
        command.SetAction(parse =>
        {
            var chosen = CommonOptions.ParseDType(parse.GetValue(dtype))!.Value;
            var source = parse.GetValue(model)!;
            var destination = parse.GetValue(output)!;
            if (!Directory.Exists(source))
                throw new DirectoryNotFoundException($"--model: {source}: model directory not found");
            OutputChecks.WritableDirectory("--out", destination);
            CheckpointConversion.SaveAs(source, destination, chosen);
            var size = new FileInfo(Path.Combine(destination, HuggingFaceCheckpoint.WeightsFile)).Length;
            AnsiConsole.MarkupLineInterpolated($"wrote {destination} ({SafeTensorsDType.TorchName(chosen)}, weights {size / 1e6:F1} MB)");
        });
        return command;
    }
}
