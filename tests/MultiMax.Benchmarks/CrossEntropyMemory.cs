using System;
using System.Diagnostics;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// Peak memory of one output-layer loss forward+backward in a fresh process, above what the inputs and their gradients
/// hold: <c>dotnet run -c Release --project tests/MultiMax.Benchmarks -- --loss-memory fused|materialized|torch [vocab]</c>
/// (tokens 4096, dim 128, float32).
/// </summary>
/// <remarks>Peak working set (VmHWM) is process-wide, so each measurement needs a process of its own.</remarks>
public static class CrossEntropyMemory
{
    public static void Run(string path, int vocab)
    {
        const int tokens = 4096, dim = 128;
        manual_seed(42);
        var multiMax = new TorchNormalizers.MultiMax2Module();
        Tensor hidden = randn(tokens, dim).requires_grad_(true);
        Tensor weight = (randn(vocab, dim) / Math.Sqrt(dim)).requires_grad_(true);
        Tensor bias = zeros(vocab).requires_grad_(true);
        Tensor targets = randint(vocab, tokens, ScalarType.Int64);

        // Touch what the step keeps anyway (the gradients) before the baseline is read.
        foreach (Tensor t in new[] { hidden, weight, bias })
        {
            t.grad = zeros_like(t);
        }

        long inputsAndGradients = 2 * (hidden.numel() + weight.numel() + bias.numel()) * sizeof(float);
        Process process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.PeakWorkingSet64;

        Tensor loss = path switch
        {
            "materialized" => new MultiMaxNllLoss(new TorchNormalizers.LogMultiMax2Module()).forward(nn.functional.linear(hidden, weight, bias), targets),
            "torch" => nn.functional.cross_entropy(nn.functional.linear(hidden, weight, bias), targets),
            _ => FusedCrossEntropy.Loss(hidden, weight, targets, multiMax, bias),
        };
        try
        {
            loss.backward();
        }
        catch (Exception) when (BackwardFailures.Last is { } failure)
        {
            Console.WriteLine(failure);
            throw;
        }

        process.Refresh();
        long above = process.PeakWorkingSet64 - before;
        Console.WriteLine($"{path} loss, tokens {tokens} dim {dim} vocab {vocab}, forward+backward: peak working set +{above / (1024.0 * 1024):F1} MiB " +
            $"over a baseline that already holds hidden, weight, bias and their gradients ({inputsAndGradients / (1024.0 * 1024):F0} MiB)");
    }
}
