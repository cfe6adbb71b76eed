using MultiMax.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Training;

/// <summary>
/// A pre-norm transformer block: self-attention through the given normalizer, then a GELU feed-forward layer, each
/// added to the residual stream. Both sample models are stacks of these.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm attentionNorm, feedForwardNorm;
    private readonly MultiHeadAttention attention;
    private readonly Sequential feedForward;
    private readonly bool causal;

    /// <param name="width">The width of the residual stream.</param>
    /// <param name="heads">Attention heads; must divide <paramref name="width"/>.</param>
    /// <param name="normalizer">The attention normalizer, e.g. SoftMax or a generated MultiMax module.</param>
    /// <param name="causal">Whether each position attends only to itself and earlier positions (a language model).</param>
    public TransformerBlock(int width, int heads, nn.Module<Tensor, Tensor> normalizer, bool causal = false)
        : base(nameof(TransformerBlock))
    {
        attentionNorm = nn.LayerNorm(width);
        attention = new MultiHeadAttention(width, heads, normalizer);
        feedForwardNorm = nn.LayerNorm(width);
        feedForward = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width));
        this.causal = causal;
        RegisterComponents();
    }

    public MultiHeadAttention Attention => attention;

    /// <summary>The block, through fused attention: no [queries × keys] tensor is formed.</summary>
    public override Tensor forward(Tensor x)
    {
        x = x + attention.forward(attentionNorm.forward(x), null, causal);
        return x + feedForward.forward(feedForwardNorm.forward(x));
    }

    /// <summary>The block, and its attention weights [batch, heads, queries, keys] (materialized, for metrics).</summary>
    public (Tensor Output, Tensor Weights) Run(Tensor x)
    {
        (Tensor attended, Tensor weights) = attention.Attend(attentionNorm.forward(x), null, causal);
        x = x + attended;
        return (x + feedForward.forward(feedForwardNorm.forward(x)), weights);
    }
}
