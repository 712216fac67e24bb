using System.CommandLine;
using Sdtp.Server;
using Sdtp.Serving;
using Sdtp.Serving.Templates;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp serve</c>: the OpenAI-compatible server over a checkpoint, SDTP prefill when it has trained heads.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: true);
        var host = new Option<string>("--host") { Description = "address to bind (loopback unless you say otherwise)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port to listen on", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key") { Description = $"require 'Authorization: Bearer KEY' on /v1 (default: ${SdtpServerOptions.ApiKeyVariable} when set)" };
        var template = new Option<string?>("--template") { Description = $"chat template ({string.Join(", ", ChatTemplates.All.Keys)}); default: recognised from tokenizer_config.json" };
        var modelId = new Option<string?>("--model-id") { Description = "the model name clients send; default: the checkpoint folder's name" };
        var batch = new Option<int>("--batch") { Description = "requests that decode together in one batch", DefaultValueFactory = _ => 16 };
        var queue = new Option<int>("--queue") { Description = "requests that may wait while a full batch decodes (more get 429)", DefaultValueFactory = _ => 16 };
        var command = new Command("serve", "Serve a checkpoint over OpenAI's HTTP API (chat and text completions, streaming) with SDTP prefill.")
        {
            host, port, apiKey, template, modelId, batch, queue,
        };
        source.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(port) is < 0 or > 65535) throw new ArgumentException($"--port must be in [0, 65535] (got {parse.GetValue(port)})");
            if (!System.Net.IPAddress.TryParse(parse.GetValue(host), out _)) throw new ArgumentException($"--host must be an IP address (got {parse.GetValue(host)})");
            CommonOptions.RequireAtLeastOne("--batch", parse.GetValue(batch));
            CommonOptions.RequireNonNegative("--queue", parse.GetValue(queue));
            bool withHeads = File.Exists(source.HeadsPath(parse)); // without trained heads the server runs dense
            using var session = source.Open(parse, loadHeads: withHeads, needsSchedule: withHeads);
            var chatTemplate = parse.GetValue(template) is string name ? ChatTemplates.Named(name) : ChatTemplates.Detect(session.Directory);
            var id = parse.GetValue(modelId) ?? (session.Directory == ModelSession.DefaultModelDirectory ? "sdtp-tinyllama" : Path.GetFileName(Path.GetFullPath(session.Directory).TrimEnd('/')));
            var served = !withHeads ? new ServedModel(session.Model, session.Tokenizer, chatTemplate, null, id)
                : session.Generated is { } generated ? ServedModel.Annotated(generated, session.Tokenizer, chatTemplate, id)
                : ServedModel.Reference(session.Model, session.Schedule, session.Heads, session.Tokenizer, chatTemplate, id);
            var options = new SdtpServerOptions { Host = parse.GetValue(host)!, Port = parse.GetValue(port), ApiKey = parse.GetValue(apiKey), MaxBatch = parse.GetValue(batch), QueueLimit = parse.GetValue(queue) };
            await using var app = SdtpServer.Build(served, options);
            await app.StartAsync(cancellation);
            Console.WriteLine($"serving '{id}' ({(withHeads ? "SDTP prefill" : "dense only: no trained heads")}, template {chatTemplate.Name}) at {string.Join(", ", app.Urls)}; Ctrl+C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
            }
            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
