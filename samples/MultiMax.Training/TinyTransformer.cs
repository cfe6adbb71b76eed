using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Training;

/// <summary>
/// A small pre-norm transformer encoder that classifies from its [CLS] position. Its attention normalizers are
/// given from outside, so that the SoftMax and MultiMax models differ in nothing else.
/// </summary>
public sealed class TinyTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private readonly Linear classifier;

    public TinyTransformer(int vocabulary, int width, int heads, int classes, IReadOnlyList<nn.Module<Tensor, Tensor>> normalizers)
        : base(nameof(TinyTransformer))
    {
        embedding = nn.Embedding(vocabulary, width);
        blocks = nn.ModuleList(normalizers.Select(n => new Block(width, heads, n)).ToArray());
        norm = nn.LayerNorm(width);
        classifier = nn.Linear(width, classes);
        RegisterComponents();
    }

    /// <summary>The attention layers, first to last.</summary>
    public IEnumerable<MultiHeadAttention> Attention => blocks.Select(b => b.Attention);

    /// <summary>Class logits, through fused attention: training never holds a [queries × keys] tensor.</summary>
    public override Tensor forward(Tensor tokens)
    {
        Tensor x = embedding.forward(tokens);
        foreach (Block block in blocks)
        {
            x = block.forward(x);
        }

        return classifier.forward(norm.forward(x.select(1, 0)));
    }

    /// <summary>Class logits, and every layer's attention weights [batch, heads, queries, keys] (materialized, for the metrics).</summary>
    public (Tensor Logits, IReadOnlyList<Tensor> Weights) Run(Tensor tokens)
    {
        Tensor x = embedding.forward(tokens);
        var weights = new List<Tensor>();
        foreach (Block block in blocks)
        {
            (x, Tensor layerWeights) = block.Run(x);
            weights.Add(layerWeights);
        }

        return (classifier.forward(norm.forward(x.select(1, 0))), weights);
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm attentionNorm, feedForwardNorm;
        private readonly MultiHeadAttention attention;
        private readonly Sequential feedForward;

        public Block(int width, int heads, nn.Module<Tensor, Tensor> normalizer)
            : base(nameof(Block))
        {
            attentionNorm = nn.LayerNorm(width);
            attention = new MultiHeadAttention(width, heads, normalizer);
            feedForwardNorm = nn.LayerNorm(width);
            feedForward = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width));
            RegisterComponents();
        }

        public MultiHeadAttention Attention => attention;

        public override Tensor forward(Tensor x)
        {
            x = x + attention.forward(attentionNorm.forward(x));
            return x + feedForward.forward(feedForwardNorm.forward(x));
        }

        public (Tensor Output, Tensor Weights) Run(Tensor x)
        {
            (Tensor attended, Tensor weights) = attention.Attend(attentionNorm.forward(x));
            x = x + attended;
            return (x + feedForward.forward(feedForwardNorm.forward(x)), weights);
        }
    }
}
