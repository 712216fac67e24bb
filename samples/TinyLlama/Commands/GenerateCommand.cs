using System.CommandLine;
using Sdtp.Generation;
using Sdtp.Pruning;
using Spectre.Console;

namespace Sdtp.Samples.TinyLlama.Commands;

/// <summary><c>sdtp generate</c>: streams text from a prompt with pruned (or dense) prefill.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var source = new ModelOptions(withHeads: true);
        var prompt = new Option<string>("--prompt") { Description = "prompt text", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "most new tokens", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling mass", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "sampling seed", DefaultValueFactory = _ => 0 };
        var dense = new Option<bool>("--dense") { Description = "prefill without pruning" };
        var budget = new Option<int?>("--kv-budget") { Description = "cap each layer's KV cache while decoding: trimmed to this many rows (sinks + recent) whenever it exceeds them by an eighth" };
        var command = new Command("generate", "Generate text from a prompt with SDTP prefill.") { prompt, maxTokens, temperature, topP, seed, dense, budget };
        source.AddTo(command);
        command.SetAction(parse =>
        {
            bool isDense = parse.GetValue(dense);
            var text = parse.GetValue(prompt)!;
            // .NET decodes the command line as UTF-8 and puts U+FFFD where bytes were invalid: the prompt is not what was typed.
            if (text.Contains('\uFFFD'))
                throw new ArgumentException($"--prompt is not valid UTF-8 (or holds U+FFFD at character {text.IndexOf('\uFFFD')}); pass UTF-8 text");
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed),
            };
            options.Validate("--max-tokens", "--temperature", "--top-p");
            if (parse.GetValue(budget) is int kvBudget) CommonOptions.RequireKvBudget(kvBudget);
            using var session = source.Open(parse, loadHeads: !isDense, needsSchedule: !isDense);
            PruningReport? report = null;
            var generator = new TextGenerator(session.Model, isDense ? null : session.SdtpPrefill(r => report = r),
                parse.GetValue(budget) is int b ? new SinkWindowEviction(b) : null);
            var ids = session.Tokenizer.Encode(text, addBos: true);
            int context = session.Model.Config.MaxPositionEmbeddings;
            if (ids.Count > context)
                throw new ArgumentException($"--prompt is {ids.Count} tokens, more than the model's context of {context} (max_position_embeddings in {Path.Combine(session.Directory, "config.json")})");
            if ((long)ids.Count + options.MaxNewTokens > context)
                throw new ArgumentException($"--max-tokens {options.MaxNewTokens}: the prompt ({ids.Count} tokens) leaves room for at most {context - ids.Count} new tokens in the model's context of {context}");
            // Whole characters only: a byte-level tokenizer spreads one multi-byte character over several tokens.
            var detokenizer = new IncrementalDetokenizer(session.Tokenizer);
            foreach (var token in generator.Generate(ids, options))
                Console.Write(detokenizer.Push(token));
            Console.WriteLine(detokenizer.Flush());
            if (report is not null)
                AnsiConsole.MarkupLineInterpolated($"[grey]prompt {ids.Count} tokens; tokens per layer {string.Join(", ", report.TokensPerLayer)} (pruned {report.PrunedFraction:P0})[/]");
            return 0;
        });
        return command;
    }
}
