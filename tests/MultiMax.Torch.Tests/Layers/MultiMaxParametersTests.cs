using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Layers;

/// <summary><see cref="MultiMaxParameters"/>: which parameters are MultiMax's, and AdamW groups that leave them undecayed.</summary>
public sealed class MultiMaxParametersTests
{
    [Fact]
    public void OfFindsTheParametersOfEveryGeneratedNormalizer()
    {
        using var scope = NewDisposeScope();
        var attention = new MultiHeadAttention(8, 2, NormalizerKind.MultiMax2);
        var output = new OutputLayer(8, 12, NormalizerKind.MultiMaxV2);
        var model = nn.Sequential(("attention", attention), ("output", output));
        var expected = attention.Normalizer.parameters().Concat(output.Normalizer.parameters()).ToList();
        Assert.Equal(6, expected.Count); // ts and ranges of MultiMax2; ts, ranges, scale and shift of V2
        Assert.Equal(expected, MultiMaxParameters.Of(model));
        Assert.Empty(MultiMaxParameters.Of(nn.Linear(3, 4)));
    }

    [Fact]
    public void AdamWGroupsExcludeTheMultiMaxParametersFromWeightDecay()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("attention", new MultiHeadAttention(8, 2, NormalizerKind.MultiMax2)), ("output", new OutputLayer(8, 12, NormalizerKind.MultiMax2)));
        TorchSharp.Modules.AdamW.ParamGroup[] groups = MultiMaxParameters.AdamWGroups(model, 0.1);
        Assert.Equal(0.1, groups[0].Options.weight_decay);
        Assert.Equal(0.0, groups[1].Options.weight_decay);
        Assert.Equal(4, groups[1].Parameters.Count()); // ts and ranges of two MultiMax2 layers
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count()));
        Assert.Empty(groups[0].Parameters.Intersect(groups[1].Parameters));
    }

    /// <summary>The groups set only weight decay: the learning rate, betas and ε given to the optimizer reach every group.</summary>
    [Fact]
    public void TheOptimizersOwnHyperparametersReachEveryGroup()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("output", new OutputLayer(8, 12, NormalizerKind.MultiMax2)));
        using var optimizer = optim.AdamW(MultiMaxParameters.AdamWGroups(model, 0.1), lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6);
        Assert.Equal(2, optimizer.ParamGroups.Count());
        Assert.All(optimizer.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>(), group =>
        {
            Assert.Equal(0.05, group.LearningRate);
            Assert.Equal((0.8, 0.95), group.Betas);
            Assert.Equal(1e-6, group.Options.eps);
        });
    }
}
