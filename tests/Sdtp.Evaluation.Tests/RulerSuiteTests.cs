using System.Text.RegularExpressions;
using Sdtp.Evaluation.BaseTraining;
using Sdtp.Evaluation.Tasks;
using Sdtp.Evaluation.Tasks.Ruler;

namespace Sdtp.Evaluation.Tests;

public class RulerSuiteTests
{
    private static readonly string[] Families = ["niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery", "vt"];

    public static TheoryData<string> RetrievalFamilies() => [.. Families];

    [Fact]
    public void Every_phrasing_set_has_enough_training_and_held_out_phrasings_and_they_are_disjoint()
    {
        foreach (var (name, set) in Phrasings.All)
        {
            int minimum = name == "intros" ? 2 : 8;
            Assert.True(set.Training.Count >= minimum, $"{name}: {set.Training.Count} training phrasings");
            Assert.True(set.HeldOut.Count >= minimum / 2, $"{name}: {set.HeldOut.Count} held-out phrasings");
            Assert.Empty(set.Training.Intersect(set.HeldOut));
            if (name == "intros") continue;
            Assert.True(set.Development.Count >= 4, $"{name}: {set.Development.Count} development phrasings");
            Assert.Empty(set.Development.Intersect(set.Training.Concat(set.HeldOut)));
        }
        Assert.Equal(Phrasings.VariableAssignments.Development.Count, Phrasings.VariableLinks.Development.Count);
        Assert.Equal(Phrasings.VariableAssignments.Training.Count, Phrasings.VariableLinks.Training.Count);
        Assert.Equal(Phrasings.VariableAssignments.HeldOut.Count, Phrasings.VariableLinks.HeldOut.Count);
    }

    [Fact]
    public void No_held_out_phrasing_occurs_in_any_training_or_validation_sample_and_each_occurs_in_held_out_ones()
    {
        var heldOut = Phrasings.All.SelectMany(p => p.Value.HeldOut.Select(t => (Set: p.Key, Template: t, Pattern: Phrasings.TemplatePattern(t)))).ToList();
        // Development phrasings may not reach training either: they are for comparing recipes on phrasings no run trained on.
        var reserved = heldOut.Concat(Phrasings.All.SelectMany(p => p.Value.Development.Select(t => (Set: p.Key + " development", Template: t, Pattern: Phrasings.TemplatePattern(t))))).ToList();
        var trainer = new BaseModelTrainer(new BaseTrainingOptions { Mixture = TrainingMixture.Ruler, MultiKeyQuestions = 4 });
        var tokenizer = new Sdtp.Tokenization.ByteTokenizer();
        var seen = new HashSet<string>();
        // The bridges put new needle forms and needle words in questions: the bridged key-value streams and the key drill are checked too.
        foreach (var task in trainer.TrainingTasks(6).Concat(trainer.TrainingTasks(6, new TrainingBridge(0.5, 0.5)).Take(4)).Append(new KeyValueDrillTask(TemplateSplit.Training, Enum.GetValues<DrillForm>())))
            for (int i = 0; i < 60; i++)
            {
                int length = 256 + 97 * i % 1800;
                double depth = 0.05 + 0.9 * (i * 0.618 % 1);
                foreach (var sample in new[] { TaskSuite.TrainingSample(task, length, depth, i), TaskSuite.ValidationSample(task, length, depth, i) })
                {
                    // Everything base training reads of the sample: its prompt, answer and the extra questions.
                    var text = tokenizer.Decode(trainer.TrainingSequence(sample).Ids.Where(t => t >= 3).ToList());
                    foreach (var (set, template, pattern) in reserved)
                        Assert.False(pattern.IsMatch(text), $"reserved {set} phrasing '{template}' occurs in a training-stream {task.Name} sample: {pattern.Match(text).Value}");
                }
            }
        // The check can fail: held-out samples do contain every held-out phrasing.
        foreach (var task in RulerSuite.HeldOut.Where(t => t.IsRetrieval))
            for (int i = 0; i < 120; i++)
            {
                var sample = TaskSuite.EvaluationSample(task, 512, 0.5, i);
                foreach (var h in heldOut.Where(h => h.Pattern.IsMatch(sample.Prompt))) seen.Add(h.Template);
            }
        var unused = heldOut.Select(h => h.Template).Except(seen).ToList();
        Assert.True(unused.Count == 0, "held-out phrasings no held-out sample used: " + string.Join(" | ", unused));
    }

