using static TorchSharp.torch;

namespace MultiMax.Torch.CompilerServices;

/// <summary>What the argument checks of the Torch operators share: device comparison and how a shape reads in a message.</summary>
internal static class TensorArguments
{
    /// <summary>Whether two tensors live on one device (TorchSharp's <c>Device</c> objects compare by reference).</summary>
    public static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    /// <summary>A shape as messages print it: <c>[2, 3, 4]</c>.</summary>
    public static string Shape(Tensor tensor) => $"[{string.Join(", ", tensor.shape)}]";

    /// <summary>
    /// A tensor extent as a span operator's shape takes it: too large ones become <see cref="int.MaxValue"/>, past every
    /// fused limit, so the operators take their materialized path.
    /// </summary>
    public static int Fit(long size) => size <= int.MaxValue ? (int)size : int.MaxValue;
}
