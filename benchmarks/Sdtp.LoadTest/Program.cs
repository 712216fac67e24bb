using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sdtp.Checkpoints;
using Sdtp.Pruning;
using Sdtp.Server;
using Sdtp.Serving;
using Sdtp.Serving.Templates;
using Sdtp.Tokenization;

// The OpenAI-compatible server under load, in process on loopback: CONCURRENCY streaming chat requests at a time,
// repeated for SECONDS, against a checkpoint with trained heads (default: the embedded default model). Reports failed
// requests, streams that did not end with [DONE], time to first token (p50/p99), aggregate generated tokens/s and
// resident memory after warm-up and at the end; then sends a list of bad requests while the load runs and checks
// that the server still answers.
//   dotnet run -c Release --project benchmarks/Sdtp.LoadTest -- [MODEL_DIR] [SECONDS=60] [CONCURRENCY=16] [MAX_TOKENS=32] [sdtp|dense]
// (The server decodes up to CONCURRENCY requests in one batch.)
var dir = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "../../../../../samples/TinyLlama/model");
int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
int concurrency = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
int maxTokens = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 32;
bool dense = args.Length > 4 && args[4] == "dense"; // every request asks for "sdtp": false

using var model = HuggingFaceCheckpoint.Load(dir);
model.eval();
var headsPath = Path.Combine(dir, SaliencyHeads.FileName);
var schedule = SaliencyHeads.ReadInfo(headsPath).Schedule ?? PruningSchedule.Geometric(1, 1, 7, 0.86);
using var heads = SaliencyHeads.Load(headsPath, schedule, model.Config.HiddenSize, baseModel: Sdtp.Modeling.ModelSignature.Of(model));
var served = ServedModel.Reference(model, schedule, heads, TokenizerLoader.Load(dir), ChatTemplates.Detect(dir), "load-test");
await using var app = SdtpServer.Build(served, new SdtpServerOptions { Port = 0, MaxBatch = concurrency, QueueLimit = concurrency });
await app.StartAsync();
var root = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
Console.WriteLine($"server at {root}; {concurrency} concurrent streams for {seconds} s, {maxTokens} tokens each, {(dense ? "dense" : "SDTP")} prefill");

var prompt = "Remember: the passkey is 48213. " + string.Concat(Enumerable.Repeat("The grass is green. The sky is blue. ", 20)) + "What is the passkey?";
var body = $$"""{"model": "load-test", "stream": true, "max_tokens": {{maxTokens}}, "sdtp": {{(dense ? "false" : "true")}}, "messages": [{"role": "user", "content": "{{prompt}}"}]}""";
var firstToken = new List<double>();
int ok = 0, failed = 0, noDone = 0;
long generatedChars = 0;
var watch = Stopwatch.StartNew();
double residentAfterWarmup = 0, heapAfterWarmup = 0, managedAfterWarmup = 0;
static double Mib(long? bytes) => (bytes ?? 0) / 1048576.0;

async Task Stream()
{
    var started = Stopwatch.StartNew();
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(root, "/v1/chat/completions")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) { Interlocked.Increment(ref failed); return; }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        bool first = true, done = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            if (line == "data: [DONE]") { done = true; break; }
            if (first) { lock (firstToken) firstToken.Add(started.Elapsed.TotalSeconds); first = false; }
            Interlocked.Add(ref generatedChars, 1);
        }
        if (done) Interlocked.Increment(ref ok); else Interlocked.Increment(ref noDone);
    }
    catch (Exception)
    {
        Interlocked.Increment(ref failed);
    }
}

async Task Worker()
{
    while (watch.Elapsed.TotalSeconds < seconds) await Stream();
}

var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)).ToList();
await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, seconds / 3.0)));
residentAfterWarmup = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
heapAfterWarmup = Mib(Sdtp.Evaluation.Measurement.HeapUsage.InUse());
managedAfterWarmup = Mib(GC.GetTotalMemory(false));
// Bad requests while the load runs: each must get its 4xx, and the load must not notice.
string[] bad =
[
    """{"model": "load-test", "messages": [""", """{"model": "load-test"}""", """{"model": "nope", "messages": [{"role": "user", "content": "hi"}]}""",
    """{"model": "load-test", "n": 3, "messages": [{"role": "user", "content": "hi"}]}""", """{"model": "load-test", "max_tokens": -1, "messages": [{"role": "user", "content": "hi"}]}""",
    """{"model": "load-test", "temperature": 9, "messages": [{"role": "user", "content": "hi"}]}""",
];
var badStatuses = new List<int>();
foreach (var b in bad)
    badStatuses.Add((int)(await http.PostAsync(new Uri(root, "/v1/chat/completions"), new StringContent(b, Encoding.UTF8, "application/json"))).StatusCode);
await Task.WhenAll(workers);
double residentEnd = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
double heapEnd = Mib(Sdtp.Evaluation.Measurement.HeapUsage.InUse()), managedEnd = Mib(GC.GetTotalMemory(false));
var health = await http.GetAsync(new Uri(root, "/health"));

firstToken.Sort();
double Quantile(double q) => firstToken.Count == 0 ? double.NaN : firstToken[Math.Min(firstToken.Count - 1, (int)Math.Floor(q * firstToken.Count))];
var metrics = await http.GetStringAsync(new Uri(root, "/metrics"));
var generated = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("sdtp_generated_tokens_total ", StringComparison.Ordinal))?.Split(' ')[1] ?? "?";
Console.WriteLine($"requests: {ok} complete, {failed} failed, {noDone} without [DONE], in {watch.Elapsed.TotalSeconds:F0} s");
Console.WriteLine($"generated tokens: {generated} ({double.Parse(generated, CultureInfo.InvariantCulture) / watch.Elapsed.TotalSeconds:F1} tokens/s aggregate)");
Console.WriteLine($"time to first token: p50 {Quantile(0.5):F2} s, p99 {Quantile(0.99):F2} s");
Console.WriteLine($"resident memory: {residentAfterWarmup:F0} MiB after warm-up, {residentEnd:F0} MiB at the end ({residentEnd - residentAfterWarmup:+0;-0} MiB); " +
    $"C heap in use {heapAfterWarmup:F0} -> {heapEnd:F0} MiB, managed heap {managedAfterWarmup:F0} -> {managedEnd:F0} MiB");
Console.WriteLine($"bad requests during load: statuses {string.Join(", ", badStatuses)}; health afterwards {(int)health.StatusCode}");
await app.StopAsync();
return failed == 0 && noDone == 0 && badStatuses.All(s => s is >= 400 and < 500) && health.IsSuccessStatusCode ? 0 : 1;
