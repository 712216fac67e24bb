using System.Text.Json.Nodes;
using Sdtp.Checkpoints;
using Sdtp.Evaluation.BaseTraining;

namespace Sdtp.Evaluation.Tests;

public class BaseTrainingTests
{
    [Fact]
    public void Train_base_writes_a_loadable_checkpoint_and_resumes_from_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sdtp-base-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new BaseTrainingOptions { Lengths = [96], MaxKeys = [2], BatchSize = 4, CheckEvery = 2, CheckSamples = 1, MaxSteps = 4, WarmupSteps = 2 };
            var progress = new List<BaseTrainingProgress>();
            var check = new BaseModelTrainer(options).Train(dir, progress.Add);
            Assert.Equal(4, progress[^1].Step);
            Assert.Equal(["passkey", "multikey", "multivalue"], check.Keys);
            Assert.All(progress, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
            Assert.Equal(4, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "training", "state.json")))!["step"]!.GetValue<int>());
            using (var model = HuggingFaceCheckpoint.Load(dir, TorchSharp.torch.CPU))
                Assert.Equal(BaseModelTrainer.DefaultConfig.NumHiddenLayers, model.Layers.Count);
            Assert.True(File.Exists(Path.Combine(dir, "sdtp_tokenizer.json")));

            var resumed = new List<BaseTrainingProgress>();
            new BaseModelTrainer(options with { MaxSteps = 6 }).Train(dir, resumed.Add);
            Assert.Equal([5, 6], resumed.Select(p => p.Step));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
