using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Training.Counting;

/// <summary>
/// A small pre-norm transformer encoder that classifies from its [CLS] position. Its attention normalizers are
/// given from outside, so that the SoftMax and MultiMax models differ in nothing else.
/// </summary>
public sealed class TinyTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear classifier;

    public TinyTransformer(int vocabulary, int width, int heads, int classes, IReadOnlyList<nn.Module<Tensor, Tensor>> normalizers)
        : base(nameof(TinyTransformer))
    {
        embedding = nn.Embedding(vocabulary, width);
        blocks = nn.ModuleList(normalizers.Select(n => new TransformerBlock(width, heads, n)).ToArray());
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
        foreach (TransformerBlock block in blocks)
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
        foreach (TransformerBlock block in blocks)
        {
            (x, Tensor layerWeights) = block.Run(x);
            weights.Add(layerWeights);
        }

        return (classifier.forward(norm.forward(x.select(1, 0))), weights);
    }
}
