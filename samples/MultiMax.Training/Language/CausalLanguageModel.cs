using System.Linq;
using MultiMax.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Training.Language;

/// <summary>
/// A small causal transformer language model: token and position embeddings, pre-norm blocks with causal SoftMax
/// attention, and an <see cref="OutputLayer"/> whose normalizer is what the demo compares. Training goes through the
/// fused loss, which never forms the [tokens × vocabulary] logits.
/// </summary>
public sealed class CausalLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tokens, positions;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly OutputLayer output;

    /// <param name="outputNormalizer">The output layer's normalizer: SoftMax, or a MultiMax module.</param>
    public CausalLanguageModel(int vocabulary, int length, int width, int heads, int layers, nn.Module<Tensor, Tensor> outputNormalizer)
        : base(nameof(CausalLanguageModel))
    {
        tokens = nn.Embedding(vocabulary, width);
        positions = nn.Embedding(length, width);
        blocks = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new TransformerBlock(width, heads, new TorchNormalizers.SoftMaxModule(), causal: true)).ToArray());
        norm = nn.LayerNorm(width);
        output = new OutputLayer(width, vocabulary, outputNormalizer);
        RegisterComponents();
    }

    public OutputLayer Output => output;

    /// <summary>The last hidden states [batch, length, width] of <paramref name="input"/> [batch, length].</summary>
    public override Tensor forward(Tensor input)
    {
        using Tensor where = arange(input.shape[1], ScalarType.Int64, input.device);
        Tensor x = tokens.forward(input) + positions.forward(where);
        foreach (TransformerBlock block in blocks)
        {
            x = block.forward(x);
        }

        return norm.forward(x);
    }

    /// <summary>The mean next-token loss of <paramref name="targets"/> [batch, length], through the fused output layer.</summary>
    public Tensor Loss(Tensor input, Tensor targets) => output.Loss(forward(input), targets);

    /// <summary>Next-token log-probabilities [batch, length, vocabulary], materialized (for evaluation).</summary>
    public Tensor LogProbabilities(Tensor input) => output.forward(forward(input));
}
