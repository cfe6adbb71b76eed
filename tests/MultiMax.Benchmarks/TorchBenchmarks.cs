using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using MultiMax.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// The generated TorchSharp module (fused span kernels behind a custom autograd function) against
/// <c>torch.softmax</c> and against the reference formula as separate torch ops — what the authors' PyTorch code
/// runs — forward and forward+backward, on float32 CPU tensors. Torch and the fused kernels both use every core.
/// </summary>
/// <remarks>Program.cs runs these in process; it says why.</remarks>
[MemoryDiagnoser(false)]
public class TorchBenchmarks
{
    private Tensor x = null!, upstream = null!;
    private TorchNormalizers.MultiMax2Module module = null!;

    [Params("4096x4096", "75648x197")]
    public string Shape { get; set; } = "4096x4096";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        manual_seed(42);
        x = (rand(long.Parse(parts[0]), long.Parse(parts[1])) * 4 - 2).requires_grad_(true);
        upstream = rand_like(x) - 0.5;
        module = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        x.Dispose();
        upstream.Dispose();
        module.Dispose();
    }

    [Benchmark(Baseline = true, Description = "torch.softmax")]
    public void TorchSoftMax()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        nn.functional.softmax(x, -1);
    }

    [Benchmark(Description = "Generated MultiMax2Module")]
    public void ModuleForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        module.forward(x);
    }

    [Benchmark(Description = "Reference formula as torch ops")]
    public void FormulaForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ReferenceFormula(x);
    }

    [Benchmark(Description = "torch.softmax forward+backward")]
    public void TorchSoftMaxForwardBackward()
    {
        using var scope = NewDisposeScope();
        torch.autograd.grad(new[] { nn.functional.softmax(x, -1) }, new[] { x }, new[] { upstream });
    }

    [Benchmark(Description = "Generated MultiMax2Module forward+backward")]
    public void ModuleForwardBackward()
    {
        using var scope = NewDisposeScope();
        torch.autograd.grad(new[] { module.forward(x) }, new Tensor[] { x, module.ts, module.ranges }, new[] { upstream });
    }

    [Benchmark(Description = "Reference formula forward+backward (autograd)")]
    public void FormulaForwardBackward()
    {
        using var scope = NewDisposeScope();
        torch.autograd.grad(new[] { ReferenceFormula(x) }, new Tensor[] { x, module.ts, module.ranges }, new[] { upstream });
    }

    /// <summary>The authors' order-2 formula, one torch op at a time, as their PyTorch code computes it.</summary>
    private Tensor ReferenceFormula(Tensor input)
    {
        Tensor ts = module.ts, ranges = module.ranges;
        Tensor sigma = input
            + ts[0] * nn.functional.relu(ranges[0] - input)
            + ts[1] * nn.functional.relu(input - ranges[1])
            + ts[2] * nn.functional.relu(ranges[2] - input).pow(2)
            + ts[3] * nn.functional.relu(input - ranges[3]).pow(2);
        return nn.functional.softmax(sigma, -1);
    }
}
