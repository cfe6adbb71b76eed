using MultiMax.CompilerServices;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// Which keys each query sees through the causal mask and the window, at an alignment: what the fused call passes to
/// the span kernels and what the materialized path builds as a [queries, keys] mask.
/// </summary>
internal sealed record AttentionMasking(bool Causal, (int Left, int Right)? Window, CausalAlignment Alignment)
{
    /// <summary>Refuses a negative window side and an alignment outside the enum, with the argument named.</summary>
    public void Check()
    {
        AttentionRunner.CheckWindow(Window, "window");
        AttentionRunner.CheckAlignment(Alignment, "alignment");
    }

    /// <summary>
    /// [queries, keys], true where the causal mask or the window hides the key from the query; null when neither applies.
    /// Query i sits at key a(i) = i, or i + keys − queries bottom right.
    /// </summary>
    public Tensor? Hidden(long queries, long keys, Device device)
    {
        if (!Causal && Window is null)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        long offset = Alignment == CausalAlignment.BottomRight ? keys - queries : 0;
        Tensor aligned = arange(queries, ScalarType.Int64, device).add(offset).unsqueeze(1);
        Tensor key = arange(keys, ScalarType.Int64, device).unsqueeze(0);
        Tensor hidden = zeros(queries, keys, ScalarType.Bool, device);
        if (Causal)
        {
            hidden = hidden.logical_or(key.gt(aligned));
        }

        if (Window is { } window)
        {
            hidden = hidden.logical_or(key.lt(aligned.sub(window.Left))).logical_or(key.gt(aligned.add(window.Right)));
        }

        return hidden.MoveToOuterDisposeScope();
    }
}
