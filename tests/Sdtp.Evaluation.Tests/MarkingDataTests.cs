using Sdtp.Modeling;
using Sdtp.Pruning;
using Sdtp.Tokenization;
using Sdtp.Training;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.Tests;

/// <summary><c>mark --data</c>'s file: both line forms, every bad line named, and marking on the right targets.</summary>
public class MarkingDataTests
{
    private static string Write(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), "sdtp-data-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Theory]
    [InlineData("{\"prompt\": \"a\"", "line 2: not valid JSON")]
    [InlineData("[1, 2]", "line 2: expected a JSON object, got array")]
    [InlineData("{\"prompt\": 5, \"answer\": \"x\"}", "line 2: field 'prompt': expected a string, got number")]
    [InlineData("{\"prompt\": \"q\", \"answer\": \"\"}", "line 2: field 'answer': is empty")]
    [InlineData("{\"prompt\": \"q\"}", "line 2: field 'answer': missing (the line has a prompt)")]
    [InlineData("{\"answer\": \"a\"}", "line 2: field 'prompt': missing (the line has an answer)")]
    [InlineData("{\"text\": \"t\", \"prompt\": \"q\", \"answer\": \"a\"}", "line 2: has both 'text' and 'prompt'/'answer'")]
    [InlineData("{\"promt\": \"q\", \"answr\": \"a\"}", "line 2: needs \"prompt\" and \"answer\", or \"text\" (found: promt, answr)")]
    public void A_bad_line_is_an_error_naming_the_file_line_and_field(string line, string expected)
    {
        var path = Write("{\"text\": \"a fine first line\"}", line, "{\"text\": \"never read\"}");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => MarkingData.Load(path));
            Assert.Equal($"{path}: {expected}", error.Message[..(path.Length + 2 + expected.Length)]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Invalid_utf8_is_refused_naming_the_line_and_byte_not_replaced()
    {
        var path = Path.Combine(Path.GetTempPath(), "sdtp-data-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllBytes(path, [.. "{\"text\": \"fine\"}\r\n{\"text\": \"caf"u8, 0xC3, 0x28, .. "\"}\n"u8]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => MarkingData.Load(path));
            Assert.Equal($"{path}: line 2: not valid UTF-8 (byte 0xC3 at byte 31 of the file)", error.Message);
            File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "{\"text\": \"caf\u00e9\"}\r\n"u8]); // a BOM and CRLF are fine
            Assert.Equal("caf\u00e9", Assert.Single(MarkingData.Load(path)).Text);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_marked_sample_with_non_finite_saliency_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new MarkedSample([1, 5, 6], [false, false, true], [[0.5f, float.NaN, 0f]]));
        Assert.StartsWith("saliency of stage 0 is NaN at position 1: targets must be finite", error.Message);
    }

    [Fact]
    public void An_empty_or_missing_file_is_refused()
    {
        var path = Write("", "  ");
        try
        {
            Assert.Contains("no lines to mark", Assert.Throws<InvalidDataException>(() => MarkingData.Load(path)).Message);
            Assert.Throws<FileNotFoundException>(() => MarkingData.Load(path + ".none"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Answers_are_targets_after_their_prompt_and_a_text_targets_its_last_quarter()
    {
        var tokenizer = new ByteTokenizer();
        var pair = MarkingData.Encode(new MarkingRecord(1, "Q?", " yes", null), tokenizer, 100, "f");
        Assert.Equal(1 + 2 + 4, pair.Ids.Length);
        Assert.Equal([false, false, false, true, true, true, true], pair.Targets);
        var text = MarkingData.Encode(new MarkingRecord(2, null, null, "abcdefgh"), tokenizer, 100, "f");
        Assert.Equal(9, text.Ids.Length);
        Assert.Equal(2, text.Targets.Count(t => t));
        Assert.True(text.Targets[^1] && text.Targets[^2] && !text.Targets[^3]);
        var error = Assert.Throws<InvalidDataException>(() => MarkingData.Encode(new MarkingRecord(7, null, null, new string('x', 50)), tokenizer, 40, "f"));
        Assert.Equal("f: line 7: 51 tokens, more than the model's max_position_embeddings (40); shorten it or drop the line", error.Message);
        Assert.Contains("line 3: field 'text': 1 token(s)", Assert.Throws<InvalidDataException>(() => MarkingData.Encode(new MarkingRecord(3, null, null, "x"), tokenizer, 40, "f")).Message);
    }

    [Fact]
    public void Marking_a_file_checks_every_line_before_marking_any()
    {
        manual_seed(1);
        var config = new ModelConfig
        {
            ModelType = "llama", HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 3, NumAttentionHeads = 2,
            NumKeyValueHeads = 2, HeadDim = 8, VocabSize = ByteTokenizer.VocabSize, MaxPositionEmbeddings = 64,
        };
        using var model = new LlamaForCausalLM(config);
        var schedule = PruningSchedule.Explicit([new PruningStage(1, 0.5), new PruningStage(2, 0.5)]);
        var records = new[] { new MarkingRecord(1, "What is two?", " 2", null), new MarkingRecord(2, null, null, "some text to mark here") };
        int marked = 0;
        var samples = MarkedSampleStore.MarkData(model, new ByteTokenizer(), schedule, records, "f", (ids, targets) => { marked++; return new MarkedSample(ids, targets, [new float[ids.Length], new float[ids.Length]]); });
        Assert.Equal(2, samples.Count);
        Assert.Equal(2, samples[0].Targets.Count(t => t));
        var real = MarkedSampleStore.MarkData(model, new ByteTokenizer(), schedule, records[..1], "f");
        Assert.Equal(2, real[0].Saliency.Length);
        Assert.Contains(real[0].Saliency[0], v => v > 0);
        marked = 0;
        var tooLong = records.Append(new MarkingRecord(3, null, null, new string('y', 200))).ToList();
        Assert.Throws<InvalidDataException>(() => MarkedSampleStore.MarkData(model, new ByteTokenizer(), schedule, tooLong, "f", (ids, t) => { marked++; return null!; }));
        Assert.Equal(0, marked);
    }
}
