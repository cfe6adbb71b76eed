using System;
using System.Linq;

namespace MultiMax.Tests.Support;

/// <summary>Which keys a fused-attention test case pads.</summary>
public enum KeyPadding
{
    None,
    SomeKeys,
    /// <summary>Every key of the last sequence: its queries see nothing.</summary>
    LastSequence,
    /// <summary>
    /// A padded batch's usual mask: sequence b's last (b + 1)/(batch + 1) of the keys, each sequence's real keys ending
    /// at another place (tails the kernels never visit; a partial last tile of another width per sequence).
    /// </summary>
    Tail,
}

/// <summary>
/// One shape and mask of a fused-attention test, shared by the CPU and GPU tests; its text seeds the data
/// (<see cref="StableSeed"/>), so a case draws the same inputs wherever it runs.
/// </summary>
public sealed record AttentionCase(int Batch, int Heads, int Queries, int Keys, int HeadSize, bool Causal, KeyPadding Padding)
{
    public AttentionShape Shape => new(Batch, Heads, Queries, Keys, HeadSize);

    /// <summary>The key padding mask, [batch, keys] (true = padding), or null without one.</summary>
    public bool[]? DrawMask(Random random) => Padding switch
    {
        KeyPadding.None => null,
        KeyPadding.SomeKeys => Enumerable.Range(0, (int)Shape.MaskLength).Select(_ => random.Next(3) == 0).ToArray(),
        KeyPadding.Tail => Enumerable.Range(0, (int)Shape.MaskLength)
            .Select(i => i % Keys >= Keys - (i / Keys + 1) * Keys / (Batch + 1)).ToArray(),
        _ => Enumerable.Range(0, (int)Shape.MaskLength).Select(i => i >= (Batch - 1) * Keys).ToArray(),
    };

    public override string ToString() => $"[{Batch}×{Heads}, {Queries}q × {Keys}k, d{HeadSize}{(Causal ? ", causal" : "")}, {Padding}]";
}
