using System;
using System.Diagnostics;
using System.Linq;

namespace MultiMax.Benchmarks;

/// <summary>
/// A quick look at <see cref="ModelShapeAttentionBenchmarks"/>' shapes between BenchmarkDotNet runs: each call of sdpa,
/// the fused SoftMax and the fused MultiMax2 in turn (so that the machine's drift hits all three alike), medians and
/// ratios printed per shape, with the cores each path kept busy. <c>dotnet run -c Release --project tests/MultiMax.Benchmarks -- --model-shape-ratios [calls] [shape]</c>,
/// where shape is a prefix of a shape's name ("vision", "DeiT"…); the same loop runs under <c>perf record</c>.
/// </summary>
public static class ModelShapeRatios
{
    public static void Run(int calls, string? only)
    {
        Console.WriteLine($"{"shape",-36} | {"mode",-9} | {"sdpa",9} | {"SoftMax",9} | {"MultiMax2",9} | MM2/sdpa | MM2/SM | cores busy");
        foreach (ModelShapeAttentionBenchmarks.ModelShape shape in ModelShapeAttentionBenchmarks.Shapes())
        {
            if (only is not null && !shape.Name.StartsWith(only, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var benchmarks = new ModelShapeAttentionBenchmarks { Shape = shape };
            benchmarks.Setup();
            try
            {
                Measure(shape, "training", calls, benchmarks.SdpaTraining, benchmarks.FusedSoftMaxTraining, benchmarks.FusedMultiMaxTraining);
                Measure(shape, "inference", calls, benchmarks.SdpaInference, benchmarks.FusedSoftMaxInference, benchmarks.FusedMultiMaxInference);
            }
            finally
            {
                benchmarks.Cleanup();
            }
        }
    }

    private static void Measure(ModelShapeAttentionBenchmarks.ModelShape shape, string mode, int calls, params Action[] paths)
    {
        var times = new double[paths.Length][];
        var processorTime = new double[paths.Length];
        for (int path = 0; path < paths.Length; path++)
        {
            times[path] = new double[calls];
            for (int warm = 0; warm < 5; warm++)
            {
                paths[path]();
            }
        }

        for (int call = 0; call < calls; call++)
        {
            for (int path = 0; path < paths.Length; path++)
            {
                TimeSpan processorStart = Environment.CpuUsage.TotalTime;
                long start = Stopwatch.GetTimestamp();
                paths[path]();
                times[path][call] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                processorTime[path] += (Environment.CpuUsage.TotalTime - processorStart).TotalMilliseconds;
            }
        }

        double[] medians = times.Select(t => t.OrderBy(x => x).ElementAt(t.Length / 2)).ToArray();
        // Cores busy: the process's processor time over the calls' wall-clock time, every thread counted (the pool's,
        // libtorch's, the GC's, and a thread spinning while it waits); below the core count where a path leaves cores idle.
        double[] cores = processorTime.Select((time, path) => time / times[path].Sum()).ToArray();
        Console.WriteLine($"{shape.Name,-36} | {mode,-9} | {medians[0],6:F2} ms | {medians[1],6:F2} ms | {medians[2],6:F2} ms | {medians[2] / medians[0],8:F2} | {medians[2] / medians[1],6:F2} | {cores[0],4:F2} / {cores[1]:F2} / {cores[2]:F2}");
    }
}
