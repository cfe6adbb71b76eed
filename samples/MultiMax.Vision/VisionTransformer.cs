using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch;
using MultiMax.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Vision;

/// <summary>
/// A small vision transformer (Dosovitskiy et al., 2021): the image cut into square patches, each flattened and
/// embedded linearly, a learned [CLS] token in front, a learned position embedding, pre-norm transformer blocks
/// whose attention normalizers are given from outside, and a linear head on the [CLS] position.
/// </summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly int patch, side;
    private readonly Linear patchEmbedding;
    private readonly Parameter cls, position;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear head;

    /// <param name="side">Images are <paramref name="side"/> × <paramref name="side"/>.</param>
    /// <param name="patch">The patch side; must divide <paramref name="side"/>.</param>
    public VisionTransformer(int side, int patch, int width, int heads, int classes, IReadOnlyList<nn.Module<Tensor, Tensor>> normalizers)
        : base(nameof(VisionTransformer))
    {
        this.side = side;
        this.patch = patch;
        patchEmbedding = nn.Linear(patch * patch, width);
        // Small random [CLS] and positions, as ViT initialises them.
        cls = nn.Parameter(randn(1, 1, width) * 0.02);
        position = nn.Parameter(randn(1, Patches + 1, width) * 0.02);
        blocks = nn.ModuleList(normalizers.Select(n => new TransformerBlock(width, heads, n)).ToArray());
        norm = nn.LayerNorm(width);
        head = nn.Linear(width, classes);
        RegisterComponents();
    }

    /// <summary>Patches per image: the keys the [CLS] query attends to, besides itself.</summary>
    public int Patches => PerSide * PerSide;

    /// <summary>Patches along each side.</summary>
    public int PerSide => side / patch;

    /// <summary>The attention layers, first to last.</summary>
    public IEnumerable<MultiHeadAttention> Attention => blocks.Select(b => b.Attention);

    /// <summary>Class logits for images [batch, side, side], through fused attention.</summary>
    public override Tensor forward(Tensor images)
    {
        Tensor x = Tokens(images);
        foreach (TransformerBlock block in blocks)
        {
            x = block.forward(x);
        }

        return head.forward(norm.forward(x.select(1, 0)));
    }

    /// <summary>Class logits, and every layer's attention weights [batch, heads, tokens, tokens] (materialized, for metrics and figures).</summary>
    public (Tensor Logits, IReadOnlyList<Tensor> Weights) Run(Tensor images)
    {
        Tensor x = Tokens(images);
        var weights = new List<Tensor>();
        foreach (TransformerBlock block in blocks)
        {
            (x, Tensor layerWeights) = block.Run(x);
            weights.Add(layerWeights);
        }

        return (head.forward(norm.forward(x.select(1, 0))), weights);
    }

    /// <summary>[batch, 1 + patches, width]: [CLS], then the patches row by row, each plus its position.</summary>
    private Tensor Tokens(Tensor images)
    {
        long batch = images.shape[0];
        // [batch, rows, patch, columns, patch] → [batch, rows, columns, patch, patch] → one flattened patch per token.
        Tensor patches = images.reshape(batch, PerSide, patch, PerSide, patch).permute(0, 1, 3, 2, 4).reshape(batch, Patches, patch * patch);
        return cat(new[] { cls.expand(batch, -1, -1), patchEmbedding.forward(patches) }, 1) + position;
    }
}
