using Sdtp.Evaluation.Tasks;

namespace Sdtp.Evaluation.Tests;

public class TaskTests
{
    public static TheoryData<string> RetrievalTasks() => ["passkey", "multikey", "multivalue"];

    [Theory]
    [MemberData(nameof(RetrievalTasks))]
    public void Answers_are_in_the_prompt_at_the_needles_and_depth_is_respected(string name)
    {
        var task = TaskSuite.ByName(name);
        foreach (var length in new[] { 1024, 2048 }) // at 512 a 0.9 depth can fall inside the closing question
            foreach (var depth in new[] { 0.1, 0.5, 0.9 })
            {
                var sample = TaskSuite.EvaluationSample(task, length, depth, 0);
                Assert.InRange(sample.Prompt.Length, length * 0.85, length * 1.02);
                foreach (var value in sample.Answer.Trim().Split(' '))
                    Assert.Contains(value, sample.Prompt);
                // The needle holding (the first part of) the answer sits at the requested depth of the prompt.
                var needle = sample.NeedleOffsets[0];
                Assert.Contains(sample.Answer.Trim().Split(' ')[0], sample.Prompt.Substring(needle, 40));
                Assert.InRange(needle / (double)sample.Prompt.Length, depth - 0.1, depth + 0.1);
                Assert.All(sample.Prompt, c => Assert.InRange(c, (char)32, (char)126)); // ASCII: one byte, one token
            }
    }

    [Fact]
    public void Multikey_asks_for_one_of_several_distinct_keys()
    {
        var sample = new MultiKeyTask(5, 5).Generate(1024, 0.4, new Random(3));
        Assert.Equal(5, sample.NeedleOffsets.Count);
        var asked = sample.Prompt[(sample.Prompt.LastIndexOf("What is the code for ", StringComparison.Ordinal) + 21)..].Split('?')[0];
        Assert.Contains($"Code for {asked}:{sample.Answer}.", sample.Prompt);
        var needles = System.Text.RegularExpressions.Regex.Matches(sample.Prompt, "Code for [a-z]+ ([a-z]+): [0-9]{4}\\.");
        Assert.Equal(5, needles.Count);
        Assert.Equal(5, needles.Select(m => m.Groups[1].Value).Distinct().Count()); // keys differ in their last word
    }

    [Fact]
    public void Multikey_offers_every_other_key_as_a_question_on_the_same_context()
    {
        var sample = new MultiKeyTask(4, 4).Generate(512, 0.3, new Random(5));
        Assert.Equal(3, sample.OtherQueries.Count);
        string context = sample.Prompt[..sample.Prompt.LastIndexOf(" What is the code for ", StringComparison.Ordinal)];
        var asked = new List<string> { sample.Prompt[(context.Length + 22)..].Split('?')[0] };
        foreach (var (prompt, answer) in sample.OtherQueries)
        {
            Assert.StartsWith(context + " What is the code for ", prompt);
            var key = prompt[(context.Length + 22)..].Split('?')[0];
            Assert.Contains($"Code for {key}:{answer}.", context);
            asked.Add(key);
        }
        Assert.Equal(4, asked.Distinct().Count());
        Assert.Empty(new PasskeyTask().Generate(512, 0.3, new Random(5)).OtherQueries);
    }

    [Fact]
    public void Head_candidates_rank_by_their_worst_retention_then_mean_accuracy()
    {
        var dense = new Dictionary<string, double> { ["passkey"] = 1.0, ["multikey"] = 0.5, ["multivalue"] = 0.0 };
        var even = HeadSelection.Score(new Dictionary<string, double> { ["passkey"] = 0.9, ["multikey"] = 0.45, ["multivalue"] = 0.0 }, dense);
        var lopsided = HeadSelection.Score(new Dictionary<string, double> { ["passkey"] = 1.0, ["multikey"] = 0.3, ["multivalue"] = 0.5 }, dense);
        Assert.Equal(0.9, even.WorstRetention, 9); // a task dense never gets right does not count
        Assert.Equal(0.6, lopsided.WorstRetention, 9);
        Assert.True(even.CompareTo(lopsided) > 0);
    }

    [Fact]
    public void Validation_samples_come_from_the_training_stream_and_never_equal_evaluation_samples()
    {
        var validation = HeadSelection.ValidationSamples(4, [512, 1024]);
        Assert.Equal(12, validation.Count); // three retrieval tasks
        Assert.Equal(validation.Select(v => v.Prompt), HeadSelection.ValidationSamples(4, [512, 1024]).Select(v => v.Prompt));
        var evaluation = TaskSuite.All.Where(t => t.IsRetrieval).SelectMany(t => Enumerable.Range(0, 4).SelectMany(i =>
            new[] { 512, 1024 }.Select(l => TaskSuite.EvaluationSample(t, l, (i + 0.5) / 4, i).Prompt))).ToHashSet();
        Assert.DoesNotContain(validation, v => evaluation.Contains(v.Prompt));
    }

    [Theory]
    [InlineData("passkey")]
    [InlineData("multikey")]
    [InlineData("multivalue")]
    [InlineData("lm")]
    public void Samples_are_deterministic_and_training_differs_from_evaluation(string name)
    {
        var task = TaskSuite.ByName(name);
        Assert.Equal(TaskSuite.EvaluationSample(task, 1024, 0.5, 3).Prompt, TaskSuite.EvaluationSample(task, 1024, 0.5, 3).Prompt);
        Assert.NotEqual(TaskSuite.EvaluationSample(task, 1024, 0.5, 3).Prompt, TaskSuite.EvaluationSample(task, 1024, 0.5, 4).Prompt);
        Assert.NotEqual(TaskSuite.EvaluationSample(task, 1024, 0.5, 3).Prompt, TaskSuite.TrainingSample(task, 1024, 0.5, 3).Prompt);
    }

    [Fact]
    public void Language_modelling_continues_the_same_document()
    {
        var sample = TaskSuite.EvaluationSample(new LanguageModelingTask(), 1024, 0.5, 0);
        Assert.Equal(LanguageModelingTask.ContinuationLength, sample.Answer.Length);
        Assert.InRange(sample.Prompt.Length, 512, 1100);
        Assert.EndsWith(".", sample.Prompt);
        // The continuation's capitalised names come from the cast the context already introduced.
        var names = System.Text.RegularExpressions.Regex.Matches(sample.Answer, "[A-Z][a-z]+").Select(m => m.Value)
            .Where(n => n is not ("The" or "In" or "At" or "Before" or "On" or "Later" or "After" or "It"));
        Assert.All(names, n => Assert.Contains(n, sample.Prompt));
    }

    [Fact]
    public void Unknown_task_names_list_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskSuite.ByName("qa"));
        Assert.Contains("unknown task 'qa'; known: passkey, multikey, multivalue, lm", e.Message);
    }
}
