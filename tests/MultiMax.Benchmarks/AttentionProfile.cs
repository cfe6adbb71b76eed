using System;
using System.Diagnostics;
using System.Linq;

namespace MultiMax.Benchmarks;

/// <summary>
/// A steady loop of fused MultiMax2 attention forward+backward calls on the span API, for a sampling profiler:
/// <c>DOTNET_PerfMapEnabled=1 perf record -F 999 -- dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-profile [n] [calls] [batch] [heads] [headSize]</c>,
/// then <c>perf report --sort sym</c>. By default b1 h8 d64 float, as <see cref="AttentionBenchmarks"/>; the vision
/// demo's shape is <c>50 200 128 4 16</c>. A last argument <c>bias</c> adds a bias [heads, n, n] shared by the batch
/// and asks for its gradient, as <see cref="BiasAndSinkBenchmarks"/>. An n written <c>8x4096</c> is 8 queries against 4 096
/// keys: a decode step against a cache.
/// </summary>
public static class AttentionProfile
{
    public static void Run(int n, int calls, int batch = 1, int heads = 8, int headSize = 64, bool bias = false, int? queries = null)
    {
        var shape = new AttentionShape(batch, heads, queries ?? n, n, headSize);
        var random = new Random(42);
        float[] query = Values(random, (int)shape.QueryLength), key = Values(random, (int)shape.KeyLength);
        float[] value = Values(random, key.Length), outputGradient = Values(random, query.Length);
        float[] output = new float[query.Length], logSumExp = new float[shape.LogSumExpLength];
        float[] queryGradient = new float[query.Length], keyGradient = new float[key.Length], valueGradient = new float[key.Length];
        float[] parameters = WorkingParameters.Span, parameterGradients = new float[8];
        float[] biasValues = bias ? Values(random, heads * shape.Queries * n) : [], biasGradient = new float[biasValues.Length];
        var options = new AttentionOptions<float> { Bias = biasValues, BiasShape = bias ? new AttentionBiasShape(1, heads, shape.Queries, n) : default };

        var clock = Stopwatch.StartNew();
        var forward = new double[calls];
        var backward = new double[calls];
        for (int call = 0; call < calls; call++)
        {
            long start = Stopwatch.GetTimestamp();
            Normalizers.MultiMax2Attention(query, key, value, output, logSumExp, shape, parameters, options);
            long middle = Stopwatch.GetTimestamp();
            Normalizers.MultiMax2AttentionBackward(query, key, value, output, logSumExp, outputGradient,
                queryGradient, keyGradient, valueGradient, shape, parameters, parameterGradients, options, biasGradient);
            forward[call] = Stopwatch.GetElapsedTime(start, middle).TotalMilliseconds;
            backward[call] = Stopwatch.GetElapsedTime(middle).TotalMilliseconds;
        }

        Console.WriteLine(
            $"b{batch} h{heads} {(queries is { } q ? $"{q} x {n}" : $"n{n}")} d{headSize}: {calls} forward+backward calls, {clock.Elapsed.TotalMilliseconds / calls:F2} ms each (first calls included); " +
            $"medians: forward {Median(forward):F3} ms, backward {Median(backward):F3} ms");
    }

    private static double Median(double[] times) => times.Order().ElementAt(times.Length / 2);

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(2 * random.NextDouble() - 1);
        }

        return values;
    }
}
