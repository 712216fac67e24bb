using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Sdtp.Package.Tests;

/// <summary>
/// What a user of the NuGet package sees: pack Sdtp.Runtime to a local folder, create fresh projects in a temp
/// directory that reference it BY VERSION, build and run them. Mapperly's integration tests work this way.
/// </summary>
public sealed class PackedConsumerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Root = FindRoot();
    private readonly string work = Path.Combine(Path.GetTempPath(), "sdtp-package-" + Guid.NewGuid().ToString("N")[..8]);
    // A unique version per run: NuGet caches packages by id and version, so a fixed one would test a stale copy.
    private readonly string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;

    [Fact]
    public void A_fresh_project_builds_and_runs_against_the_packed_nupkg_and_an_invalid_one_fails_with_sdtp_ids()
    {
        var feed = Path.Combine(work, "feed");
        Run(Root, "dotnet", $"pack src/Sdtp.Runtime/Sdtp.Runtime.csproj -c Release --no-build -o \"{feed}\" -p:Version={version}");
        Assert.True(File.Exists(Path.Combine(feed, $"Sdtp.Runtime.{version}.nupkg")));
        // Backend-neutral: the package depends on the managed bindings, never on a native libtorch build.
        using (var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"Sdtp.Runtime.{version}.nupkg")))
        {
            using var reader = new StreamReader(package.GetEntry("Sdtp.Runtime.nuspec")!.Open());
            var nuspec = reader.ReadToEnd();
            Assert.Contains("<dependency id=\"TorchSharp\" ", nuspec);
            Assert.DoesNotContain("TorchSharp-cpu", nuspec);
            Assert.DoesNotContain("libtorch", nuspec);
        }

        var valid = Consumer("ValidConsumer", """
            using Sdtp;
            using Sdtp.Modeling;
            using TorchSharp;
            using static TorchSharp.torch;

            var config = new ModelConfig { ModelType = "llama", HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 6,
                NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8, VocabSize = 64 };
            manual_seed(1);
            using var model = new PackedLlama(config);
            using var ids = randint(3, 64, [1, 200]);
            try { model.SdtpPrefill(ids); }
            catch (Sdtp.Pruning.UntrainedHeadsException) { Console.WriteLine("fresh heads refused"); }
            model.SdtpHeads.MarkTrained(ModelSignature.Of(model)); // random heads stand for trained ones here
            var result = model.SdtpPrefill(ids);
            Console.WriteLine($"layers={string.Join(",", PackedLlama.SdtpPlan.Layers)}");
            Console.WriteLine($"tokens={string.Join(",", result.Report.TokensPerLayer)}");
            Console.WriteLine($"logits={string.Join("x", result.LastLogits.shape)}");

            [SdtpModel(NumLayers = 6)]
            [GeometricSchedule(FirstLayer = 1, Every = 2, Stages = 3, Ratio = 0.5)]
            public sealed partial class PackedLlama : LlamaForCausalLM
            {
                public PackedLlama(ModelConfig config) : base(config, CPU) { }
            }
            """);
        var run = Run(valid, "dotnet", "run -c Release");
        Assert.Contains("fresh heads refused", run);
        Assert.Contains("layers=1,3,5", run);
        Assert.Contains("tokens=200,100,100,50,50,25", run);
        Assert.Contains("logits=1x64", run);

        var invalid = Consumer("InvalidConsumer", """
            using Sdtp;
            using Sdtp.Modeling;

            [SdtpModel(NumLayers = 6)]
            [PruneAt(2, 1.5)]
            [PruneAt(9, 0.5)]
            public sealed partial class BrokenLlama : LlamaForCausalLM
            {
                public BrokenLlama(ModelConfig config) : base(config) { }
            }

            public static class Program { public static void Main() { } }
            """);
        var build = Run(invalid, "dotnet", "build -c Release", expectSuccess: false);
        Assert.Contains("error SDTP002", build);
        Assert.Contains("error SDTP003", build);
        Assert.Contains("Keep ratio 1.5 is outside (0, 1]", build);
    }

    // The version the repository builds with (Directory.Packages.props), so the consumer's backend matches the package's bindings.
    private static string TorchSharpVersion => System.Text.RegularExpressions.Regex.Match(
        File.ReadAllText(Path.Combine(Root, "Directory.Packages.props")), "Include=\"TorchSharp\" Version=\"([^\"]+)\"").Groups[1].Value;

    private string Consumer(string name, string program)
    {
        var directory = Path.Combine(work, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Sdtp.Runtime" Version="{version}" />
                <!-- The package carries no native backend: a consumer picks libtorch's build (CPU here). -->
                <PackageReference Include="TorchSharp-cpu" Version="{TorchSharpVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{Path.Combine(work, "feed")}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="Sdtp.*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);
        return directory;
    }

    private string Run(string directory, string file, string arguments, bool expectSuccess = true)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {arguments} timed out in {directory}");
        }
        process.WaitForExit();
        var result = text.ToString();
        output.WriteLine($"$ {file} {arguments}  (exit {process.ExitCode})\n{result}");
        if (expectSuccess) Assert.True(process.ExitCode == 0, $"{file} {arguments} failed:\n{result}");
        else Assert.True(process.ExitCode != 0, $"{file} {arguments} was expected to fail");
        return result;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SdtpGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("SdtpGen.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        // The unique test version was extracted into the NuGet cache; remove it so runs do not accumulate.
        var nugetHome = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try { Directory.Delete(Path.Combine(nugetHome, "sdtp.runtime", version.ToLowerInvariant()), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
