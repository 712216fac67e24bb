using TorchSharp;

namespace Sdtp;

/// <summary>Picks where tensors live. Every default in the runtime goes through here so one package swap moves it to CUDA.</summary>
public static class Devices
{
    /// <summary>CUDA when libtorch was built with it and a GPU is present, otherwise the CPU.</summary>
    public static torch.Device Default => torch.cuda.is_available() ? torch.CUDA : torch.CPU;
}
