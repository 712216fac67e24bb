using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Evaluation.BaseTraining;

/// <summary>
/// Where a list answer (" 4821, 7730, 1185") would turn into a repeat of an item it already gave: at each later item,
/// the first token at which it parts from an earlier one, and that earlier item's token there. A small model asked for
/// several values tends to write one of them again ("4821, 4821, 1185"); teacher forcing alone never shows it that
/// mistake, so training can push those tokens down (<see cref="BaseTrainingOptions.AvoidRepeatsWeight"/>).
/// </summary>
public static class RepeatedItems
{
    /// <summary>
    /// (position in <paramref name="answer"/>, token that must not stand there) for every later item and every earlier
    /// one it differs from before either ends; items are separated by <paramref name="separator"/>, and the first one's
    /// leading spaces (the separator's last token) are not part of it.
    /// </summary>
    public static IReadOnlyList<(int Position, int Token)> Avoided(IReadOnlyList<int> answer, IReadOnlyList<int> separator)
    {
        var items = AnswerItems.Spans(answer, separator);
        var avoided = new List<(int, int)>();
        for (int k = 1; k < items.Count; k++)
            for (int j = 0; j < k; j++)
            {
                var (start, length) = items[k];
                var (earlierStart, earlierLength) = items[j];
                int common = 0;
                while (common < length && common < earlierLength && answer[start + common] == answer[earlierStart + common]) common++;
                if (common < length && common < earlierLength && !avoided.Contains((start + common, answer[earlierStart + common])))
                    avoided.Add((start + common, answer[earlierStart + common]));
            }
        return avoided;
    }

    /// <summary>
    /// -log(1 - p) of each of <paramref name="rows"/>' avoided tokens, p its probability in <paramref name="logProbs"/>
    /// ([rows, width - 1, vocabulary], position t predicting the row's token t + 1).
    /// </summary>
    public static Tensor Unlikelihood(Tensor logProbs, IReadOnlyList<TrainingRow> rows)
    {
        long positions = logProbs.shape[1];
        var avoided = rows.SelectMany((row, b) => row.Avoided.Select(a => (Flat: b * positions + a.Position - 1, Token: (long)a.Token))).ToArray();
        var flat = tensor(avoided.Select(a => a.Flat).ToArray(), device: logProbs.device);
        var tokens = tensor(avoided.Select(a => a.Token).ToArray(), device: logProbs.device).unsqueeze(1);
        var probability = logProbs.reshape(-1, logProbs.shape[^1]).index_select(0, flat).gather(1, tokens).squeeze(1).exp();
        return -probability.SubtractedFrom(1).AtLeast(1e-5).log();
    }
}
