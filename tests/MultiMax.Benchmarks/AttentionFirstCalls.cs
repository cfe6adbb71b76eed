using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime;
using MultiMax.Torch;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// The first calls of fused attention in a fresh process, at the vision demo's shape (b128 h4, 50 tokens, d16, float
/// forward+backward through <see cref="FusedAttention.ScaledDotProduct"/>), beside TorchSharp's
/// <c>scaled_dot_product_attention</c>: a training run's first steps, or a service's first requests.
/// <c>dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-first-calls [calls] [jit]</c>; run it once per
/// measurement, since only a fresh process has first calls. The JIT's tiers show as the gap between calls 2–10 and the
/// last calls (compare with <c>DOTNET_TieredCompilation=0</c>, where every method is optimized at once); call 1 also
/// reports the time the JIT spent compiling during it, on any thread, and with <c>jit</c> which methods that was
/// (<see cref="JitTimeline"/>).
/// </summary>
public static class AttentionFirstCalls
{
    public static void Run(int calls, bool jitTimeline)
    {
        manual_seed(42);
        using Tensor query = randn(128, 4, 50, 16).requires_grad_(), key = randn(128, 4, 50, 16).requires_grad_();
        using Tensor value = randn(128, 4, 50, 16).requires_grad_(), upstream = randn(128, 4, 50, 16);
        using var multiMax = WorkingParameters.Set(new TorchNormalizers.MultiMax2Module());

        // Call 1's start and end on the clock the JIT events carry, for the timeline.
        DateTime firstCallStart = default, firstCallEnd = default;
        (double[] Times, double FirstCallJit, double FirstForward) Time(Func<Tensor> attention)
        {
            var times = new double[calls];
            double firstCallJit = 0, firstForward = 0;
            for (int call = 0; call < calls; call++)
            {
                firstCallStart = call == 0 ? DateTime.UtcNow : firstCallStart;
                long start = Stopwatch.GetTimestamp();
                TimeSpan jit = JitInfo.GetCompilationTime(currentThread: false);
                using (NewDisposeScope())
                {
                    Tensor output = attention();
                    firstForward = call == 0 ? Stopwatch.GetElapsedTime(start).TotalMilliseconds : firstForward;
                    output.backward(new[] { upstream });
                }

                times[call] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                firstCallEnd = call == 0 ? DateTime.UtcNow : firstCallEnd;
                firstCallJit = call == 0 ? (JitInfo.GetCompilationTime(currentThread: false) - jit).TotalMilliseconds : firstCallJit;
                query.grad?.zero_();
                key.grad?.zero_();
                value.grad?.zero_();
                multiMax.zero_grad();
            }

            return (times, firstCallJit, firstForward);
        }

        // The fused operator first, so that its first call is this process's first attention call of any kind.
        JitTimeline? timeline = jitTimeline ? new JitTimeline() : null;
        Report("fused MultiMax2", Time(() => FusedAttention.ScaledDotProduct(query, key, value, multiMax)));
        if (timeline is not null)
        {
            // Reading the events costs time on every thread: compare call times without it, and time sdpa after it.
            Console.WriteLine("the JIT during the fused operator's call 1, per thread, then its longest compilations:");
            timeline.Print(firstCallStart, firstCallEnd, JitTimeline.CurrentThread(), top: 20);
            timeline.Dispose();
        }

        Report("torch sdpa (SoftMax)", Time(() => nn.functional.scaled_dot_product_attention(query, key, value)));
    }

    private static void Report(string name, (double[] Times, double FirstCallJit, double FirstForward) measured)
    {
        (double[] times, double firstCallJit, double firstForward) = measured;
        double steady = times.Skip(times.Length / 2).OrderBy(t => t).ElementAt((times.Length - times.Length / 2) / 2);
        Console.WriteLine(
            $"{name,-22} call 1: {times[0],7:F1} ms (forward {firstForward:F1} ms; {firstCallJit:F0} ms compiling on all threads) | calls 1–10: {times.Take(10).Average(),6:F2} ms ({times.Take(10).Average() / steady:F2}× steady) | " +
            $"calls 2–10: {times.Skip(1).Take(9).Average(),6:F2} ms | calls 11–{times.Length}: {times.Skip(10).Average(),6:F2} ms | steady (median of the second half): {steady,6:F2} ms");
    }
}
