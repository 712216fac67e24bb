namespace Sdtp.Modeling;

/// <summary>Inverse RoPE frequencies, with Llama 3's long-context rescaling when the config asks for it.</summary>
internal static class RopeFrequencies
{
    /// <summary>inv_freq[i] = theta^(-2i/d) for i in [0, d/2), rescaled per <see cref="RopeScaling"/>.</summary>
    public static double[] Inverse(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (int i = 0; i < inv.Length; i++)
            inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;

        // Llama 3: long wavelengths are divided by the factor, short ones kept, the band between interpolated.
        double lowFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen)
                inv[i] /= scaling.Factor;
            else if (wavelen >= highFreqWavelen)
            {
                double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor)
                                / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / scaling.Factor + smooth * inv[i];
            }
        }
        return inv;
    }
}
