using System;
using System.Diagnostics;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// Peak memory of one attention forward+backward in a fresh process, above what the inputs, outputs and gradients
/// hold: <c>dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-memory fused|materialized [n]</c>.
/// </summary>
/// <remarks>Peak working set (VmHWM) is process-wide, so each measurement needs a process of its own.</remarks>
public static class AttentionMemory
{
    public static void Run(string path, int n)
    {
        manual_seed(42);
        var multiMax = new TorchNormalizers.MultiMax2Module();
        Tensor query = randn(1, 8, n, 64).requires_grad_(true), key = randn(1, 8, n, 64).requires_grad_(true);
        Tensor value = randn(1, 8, n, 64).requires_grad_(true), upstream = randn(1, 8, n, 64);

        // Touch what the step keeps anyway (the gradients and an output) before the baseline is read.
        foreach (Tensor t in new[] { query, key, value })
        {
            t.grad = zeros_like(t);
        }

        using Tensor warm = zeros_like(query);
        long inputsAndOutputs = 8 * query.numel() * sizeof(float); // q, k, v, dO, O, dq, dk, dv
        Process process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.PeakWorkingSet64;

        Tensor output = path == "materialized"
            ? matmul(multiMax.forward(matmul(query, key.transpose(-2, -1)) / Math.Sqrt(64)), value)
            : FusedAttention.ScaledDotProduct(query, key, value, multiMax);
        output.backward(new[] { upstream });

        process.Refresh();
        long above = process.PeakWorkingSet64 - before;
        Console.WriteLine($"{path} attention, b1 h8 n{n} d64, forward+backward: peak working set +{above / (1024.0 * 1024):F1} MiB " +
            $"over a baseline that already holds q, k, v, dO and the gradients ({inputsAndOutputs / (1024.0 * 1024):F0} MiB of inputs and outputs in all)");
    }
}
