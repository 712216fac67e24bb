using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Sdtp.Samples.Tests;

public class TrainBaseInterruptTests
{
    [Fact]
    public void Sigterm_ends_train_base_after_its_step_with_the_run_saved_for_a_resume()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the test sends a POSIX signal
        using var folder = new TempFolder();
        var output = Path.Combine(folder.Path, "base");
        // The CLI as a user runs it: its own process, so the signal reaches it and not the test host.
        var start = new ProcessStartInfo("dotnet", [typeof(Sdtp.Samples.TinyLlama.Commands.CommandLineErrors).Assembly.Location,
            "train-base", "--out", output, "--lengths", "64", "--max-keys", "2", "--check-every", "100000", "--minutes", "10"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        // Read stderr as it comes, so a child that writes much there never blocks on a full pipe.
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            Interrupt(process, output, errors);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true); // a failed check leaves no training behind
        }
    }

    private static void Interrupt(Process process, string output, System.Text.StringBuilder errors)
    {
        var lines = new List<string>();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            lines.Add(line);
            if (line.Contains("step    10")) break; // ten steps done, none saved yet (checks every 100,000)
        }
        if (line is null)
        {
            process.WaitForExit();
            lock (errors) Assert.Fail("train-base ended before step 10: " + string.Join('\n', lines) + errors);
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        string rest = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "train-base did not exit within a minute of SIGTERM");

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("interrupted: saving after this step", rest);
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "training", "state.json")))!;
        int step = state["step"]!.GetValue<int>();
        Assert.InRange(step, 10, 100);
        Assert.Contains($"saved at step {step} in {output}", rest);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }
}
