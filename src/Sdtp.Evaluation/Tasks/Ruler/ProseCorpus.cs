namespace Sdtp.Evaluation.Tasks.Ruler;

/// <summary>
/// Natural English prose for haystacks and language modelling: the quotations, stories and definitions of Debian's
/// <c>fortunes</c> package (BSD licence; installed by <c>./build.sh setup</c>; nothing is downloaded at run time). Its
/// files are split by name: the held-out files are read only by held-out evaluation. Entries are cleaned to ASCII
/// sentences so that, with the byte tokenizer, one character is one token.
/// </summary>
public sealed class ProseCorpus
{
    /// <summary>Where Debian installs the package's text files.</summary>
    public const string DefaultDirectory = "/usr/share/games/fortunes";

    /// <summary>The environment variable that points at another copy of the files.</summary>
    public const string DirectoryVariable = "SDTP_PROSE_DIR";

    /// <summary>Files only held-out evaluation reads.</summary>
    public static IReadOnlyList<string> HeldOutFiles { get; } = ["education", "food", "literature", "love", "medicine", "people", "politics", "science", "wisdom"];

    /// <summary>Files training, validation and in-distribution evaluation read.</summary>
    public static IReadOnlyList<string> TrainingFiles { get; } =
    [
        "art", "computers", "cookie", "definitions", "disclaimer", "drugs", "ethnic", "fortunes", "goedel", "humorists", "kids",
        "knghtbrd", "law", "linux", "linuxcookie", "magic", "men-women", "miscellaneous", "news", "paradoxum", "perl", "pets",
        "platitudes", "riddles", "songs-poems", "sports", "startrek", "tao", "work", "zippy",
    ];

    private static readonly Lazy<ProseCorpus> Training = new(() => Load(TemplateSplit.Training));
    private static readonly Lazy<ProseCorpus> HeldOut = new(() => Load(TemplateSplit.HeldOut));

    /// <summary>The sentences, in file and entry order (a document is a run of consecutive sentences).</summary>
    public IReadOnlyList<string> Sentences { get; }

    private ProseCorpus(IReadOnlyList<string> sentences) => Sentences = sentences;

    /// <summary>The corpus of <paramref name="split"/>, loaded once per process.</summary>
    public static ProseCorpus For(TemplateSplit split) => split == TemplateSplit.HeldOut ? HeldOut.Value : Training.Value;

    /// <summary>The directory the files are read from.</summary>
    public static string Directory => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir ? dir : DefaultDirectory;

    /// <summary>A reader of consecutive sentences from a random starting point (wrapping round).</summary>
    public Func<string> Open(Random random)
    {
        int next = random.Next(Sentences.Count);
        return () => Sentences[next++ % Sentences.Count];
    }

    /// <summary>Reads and cleans the files of <paramref name="split"/>.</summary>
    public static ProseCorpus Load(TemplateSplit split, string? directory = null)
    {
        directory ??= Directory;
        var files = split == TemplateSplit.HeldOut ? HeldOutFiles : TrainingFiles;
        var missing = files.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException(
                $"{directory}: prose haystack files missing ({string.Join(", ", missing.Take(3))}{(missing.Count > 3 ? ", ..." : "")}): " +
                $"install Debian's 'fortunes' package (./build.sh setup does) or point {DirectoryVariable} at a copy of its files");
        var sentences = new List<string>();
        foreach (var file in files)
            foreach (var entry in File.ReadAllText(Path.Combine(directory, file)).Split("\n%\n"))
                sentences.AddRange(Clean(entry));
        if (split == TemplateSplit.HeldOut)
        {
            // Some sayings are quoted in several files: a held-out sentence must be one training never read.
            var training = (directory == Directory ? For(TemplateSplit.Training) : Load(TemplateSplit.Training, directory)).Sentences.ToHashSet();
            sentences.RemoveAll(training.Contains);
        }
        return new ProseCorpus(sentences);
    }

    /// <summary>
    /// The sentences of one entry: whitespace collapsed, attribution dashes kept as text; nothing when the entry is not
    /// plain ASCII prose (non-ASCII bytes, drawings, tables, code: fewer than 70% letters and spaces).
    /// </summary>
    public static IEnumerable<string> Clean(string entry)
    {
        if (entry.Any(c => c > 126 || (c < 32 && c is not '\n' and not '\t' and not '\r'))) yield break;
        var text = string.Join(' ', entry.Split((char[])[' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries));
        if (text.Length < 20 || text.Count(c => char.IsLetter(c) || c == ' ') < 0.7 * text.Length || text.Contains('{')) yield break;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            bool end = text[i] is '.' or '?' or '!' && (i + 1 == text.Length || text[i + 1] == ' ');
            if (!end && i + 1 < text.Length) continue;
            foreach (var piece in Pieces(text[start..(i + 1)].Trim())) yield return piece;
            start = i + 1;
        }
    }

    /// <summary>A sentence cut at spaces into pieces of at most <see cref="MaxPiece"/> characters, so a long one cannot leave a haystack short.</summary>
    private static IEnumerable<string> Pieces(string sentence)
    {
        while (sentence.Length > MaxPiece)
        {
            int cut = sentence.LastIndexOf(' ', MaxPiece);
            if (cut <= 0) cut = MaxPiece;
            yield return sentence[..cut];
            sentence = sentence[cut..].TrimStart();
        }
        if (sentence.Length > 0) yield return sentence;
    }

    private const int MaxPiece = 160;
}
