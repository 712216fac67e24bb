using Sdtp.Modeling;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

/// <summary>The building blocks against straightforward reference computations written out element by element.</summary>
public class ModelingReferenceTests
{
    [Fact]
    public void RmsNorm_matches_elementwise_reference()
    {
        manual_seed(1);
        using var norm = new RmsNorm(6, 1e-5);
        using (no_grad()) norm.Weight.copy_(tensor(new float[] { 0.5f, 1, 1.5f, 2, -1, 0.25f }));
        using var x = randn(2, 3, 6);
        using var y = norm.forward(x);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        var w = new[] { 0.5, 1, 1.5, 2, -1, 0.25 };
        for (int row = 0; row < 6; row++)
        {
            double ms = 0;
            for (int i = 0; i < 6; i++) ms += xs[row * 6 + i] * (double)xs[row * 6 + i];
            double inv = 1 / Math.Sqrt(ms / 6 + 1e-5);
            for (int i = 0; i < 6; i++)
                Assert.Equal(w[i] * xs[row * 6 + i] * inv, ys[row * 6 + i], 5);
        }
    }

    [Fact]
    public void RmsNorm_in_bf16_accumulates_in_fp32()
    {
        using var norm = new RmsNorm(4, 1e-6, dtype: ScalarType.BFloat16);
        // Squares of 300 overflow nothing in fp32 but lose most digits in bf16 sums; the result must still be ~±1.
        using var x = tensor(new float[] { 300, -300, 300, -300 }).to_type(ScalarType.BFloat16);
        using var y = norm.forward(x).to_type(ScalarType.Float32);
        Assert.Equal(ScalarType.BFloat16, norm.forward(x).dtype);
        Assert.All(y.data<float>().ToArray(), v => Assert.Equal(1.0, Math.Abs(v), 2));
    }

    [Fact]
    public void Rope_rotates_each_pair_by_position_times_frequency()
    {
        var config = TinyModels.Config();
        var rotary = new RotaryEmbedding(config);
        manual_seed(2);
        using var x = randn(1, 2, 3, config.HeadDim);               // [B, H, T, D]
        using var positions = tensor(new long[] { 0, 5, 17 }).unsqueeze(0);  // gaps, as after pruning
        var table = rotary.Table(positions, ScalarType.Float32);
        using var y = RotaryEmbedding.Apply(x, table);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        int d = config.HeadDim, half = d / 2;
        long[] pos = [0, 5, 17];
        for (int h = 0; h < 2; h++)
            for (int t = 0; t < 3; t++)
                for (int i = 0; i < half; i++)
                {
                    double angle = pos[t] * Math.Pow(config.RopeTheta, -2.0 * i / d);
                    int baseIndex = (h * 3 + t) * d;
                    double x1 = xs[baseIndex + i], x2 = xs[baseIndex + i + half];
                    Assert.Equal(x1 * Math.Cos(angle) - x2 * Math.Sin(angle), ys[baseIndex + i], 4);
                    Assert.Equal(x2 * Math.Cos(angle) + x1 * Math.Sin(angle), ys[baseIndex + i + half], 4);
                }
    }

    [Fact]
    public void Llama3_rope_scaling_keeps_high_frequencies_and_divides_low_ones()
    {
        var scaling = new RopeScaling(8, 1, 4, 8192);
        var plain = RopeFrequencies.Inverse(128, 500000, null);
        var scaled = RopeFrequencies.Inverse(128, 500000, scaling);
        int kept = 0, divided = 0, blended = 0;
        for (int i = 0; i < plain.Length; i++)
        {
            double wavelen = 2 * Math.PI / plain[i];
            if (wavelen < 8192 / 4.0) { Assert.Equal(plain[i], scaled[i], 12); kept++; }
            else if (wavelen > 8192 / 1.0) { Assert.Equal(plain[i] / 8, scaled[i], 12); divided++; }
            else { Assert.InRange(scaled[i], plain[i] / 8, plain[i]); blended++; }
        }
        Assert.True(kept > 0 && divided > 0 && blended > 0, $"{kept} kept, {divided} divided, {blended} blended");
    }

    [Fact]
    public void Attention_matches_softmax_reference_with_causal_mask_and_padding()
    {
        manual_seed(3);
        using var q = randn(2, 2, 4, 8);
        using var k = randn(2, 2, 6, 8);
        using var v = randn(2, 2, 6, 8);
        // Row 0 has its first key as padding; queries are the last 4 of 6 key positions.
        using var valid = tensor(new[] { false, true, true, true, true, true, true, true, true, true, true, true }).view(2, 6);
        using var fused = ScaledDotProductAttention.Attend(q, k, v, valid);

        var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(8);
        var outRef = zeros(2, 2, 4, 8);
        var validData = valid.data<bool>().ToArray();
        for (int b = 0; b < 2; b++)
            for (int h = 0; h < 2; h++)
                for (int i = 0; i < 4; i++)
                {
                    var row = scores[b, h, i].clone();
                    for (int j = 0; j < 6; j++)
                        if (j > i + 2 || !validData[b * 6 + j]) row[j] = tensor(float.NegativeInfinity);
                    outRef[b, h, i] = row.softmax(-1).matmul(v[b, h]);
                }
        Assert.True(fused.allclose(outRef, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Attention_with_one_query_and_longer_keys_sees_every_key()
    {
        manual_seed(4);
        using var q = randn(1, 2, 1, 8);
        using var k = randn(1, 2, 5, 8);
        using var v = randn(1, 2, 5, 8);
        using var fused = ScaledDotProductAttention.Attend(q, k, v);
        using var reference = (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(8)).softmax(-1).matmul(v);
        Assert.True(fused.allclose(reference, rtol: 1e-5, atol: 1e-6));
    }
}
