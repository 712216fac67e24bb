namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// RULER's variable tracking: a chain of 3-5 assignments (<c>VAR A = 48213.</c> ... <c>VAR B = VAR A.</c> ...) spread
/// from the chosen depth on, and a distractor chain of 2-3 variables with another value; the question gives the first
/// chain's value and every variable of that chain must be returned. Each link must survive pruning. The distractor
/// chain's question is the sample's other query (<see cref="TaskSample.OtherQueries"/>).
/// </summary>
public sealed class VariableTrackingTask(TemplateSplit split) : RulerTask(split)
{
    /// <inheritdoc/>
    public override string Family => "vt";

    /// <inheritdoc/>
    public override TaskSample Generate(int length, double depth, Random random)
    {
        int chainLength = random.Next(3, 6), distractorLength = random.Next(2, 4);
        var names = Values.VariableNames(chainLength + distractorLength, random);
        var valuePair = new[] { FillerText.Number(random, 5), "" };
        do valuePair[1] = FillerText.Number(random, 5); while (valuePair[1] == valuePair[0]);
        var (assignment, link) = ChainTemplates(random);
        var chain = names.Take(chainLength).ToArray();
        var distractor = names.Skip(chainLength).ToArray();
        var needles = new List<(double, string)>();
        needles.AddRange(Chain(chain, valuePair[0], Spread(depth, chainLength)));
        var distractorDepths = Enumerable.Range(0, distractorLength).Select(_ => 0.05 + 0.9 * random.NextDouble()).Order().ToArray();
        needles.AddRange(Chain(distractor, valuePair[1], distractorDepths));
        var questionTemplate = Phrasings.VariableQuestions.Pick(Sources.Questions, random);
        // The distractor chain is a chain too: the same context can be asked for it, with no further draw, so the
        // samples a seed gives stay what they were.
        var distractorQuestion = PhrasingSet.Fill(questionTemplate, ("value", valuePair[1]));
        return Assemble(length, depth, random, needles, PhrasingSet.Fill(questionTemplate, ("value", valuePair[0])), chain,
            [distractorQuestion], [AnswerText(distractor)]);

        IEnumerable<(double, string)> Chain(string[] vars, string value, double[] depths) => vars.Select((v, i) => (depths[i], i == 0
            ? PhrasingSet.Fill(assignment, ("var", v), ("value", value))
            : PhrasingSet.Fill(link, ("var", v), ("src", vars[i - 1])))).ToArray();
    }

    // Training chains are composed (ComposedPhrasings.VariableChain) as often as the other families' needles are; the
    // rest, and every held-out chain, use one fixed pair of sentences. A held-out chain draws exactly what it always did.
    private (string Assignment, string Link) ChainTemplates(Random random)
    {
        if (PhrasingSet.ComposesDraw(Sources.Needles, random)) return ComposedPhrasings.VariableChain(random);
        int template = random.Next(Phrasings.VariableAssignments.For(Sources.Needles).Count);
        return (Phrasings.VariableAssignments.For(Sources.Needles)[template], Phrasings.VariableLinks.For(Sources.Needles)[template]);
    }

    /// <summary><paramref name="count"/> increasing depths from <paramref name="first"/> to 0.95, so the chain keeps its order.</summary>
    private static double[] Spread(double first, int count) =>
        Enumerable.Range(0, count).Select(i => first + (0.95 - first) * i / count).ToArray();
}
