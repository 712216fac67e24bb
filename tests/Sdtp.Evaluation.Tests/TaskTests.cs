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
