namespace MultiMax;

/// <summary>
/// Where a causal mask or a sliding window puts query i among the keys when there are not as many queries as keys.
/// </summary>
public enum CausalAlignment
{
    /// <summary>Query i sits at key i, as PyTorch's <c>is_causal</c>: query 0 sees key 0 only.</summary>
    TopLeft,

    /// <summary>
    /// Query i sits at key i + keys − queries: the last query is aligned with the last key, as a decode step or a chunk
    /// of queries against a longer KV cache needs (PyTorch's <c>causal_lower_right</c>, FlashAttention ≥ 2.1).
    /// </summary>
    BottomRight,
}
