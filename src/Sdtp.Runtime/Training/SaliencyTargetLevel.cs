namespace Sdtp.Training;

/// <summary>What the saliency heads are trained to rank (<see cref="WordLevelSaliency"/>).</summary>
public enum SaliencyTargetLevel
{
    /// <summary>Each token's own saliency.</summary>
    Token,

    /// <summary>Every token of a word gets the word's largest saliency; whitespace tokens keep their own (the default).</summary>
    Word,

    /// <summary>
    /// As <see cref="Word"/>, with the whitespace before a word counted as part of it, so a head that keeps a word keeps
    /// the space that separates it: meant for seeds that kept every value and lost the spaces and letters around it
    /// (docs/experiments.md measures both).
    /// </summary>
    WordAndSpace,
}
