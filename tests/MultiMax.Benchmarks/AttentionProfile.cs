using System;
using System.Diagnostics;

namespace MultiMax.Benchmarks;

/// <summary>
/// A steady loop of fused MultiMax2 attention forward+backward calls on the span API, for a sampling profiler:
/// <c>DOTNET_PerfMapEnabled=1 perf record -F 999 -- dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-profile [n] [calls] [batch] [heads] [headSize]</c>,
/// then <c>perf report --sort sym</c>. By default b1 h8 d64 float, as <see cref="AttentionBenchmarks"/>; the vision
/// demo's shape is <c>50 200 128 4 16</c>. A last argument <c>bias</c> adds a bias [heads, n, n] shared by the batch
/// and asks for its gradient, as <see cref="BiasAndSinkBenchmarks"/>.
/// </summary>
public static class AttentionProfile
{
    public static void Run(int n, int calls, int batch = 1, int heads = 8, int headSize = 64, bool bias = false)
    {
        var shape = new AttentionShape(batch, heads, n, n, headSize);
        var random = new Random(42);
        float[] query = Values(random, (int)shape.QueryLength), key = Values(random, query.Length);
        float[] value = Values(random, query.Length), outputGradient = Values(random, query.Length);
        float[] output = new float[query.Length], logSumExp = new float[shape.LogSumExpLength];
        float[] queryGradient = new float[query.Length], keyGradient = new float[query.Length], valueGradient = new float[query.Length];
        float[] parameters = WorkingParameters.Span, parameterGradients = new float[8];
        float[] biasValues = bias ? Values(random, heads * n * n) : [], biasGradient = new float[biasValues.Length];
        var options = new AttentionOptions<float> { Bias = biasValues, BiasShape = bias ? new AttentionBiasShape(1, heads, n, n) : default };

        var clock = Stopwatch.StartNew();
        for (int call = 0; call < calls; call++)
        {
            Normalizers.MultiMax2Attention(query, key, value, output, logSumExp, shape, parameters, options);
            Normalizers.MultiMax2AttentionBackward(query, key, value, output, logSumExp, outputGradient,
                queryGradient, keyGradient, valueGradient, shape, parameters, parameterGradients, options, biasGradient);
        }

        Console.WriteLine($"{shape}: {calls} forward+backward calls, {clock.Elapsed.TotalMilliseconds / calls:F2} ms each (first calls included)");
    }

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