    [Fact]
    public void Development_samples_ask_in_development_phrasings_with_training_words_and_prose()
    {
        var development = Phrasings.All.SelectMany(p => p.Value.Development).Select(Phrasings.TemplatePattern).ToList();
        var tasks = RulerSuite.Families(TemplateSplit.Training, sources: SampleSources.Development).Where(t => t.IsRetrieval).ToList();
        Assert.Equal(5, tasks.Count);
        foreach (var task in tasks)
            for (int i = 0; i < 30; i++)
            {
                var sample = TaskSuite.ValidationSample(task, 1024, 0.5, i);
                var question = sample.Prompt[sample.QuestionStart..];
                Assert.True(development.Any(p => p.IsMatch(question)), $"{task.Name}: '{question}' is no development question");
                var needle = sample.Prompt[sample.NeedleOffsets[0]..];
                Assert.True(development.Any(p => p.Match(needle) is { Success: true, Index: 0 }), $"{task.Name}: '{needle[..60]}' is no development needle");
                Assert.DoesNotContain(sample.Expected, WordLists.HeldOutWords.Contains);
            }
    }

    [Fact]
    public void About_one_composed_question_in_two_ends_with_an_open_cue_of_one_to_four_open_or_everyday_words_that_no_list_or_reserved_question_holds()
    {
        var random = new Random(11);
        var listed = new[] { "Answer:", "It is", "The {kind} is", "A:", "They are", "Values:", "Variables:", "Output:", "It was", "They were" };
        int open = 0, total = 400, words = 0, everyday = 0;
        for (int i = 0; i < total; i++)
        {
            var cue = ComposedPhrasings.OpenCue(random);
            Assert.Matches("^[A-Z][a-z]*,?( [a-z]+){0,3}(:| is| are| -| =|,)?$", cue);
            Assert.DoesNotContain(cue, listed);
            Assert.False(Phrasings.IsReservedCue(cue), $"'{cue}' is the cue of a held-out or development question");
            var cueWords = Regex.Replace(cue, "( is| are|:| -| =|,)$", "").Replace(",", "").Split(' ');
            Assert.All(cueWords, word => Assert.DoesNotContain(word.ToLowerInvariant(), WordLists.HeldOutWords));
            words += cueWords.Length;
            everyday += cueWords.Count(word => word.Length <= 3); // open words have four letters or more
            // A composed question ends with its cue; counted as open are those that end in none of the listed cues' last
            // words: the open cues but those ending in " is" (8 of their 9 endings), so about 1/2 * 8/9 = 0.44.
            var question = ComposedPhrasings.SingleQuestion(random);
            if (!SingleCueEndings.Any(question.EndsWith)) open++;
        }
        Assert.InRange(open / (double)total, 0.35, 0.51);
        // Everyday short words: one word in three of two cues in three, and the short words of prose openings (endings
        // aside): about 0.37.
        Assert.InRange(everyday / (double)words, 0.28, 0.46);
    }

