using Sdtp.Checkpoints;
using Sdtp.Modeling;
using Sdtp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sdtp.Runtime.Tests;

public class HeldScalarOptimizersTests
{
    private const double LearningRate = 3e-3, WeightDecay = 0.01;

    [Fact]
    public void Steps_exactly_as_torchsharps_adamw_and_resumes_from_its_saved_state()
    {
        using var reference = Parameters();
        using var held = Parameters();
        using var fromSaved = Parameters();
        using var referenceOptimizer = optim.AdamW(reference.List, lr: LearningRate, weight_decay: WeightDecay);
        using var heldOptimizer = new HeldScalarOptimizers.AdamW(held.List, LearningRate, WeightDecay);
        for (int step = 0; step < 5; step++)
        {
            Step(reference, referenceOptimizer, step);
            Step(held, heldOptimizer, step);
        }
        AssertIdentical(reference, held);

        // A run trained with TorchSharp's AdamW goes on with the held one from its saved moments and step counts.
        using var directory = new TempDirectory();
        string path = directory.File("optimizer.bin");
        OptimizerStateFile.Save(path, referenceOptimizer);
        using (no_grad())
            foreach (var (target, source) in fromSaved.List.Zip(reference.List)) target.copy_(source);
        using var resumed = new HeldScalarOptimizers.AdamW(fromSaved.List, LearningRate, WeightDecay);
        OptimizerStateFile.Load(path, resumed);
        for (int step = 5; step < 8; step++)
        {
            Step(reference, referenceOptimizer, step);
            Step(fromSaved, resumed, step);
        }
        AssertIdentical(reference, fromSaved);
    }

    private sealed class ParameterSet : IDisposable
    {
        public required Parameter[] List { get; init; }

        public void Dispose()
        {
            foreach (var parameter in List) parameter.Dispose();
        }
    }

    // The same starting values on every call: a matrix and a bias.
    private static ParameterSet Parameters()
    {
        var generator = new Generator(7);
        return new ParameterSet
        {
            List = [new Parameter(randn([6, 4], generator: generator)), new Parameter(randn([4], generator: generator))],
        };
    }

    // A loss whose gradients differ from step to step, so the moments see changing input.
    private static void Step(ParameterSet parameters, OptimizerHelper optimizer, int step)
    {
        using var scope = NewDisposeScope();
        var input = randn([3, 6], generator: new Generator((ulong)(100 + step)));
        optimizer.zero_grad();
        var output = input.matmul(parameters.List[0]).Plus(parameters.List[1]).tanh();
        output.mul(output).sum().backward();
        optimizer.step();
    }

    private static void AssertIdentical(ParameterSet expected, ParameterSet actual)
    {
        foreach (var (left, right) in expected.List.Zip(actual.List))
            Assert.Equal(left.data<float>().ToArray(), right.data<float>().ToArray());
    }
}
