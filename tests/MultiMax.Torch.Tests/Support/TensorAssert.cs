using System;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Support;

/// <summary>Compares tensors element-wise in double, with a readable failure naming the first mismatch.</summary>
public static class TensorAssert
{
    public static void Close(Tensor expected, Tensor actual, double absolute, double relative, string what)
    {
        if (!expected.shape.AsSpan().SequenceEqual(actual.shape))
        {
            throw new XunitException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        }

        double[] e = expected.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        double[] a = actual.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < e.Length; i++)
        {
            bool same = e[i].Equals(a[i]) || Math.Abs(e[i] - a[i]) <= absolute + relative * Math.Abs(e[i]);
            if (!same)
            {
                throw new XunitException($"{what}[{i}]: expected {e[i]:R}, got {a[i]:R} (difference {Math.Abs(e[i] - a[i]):E2})");
            }
        }
    }

    public static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>Tolerances for a dtype: float32 kernels agree with float64 autograd to about 1e-6 relative.</summary>
    public static (double Absolute, double Relative) For(ScalarType dtype) =>
        dtype == ScalarType.Float32 ? (5e-6, 2e-5) : (1e-12, 1e-10);
}