    [Fact]
    public void A_prose_opening_is_the_first_words_of_a_training_prose_sentence_lower_cased_with_no_held_out_word()
    {
        var random = new Random(2);
        var sentences = ProseCorpus.For(TemplateSplit.Training).Sentences.Select(s => s.ToLowerInvariant()).ToList();
        for (int i = 0; i < 50; i++)
        {
            int count = 1 + i % 4;
            var opening = WordLists.ProseOpening(random, count);
            Assert.Matches("^[a-z]+( [a-z]+)*$", opening);
            Assert.Equal(count, opening.Split(' ').Length);
            Assert.DoesNotContain(opening.Split(' '), WordLists.HeldOutWords.Contains);
            Assert.Contains(sentences, s => Regex.Replace(s, "[,;:\"']", "").StartsWith(opening, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_last_sentence_of_every_held_out_and_development_question_is_a_reserved_cue()
    {
        var questions = new[] { Phrasings.SingleQuestions, Phrasings.MultiValueQuestions, Phrasings.MultiQueryQuestions, Phrasings.VariableQuestions };
        foreach (var question in questions.SelectMany(set => set.HeldOut.Concat(set.Development)))
        {
            var cue = question[(question.LastIndexOfAny(['.', '?']) + 1)..].Trim();
            Assert.True(Phrasings.IsReservedCue(cue.ToUpperInvariant()), $"'{cue}' of '{question}'");
        }
        Assert.False(Phrasings.IsReservedCue("Answer:"));
        Assert.False(Phrasings.IsReservedCue("Yes, it"));
    }

    [Fact]
    public void About_one_composed_question_in_four_opens_with_a_lead_in_of_open_words_or_a_prose_opening()
    {
        // Two lead-ins in three are open-word forms, three of whose seven start "In the", "According to the" or "As the",
        // words that survive frame-word substitution with probability 0.7 each; no listed prefix or ask starts so (the
        // third lead-in, a prose opening, rarely does). Expected 1/4 * 2/3 * 3/7 * 0.49 = 0.035.
        var random = new Random(3);
        int leadIns = 0, total = 2000;
        for (int i = 0; i < total; i++)
        {
            var question = ComposedPhrasings.SingleQuestion(random);
            if (question.StartsWith("In the ") || question.StartsWith("According to the ") || question.StartsWith("As the ")) leadIns++;
            Assert.False(Phrasings.MatchesReserved(question), question);
        }
        Assert.InRange(leadIns / (double)total, 0.02, 0.06);
    }

    // The last words of ComposedPhrasings' listed single-question cues (slots filled as a template leaves them).
    private static readonly string[] SingleCueEndings = ["Answer:", "It is", "is", "A:", "Result:", "Output:", "Here it is:", "My answer:", "It was", "->", "Solution:", "Value:", "I recall it is", "}:"];

    [Fact]
    public void A_restated_cue_ends_each_question_with_the_words_before_its_own_keys_value()
    {
        var plain = RulerSuite.Families(TemplateSplit.Training);
        var bridged = RulerSuite.Families(TemplateSplit.Training, bridge: new TrainingBridge(RestatedCueShare: 1));
        int restated = 0, unchanged = 0;
        foreach (var (without, with) in plain.Zip(bridged).Take(2))
            for (int i = 0; i < 40; i++)
            {
                var before = TaskSuite.TrainingSample(without, 400, 0.5, i);
                var after = TaskSuite.TrainingSample(with, 400, 0.5, i);
                var context = after.Prompt[..after.QuestionStart];
                var questions = before.OtherQueries.Select(q => q.Prompt[before.QuestionStart..]).Prepend(before.Prompt[before.QuestionStart..]);
                var bridgedQueries = after.OtherQueries.Prepend((after.Prompt, after.Answer)).ToList();
                Assert.Equal(questions.Count(), bridgedQueries.Count);
                foreach (var (question, (prompt, answer)) in questions.Zip(bridgedQueries))
                {
                    var asked = prompt[after.QuestionStart..];
                    if (asked == question) { unchanged++; continue; } // a needle that opens with its value has nothing to restate
                    Assert.StartsWith(question + " ", asked);
                    // The restated words followed by this question's own answer occur in the context: that key's needle.
                    var restatement = asked[(question.Length + 1)..];
                    Assert.True(context.Contains(restatement + answer, StringComparison.Ordinal), $"'{restatement}{answer}' is not in the context of {with.Name}");
                    restated++;
                }
            }
        Assert.True(restated > 100 && unchanged > 5, $"{restated} restated and {unchanged} unchanged questions");
        // The shares only bridge training: a default family draws the same samples as before and restates nothing.
        Assert.Equal(TaskSuite.TrainingSample(plain[1], 400, 0.5, 3).Prompt, TaskSuite.TrainingSample(RulerSuite.Training[1], 400, 0.5, 3).Prompt);
    }

    [Fact]
    public void Adjacent_needles_put_the_value_right_after_its_key_in_every_key_value_family()
    {
        var bridged = RulerSuite.Families(TemplateSplit.Training, bridge: new TrainingBridge(AdjacentNeedleShare: 1)).Take(4).Cast<RulerTask>();
        // The key, at most one short word, the value: for every value of every needle.
        foreach (var task in bridged)
            for (int i = 0; i < 20; i++)
            {
                var sample = TaskSuite.TrainingSample(task, 400, 0.5, i);
                var context = sample.Prompt[..sample.QuestionStart];
                foreach (var value in sample.Expected)
                    Assert.Matches(new Regex(@"[\w-](: | = | -> | is |, | - | has | gets )" + Regex.Escape(value) + @"[.!( ]"), context);
            }
        // Share 0 keeps the families' own needles and their samples.
        Assert.Equal(TaskSuite.TrainingSample(RulerSuite.Training[2], 400, 0.5, 5).Prompt,
            TaskSuite.TrainingSample(RulerSuite.Families(TemplateSplit.Training, bridge: TrainingBridge.None)[2], 400, 0.5, 5).Prompt);
    }

    [Fact]
    public void The_key_drill_answers_each_question_from_the_table_alone()
    {
        var drill = new KeyValueDrillTask(TemplateSplit.Training);
        int sharingWords = 0;
        var kinds = new Dictionary<DrillQuestion, int>();
        for (int i = 0; i < 60; i++)
        {
            var sample = TaskSuite.TrainingSample(drill, 256, (i + 0.5) / 60, i);
            var lines = sample.Prompt[..sample.QuestionStart].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(lines.Length, 2, 256 / KeyValueDrillTask.AverageEntryLength);
            var kind = KeyValueDrillTask.QuestionKind(sample);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            var questions = sample.OtherQueries.Prepend((sample.Prompt, sample.Answer)).ToList();
            Assert.Equal(sample.Answer, RulerTask.AnswerText(sample.Expected));
            if (kind == DrillQuestion.Chain)
            {
                // Each value's names: the entry holding the value, then each entry naming the one before, in table order.
                foreach (var (prompt, answer) in questions)
                {
                    string value = lines.Select(ValueOf).Single(v => !v.All(char.IsUpper)
                        && Regex.IsMatch(prompt[sample.QuestionStart..], $@"(?<![\w-]){Regex.Escape(v)}(?![\w-])"));
                    var chain = new List<string>();
                    for (string held = value; lines.FirstOrDefault(l => ValueOf(l) == held) is { } entry; held = entry[..5]) chain.Add(entry[..5]);
                    Assert.InRange(chain.Count, 1, 4);
                    Assert.Equal(RulerTask.AnswerText(chain), answer);
                }
                // Both chains are asked, and together they use every entry.
                Assert.Equal(2, questions.Count);
                continue;
            }
            // Every key is asked exactly once, and its answer is every value its entries hold, in table order.
            var keys = lines.Select(l => l[..KeyEnd(l)]).Distinct().ToList();
            Assert.Equal(keys.Count, questions.Count);
            foreach (var (prompt, answer) in questions)
            {
                // The key the question names; the longest such key, since one key can hold another ("red fox", "tired fox").
                string question = prompt[sample.QuestionStart..];
                string key = keys.Where(k => question.Contains(k, StringComparison.Ordinal)).MaxBy(k => k.Length)!;
                var values = lines.Where(l => l[..KeyEnd(l)] == key).Select(ValueOf).ToList();
                Assert.Equal(RulerTask.AnswerText(values), answer);
                // Only the all-values question asks a key with several entries.
                Assert.Equal(values.Count > 1, question.EndsWith(" Values:", StringComparison.Ordinal));
            }
            Assert.Equal(kind == DrillQuestion.AllValues, sample.Expected.Count > 1);
            var keyWords = keys.Select(k => k.Split(' ', '-')[0]).ToList();
            if (keyWords.Distinct().Count() < keyWords.Count) sharingWords++;
        }
        // Keys share words as multi-key's do, so only the whole key identifies its entry.
        Assert.True(sharingWords >= 10, $"{sharingWords} of the key tables had keys sharing their first word");
        // Every kind of question of the three key tables occurs; the value lists are asked for only by name.
        foreach (var kind in Enum.GetValues<DrillQuestion>().Where(k => k != DrillQuestion.Continue))
            Assert.True(kinds.GetValueOrDefault(kind) > 0, $"no {kind} question in 60 tables");
        Assert.False(kinds.ContainsKey(DrillQuestion.Continue));

        static string ValueOf(string entry) => entry[(entry.LastIndexOf(' ') + 1)..];
    }

    [Fact]
    public void A_drill_limited_to_lookups_asks_only_lookups_and_the_same_tables_as_the_full_drill_would()
    {
        var lookups = new KeyValueDrillTask(TemplateSplit.Training, [DrillForm.Lookup]);
        var kinds = Enumerable.Range(0, 40).Select(i => KeyValueDrillTask.QuestionKind(Draw(lookups, i))).ToHashSet();
        Assert.True(kinds.SetEquals([DrillQuestion.KeyBeforeSeparator, DrillQuestion.KeyCarried]), string.Join(", ", kinds));
        // The three key tables named are the default drill, draw for draw (a run's definition names its forms).
        var all = new KeyValueDrillTask(TemplateSplit.Training, [DrillForm.Lookup, DrillForm.AllValues, DrillForm.Chain]);
        var unnamed = new KeyValueDrillTask(TemplateSplit.Training);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(Draw(unnamed, i).Prompt, Draw(all, i).Prompt));
        Assert.Throws<ArgumentException>(() => new KeyValueDrillTask(TemplateSplit.Training, []));

        static TaskSample Draw(KeyValueDrillTask drill, int seed) => TaskSuite.TrainingSample(drill, 256, 0.5, seed);
    }

    [Fact]
    public void A_value_list_asks_for_the_values_after_a_named_one_in_list_order_as_many_as_the_question_says()
    {
        var drill = new KeyValueDrillTask(TemplateSplit.Training, [DrillForm.Continue]);
        var kinds = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            var sample = TaskSuite.TrainingSample(drill, 512, 0.5, i);
            Assert.Equal(DrillQuestion.Continue, KeyValueDrillTask.QuestionKind(sample));
            var lines = sample.Prompt[..sample.QuestionStart].Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            Assert.InRange(lines.Count, 4, 512 / KeyValueDrillTask.ListEntryLength);
            Assert.Equal(lines.Count, lines.Distinct().Count());
            foreach (var line in lines)
                kinds.Add(Regex.IsMatch(line, "^[0-9]+$") ? "number" : Regex.IsMatch(line, "^[A-Z]{5}$") ? "name" : line.Contains('-') ? "code" : "word");
            var questions = sample.OtherQueries.Prepend((sample.Prompt, sample.Answer)).ToList();
            Assert.Equal(6, questions.Count);
            foreach (var (prompt, answer) in questions)
            {
                // "Which 3 values follow X? Next:": the lines after X's line, as many as asked.
                var match = Regex.Match(prompt[sample.QuestionStart..], "^(?:Which|Copy the|What are the next) ([2-6]) .*? (?:follow|after) (.+?)[?.] Next:$|^Continue from (.+) for ([2-6]) lines\\. Next:$");
                Assert.True(match.Success, prompt[sample.QuestionStart..]);
                int count = int.Parse(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[4].Value);
                string named = match.Groups[2].Success ? match.Groups[2].Value : match.Groups[3].Value;
                int at = lines.IndexOf(named);
                Assert.True(at >= 0 && at + count < lines.Count, $"{named} +{count}");
                Assert.Equal(RulerTask.AnswerText(lines.GetRange(at + 1, count)), answer);
            }
            // Each expected value is found where its needle offset says.
            Assert.All(sample.Expected.Zip(sample.NeedleOffsets), e => Assert.StartsWith(e.First + "\n", sample.Prompt[e.Second..]));
        }
        Assert.True(kinds.SetEquals(["number", "name", "code", "word"]), string.Join(", ", kinds));
    }

    // Where an entry's key ends: the key is the entry's first one or two words (adjective-noun or adjective noun).
    private static int KeyEnd(string entry)
    {
        int first = entry.IndexOfAny([' ', '-']);
        int second = entry.IndexOfAny([' ', ':', ','], first + 1);
        return second < 0 ? entry.Length : second;
    }

    [Fact]
    public void A_diagnostic_holds_out_exactly_the_ingredient_it_names()
    {
        var questionPatterns = Phrasings.SingleQuestions.HeldOut.Select(Phrasings.TemplatePattern).ToList();
        var needlePatterns = Phrasings.KeyValueNeedles.HeldOut.Select(Phrasings.TemplatePattern).ToList();
        var heldOutQuestions = (RulerTask)RulerSuite.Families(TemplateSplit.Training, sources: SampleSources.HoldingOut("questions"))[0];
        var heldOutWords = (RulerTask)RulerSuite.Families(TemplateSplit.Training, sources: SampleSources.HoldingOut("words"))[0];
        int wordValues = 0;
        for (int i = 0; i < 30; i++)
        {
            var sample = TaskSuite.EvaluationSample(heldOutQuestions, 512, 0.5, i);
            var question = sample.Prompt[sample.QuestionStart..];
            Assert.Contains(questionPatterns, p => p.IsMatch(question));
            Assert.DoesNotContain(needlePatterns, p => p.IsMatch(sample.Prompt[..sample.QuestionStart]));
            var worded = TaskSuite.EvaluationSample(heldOutWords, 512, 0.5, i);
            if (worded.Expected[0].All(char.IsLetter))
            {
                wordValues++;
                Assert.Contains(worded.Expected[0], WordLists.HeldOutWords);
            }
        }
        Assert.True(wordValues > 3);
        Assert.Throws<ArgumentException>(() => SampleSources.HoldingOut("haystack"));
    }

    [Fact]
    public void Held_out_words_and_prose_never_reach_training_samples()
    {
        var heldOutWords = new[] { WordLists.Adjectives, WordLists.KeyNouns, WordLists.Nouns }
            .SelectMany(l => WordLists.For(l, TemplateSplit.HeldOut)).ToHashSet();
        var trainingWords = new[] { WordLists.Adjectives, WordLists.KeyNouns, WordLists.Nouns }
            .SelectMany(l => WordLists.For(l, TemplateSplit.Training)).ToHashSet();
        Assert.Empty(heldOutWords.Intersect(trainingWords));
        Assert.Equal(heldOutWords, WordLists.HeldOutWords);
        // Every word of every needle and question (keys, word values, and the open vocabulary's made-up and prose words).
        var word = new Regex("[a-z]+");
        int needlesSeen = 0, openWords = 0;
        foreach (var task in RulerSuite.Training.Where(t => t.IsRetrieval))
            for (int i = 0; i < 40; i++)
            {
                var sample = TaskSuite.TrainingSample(task, 512, 0.5, i);
                var needles = sample.NeedleOffsets.Select(o => Regex.Match(sample.Prompt[o..], "^[^.!;]*[.!;]").Value);
                foreach (var text in needles.Append(sample.Prompt[sample.QuestionStart..]))
                {
                    needlesSeen++;
                    foreach (Match w in word.Matches(text))
                    {
                        Assert.False(heldOutWords.Contains(w.Value), $"held-out word '{w.Value}' in a training {task.Name} sample: {text}");
                        if (!trainingWords.Contains(w.Value) && w.Length > 3) openWords++;
                    }
                }
                Assert.All(sample.Expected, e => Assert.DoesNotContain(e, heldOutWords));
            }
        Assert.True(needlesSeen > 600, $"only {needlesSeen} needles and questions found: the check would pass vacuously");
        Assert.True(openWords > 200, $"only {openWords} words outside the lists: the open vocabulary is not drawn");
        var trainingProse = ProseCorpus.For(TemplateSplit.Training).Sentences.Where(s => s.Length > 60).ToHashSet();
        Assert.True(trainingProse.Count > 5000);
        Assert.Empty(ProseCorpus.For(TemplateSplit.HeldOut).Sentences.Where(trainingProse.Contains).Take(5));
    }

    [Theory]
    [MemberData(nameof(RetrievalFamilies))]
    public void Samples_hold_their_answers_at_the_needles_near_the_requested_length_and_are_reproducible(string family)
    {
        foreach (var task in new[] { TaskSuite.ByName(family), TaskSuite.ByName(family + RulerTask.TrainingSuffix) })
            foreach (var length in new[] { 1024, 2048 })
                foreach (var depth in new[] { 0.05, 0.5, 0.95 })
                {
                    var sample = TaskSuite.EvaluationSample(task, length, depth, 3);
                    Assert.Equal(sample, TaskSuite.EvaluationSample(task, length, depth, 3), SampleComparer.Instance);
                    Assert.InRange(sample.Prompt.Length, length * 0.8, length * 1.02);
                    Assert.NotEmpty(sample.Expected);
                    Assert.All(sample.Expected, e => Assert.Contains(e, sample.Prompt));
                    Assert.All(sample.Prompt, c => Assert.InRange(c, (char)32, (char)126));
                    Assert.Equal(RulerTask.AnswerText(sample.Expected), sample.Answer);
                    Assert.True(Answers.IsRight(sample, sample.Answer + " and more"));
                    Assert.False(Answers.IsRight(sample, sample.Answer[..^1]));
                    // The first needle sits near the requested depth of the context (what precedes the question); a
                    // variable chain that starts deep stacks its links after it, which pushes it up a little. Other
                    // needles (up to MaxNeedleLength characters each) laid at the same place before or after it push
                    // it up or down, by as much as their share of a short context.
                    double Share(int needles) => needles * MaxNeedleLength / (double)sample.QuestionStart;
                    int before = sample.NeedleOffsets.Skip(1).Count(o => o < sample.NeedleOffsets[0]);
                    int after = sample.NeedleOffsets.Count - 1 - before;
                    Assert.InRange(sample.NeedleOffsets[0] / (double)sample.QuestionStart, depth - (family == "vt" ? 0.2 : 0.1) - Share(after), depth + 0.1 + Share(before));
                }
    }

    // The longest a needle runs: a composed opener of open words, a UUID value and a two-sentence ending.
    private const int MaxNeedleLength = 160;

    [Fact]
    public void Head_validation_and_marking_read_training_phrasings_from_their_own_seed_streams()
    {
        var validation = HeadSelection.ValidationSamples(4, [512, 1024], EvaluationSuite.Ruler);
        Assert.Equal(Families.Select(f => f + RulerTask.TrainingSuffix), validation.Select(v => v.Task).Distinct());
        var first = validation[0];
        Assert.Equal(first.Prompt, TaskSuite.ValidationSample(TaskSuite.ByName("niah_single@train"), 512, 0.125, 0).Prompt);
        Assert.NotEqual(first.Prompt, TaskSuite.EvaluationSample(TaskSuite.ByName("niah_single@train"), 512, 0.125, 0).Prompt);
        Assert.NotEqual(first.Prompt, TaskSuite.TrainingSample(TaskSuite.ByName("niah_single@train"), 512, 0.125, 0).Prompt);
        Assert.All(EvaluationSuite.Ruler.TrainingRetrieval(), t => Assert.Equal(TemplateSplit.Training, ((RulerTask)t).Split));
        var error = Assert.Throws<ArgumentException>(() => MarkedSampleStore.Mark(null!, new Sdtp.Tokenization.ByteTokenizer(), null!, 1, 64, 64,
            tasks: RulerSuite.HeldOut));
        Assert.Contains("held-out tasks are for evaluation only", error.Message);
    }

    [Fact]
    public void Variable_chains_are_assigned_before_they_are_copied()
    {
        foreach (var split in new[] { TemplateSplit.Training, TemplateSplit.HeldOut })
            for (int i = 0; i < 30; i++)
            {
                var sample = TaskSuite.EvaluationSample(new VariableTrackingTask(split), 1024, 0.05 + 0.03 * i, i);
                var chain = sample.Expected;
                Assert.InRange(chain.Count, 3, 5);
                int previous = -1;
                foreach (var name in chain)
                {
                    int at = sample.Prompt.IndexOf(name, StringComparison.Ordinal);
                    Assert.True(at > previous, $"{name} first appears before the variable it copies: {sample.Prompt}");
                    previous = at;
                }
            }
    }

    [Fact]
    public void Three_in_four_training_draws_are_composed_and_held_out_draws_never_are()
    {
        var random = new Random(3);
        foreach (var (name, set) in Phrasings.All.Where(p => p.Value.Compose is not null))
        {
            int composed = Enumerable.Range(0, 800).Count(_ => !set.Training.Contains(set.Pick(TemplateSplit.Training, random)));
            Assert.InRange(composed / 800.0, PhrasingSet.ComposedShare - 0.06, PhrasingSet.ComposedShare + 0.06);
            Assert.All(Enumerable.Range(0, 100), _ => Assert.Contains(set.Pick(TemplateSplit.HeldOut, random), set.HeldOut));
        }
    }

    [Fact]
    public void Composed_key_value_needles_bind_key_and_value_in_many_shapes_with_open_words_and_never_read_as_a_held_out_sentence()
    {
        var random = new Random(7);
        var needles = Enumerable.Range(0, 600).Select(_ => PhrasingSet.Composed(ComposedPhrasings.KeyValueNeedle, random)).ToList();
        foreach (var needle in needles)
        {
            var filled = PhrasingSet.Fill(needle, ("key", "KEYX"), ("value", "48213"), ("kind", "number"));
            Assert.Single(Regex.Matches(filled, "KEYX"));
            Assert.Single(Regex.Matches(filled, "48213"));
            Assert.False(Phrasings.MatchesReserved(needle), needle);
        }
        // Open words make nearly every frame new; the value between key and kind and the clause hand-over both occur.
        Assert.True(needles.Distinct().Count() > 500, $"{needles.Distinct().Count()} distinct needles of 600");
        Assert.Contains(needles, n => Regex.IsMatch(n, @"\{key\} [a-z ]+ \{value\} .*\{kind\}"));
        Assert.Contains(needles, n => n.Contains(", namely {value}"));
        Assert.Contains(needles, n => Regex.IsMatch(n, @"\{key\} [a-z]+ [a-z]+ [a-z]+ the ([a-z]+ )*\{kind\} \{value\}"));
        // Words of the open vocabulary (never a list's held-out word) stand where a verb, relation or opener would.
        var words = needles.SelectMany(n => Regex.Matches(n, "[a-z]+").Select(m => m.Value)).GroupBy(w => w).ToList();
        Assert.True(words.Count(g => g.Count() == 1) > 100, $"{words.Count(g => g.Count() == 1)} words occur once in 600 needles");
        Assert.DoesNotContain(words, g => WordLists.HeldOutWords.Contains(g.Key));
    }

    [Fact]
    public void Composed_variable_chains_and_questions_fill_their_own_slots_vary_with_open_words_and_never_read_as_a_reserved_sentence()
    {
        var random = new Random(5);
        var links = new HashSet<string>();
        var templates = new HashSet<string>();
        for (int i = 0; i < 500; i++)
        {
            var (assignment, link) = ComposedPhrasings.VariableChain(random);
            // Fill refuses a slot left over; each template must also hold both of its own slots.
            var assigned = PhrasingSet.Fill(assignment, ("var", "VKDOK"), ("value", "48213"));
            var linked = PhrasingSet.Fill(link, ("var", "PCINA"), ("src", "VKDOK"));
            Assert.True(assigned.Contains("VKDOK") && assigned.Contains("48213"), assignment);
            Assert.True(linked.Contains("PCINA") && linked.Contains("VKDOK"), link);
            Assert.False(Phrasings.MatchesReserved(assignment) || Phrasings.MatchesReserved(link), $"{assignment} | {link}");
            links.Add(link);
            templates.Add(assignment);
            templates.Add(link);
        }
        Assert.True(links.Count > 100, $"{links.Count} distinct links in 500 chains");
        // Open words stand for frame words in chains and in the questions about them, as in the key-value families.
        var questions = Enumerable.Range(0, 500).Select(_ => PhrasingSet.Composed(ComposedPhrasings.VariableQuestion, random)).ToList();
        foreach (var texts in new[] { templates.ToList(), questions })
        {
            var words = texts.SelectMany(t => Regex.Matches(t.ToLowerInvariant(), "[a-z]+").Select(m => m.Value)).GroupBy(w => w).ToList();
            Assert.True(words.Count(g => g.Count() == 1) > 100, $"{words.Count(g => g.Count() == 1)} words occur once");
            Assert.DoesNotContain(words, g => WordLists.HeldOutWords.Contains(g.Key));
        }
        Assert.All(questions, q => Assert.False(Phrasings.MatchesReserved(q), q));
    }

    [Fact]
    public void Multi_key_multi_query_and_variable_tracking_offer_the_other_questions_of_the_same_context()
    {
        foreach (var task in new IEvalTask[] { new MultiKeyNeedleTask(TemplateSplit.Training, 4, 4), new MultiQueryNeedleTask(TemplateSplit.Training, 4), new VariableTrackingTask(TemplateSplit.Training) })
        {
            var sample = task.Generate(1024, 0.3, new Random(5));
            Assert.NotEmpty(sample.OtherQueries);
            var context = sample.Prompt[..sample.QuestionStart];
            Assert.All(sample.OtherQueries, q =>
            {
                Assert.StartsWith(context, q.Prompt);
                Assert.All(q.Answer.Trim().Split(", "), v => Assert.Contains(v, context));
            });
        }
    }

    [Fact]
    public void Variable_tracking_asks_for_the_distractor_chain_as_its_other_question_in_the_same_words()
    {
        for (int i = 0; i < 20; i++)
        {
            var sample = TaskSuite.TrainingSample(new VariableTrackingTask(TemplateSplit.Training), 1024, 0.05 + 0.04 * i, i);
            var (prompt, answer) = Assert.Single(sample.OtherQueries);
            var distractor = answer.Trim().Split(", ");
            Assert.InRange(distractor.Length, 2, 3);
            Assert.Empty(distractor.Intersect(sample.Expected)); // the other chain, none of the asked one's variables
            var asked = sample.Prompt[sample.QuestionStart..];
            var other = prompt[sample.QuestionStart..];
            Assert.NotEqual(asked, other);
            // One template, two values: the questions differ only where each names its value.
            var differing = asked.Split(' ').Zip(other.Split(' ')).Count(w => w.First != w.Second);
            Assert.Equal(asked.Split(' ').Length, other.Split(' ').Length);
            Assert.InRange(differing, 1, 2);
        }
    }

    [Fact]
    public void Missing_prose_files_are_a_clear_error_that_says_how_to_get_them()
    {
        var empty = Directory.CreateTempSubdirectory("sdtp-prose").FullName;
        try
        {
            var error = Assert.Throws<FileNotFoundException>(() => ProseCorpus.Load(TemplateSplit.HeldOut, empty));
            Assert.Contains(empty, error.Message);
            Assert.Contains("fortunes", error.Message);
            Assert.Contains(ProseCorpus.DirectoryVariable, error.Message);
        }
        finally { Directory.Delete(empty, true); }
    }

    [Fact]
    public void Prose_cleaning_keeps_ascii_sentences_and_drops_drawings()
    {
        Assert.Equal(["A banker lends you his umbrella.", "-- Mark Twain"], ProseCorpus.Clean("A banker lends\n  you his umbrella.\n\t\t-- Mark Twain").ToArray());
        Assert.Empty(ProseCorpus.Clean("  /\\_/\\\n ( o.o )\n  > ^ < ||| ### ***"));
        Assert.Empty(ProseCorpus.Clean("Caf\u00e9 au lait is what we drink in the morning."));
        Assert.All(ProseCorpus.Clean(string.Join(' ', Enumerable.Repeat("word", 200))), p => Assert.True(p.Length <= 160));
    }

    /// <summary>A held-out template as a pattern: its words literally, each slot any short run of characters.</summary>
    private sealed class SampleComparer : IEqualityComparer<TaskSample>
    {
        public static SampleComparer Instance { get; } = new();
        public bool Equals(TaskSample? a, TaskSample? b) => a!.Prompt == b!.Prompt && a.Answer == b.Answer && a.NeedleOffsets.SequenceEqual(b.NeedleOffsets);
        public int GetHashCode(TaskSample s) => s.Prompt.GetHashCode();
    }
}
