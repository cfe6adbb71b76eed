using System;
using System.Linq;

namespace MultiMax.Tests.Support;

/// <summary>Which targets of a fused-loss test case count.</summary>
public enum TargetMix
{
    AllCounted,
    SomeIgnored,
    AllIgnored,
}

/// <summary>
/// One shape and target mix of a fused-loss test, shared by the CPU and GPU tests; its text seeds the data
/// (<see cref="StableSeed"/>), so a case draws the same inputs wherever it runs.
/// </summary>
public sealed record CrossEntropyCase(int Tokens, int Dim, int Vocab, bool Bias, TargetMix Targets, bool ForbiddenClasses = false)
{
    public CrossEntropyShape Shape => new(Tokens, Dim, Vocab);

    /// <summary>A target per token: a class, or the ignore index −100 as the mix says.</summary>
    public long[] DrawTargets(Random random) => Enumerable.Range(0, Tokens).Select(_ => Targets switch
    {
        TargetMix.AllIgnored => -100L,
        TargetMix.SomeIgnored when random.Next(4) == 0 => -100L,
        _ => random.Next(Vocab),
    }).ToArray();

    /// <summary>With <see cref="ForbiddenClasses"/>, a bias of −∞ on every third class that is no token's target.</summary>
    public void ForbidClasses(double[] bias, long[] targets)
    {
        if (!ForbiddenClasses)
        {
            return;
        }

        for (int v = 0; v < Vocab; v += 3)
        {
            if (!targets.Contains(v))
            {
                bias[v] = double.NegativeInfinity;
            }
        }
    }

    public override string ToString() =>
        $"[{Tokens} tokens, d{Dim}, vocab {Vocab}{(Bias ? ", bias" : "")}, {Targets}{(ForbiddenClasses ? ", bias −∞ on some classes" : "")}]";
}
