using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Layers;

/// <summary>A few optimiser steps of a tiny attention model with MultiMax: the loss falls.</summary>
public sealed class TrainingSmokeTests
{
    [Fact]
    public void TheLossFalls()
    {
        manual_seed(9);
        var attention = new MultiHeadAttention(16, 2, NormalizerKind.MultiMax2);
        var head = nn.Linear(16, 4);
        var loss = new MultiMaxNllLoss();
        var parameters = attention.parameters().Concat(head.parameters()).Concat(loss.parameters());
        var optimizer = optim.Adam(parameters, lr: 0.01);

        // Task: the class is the sign pattern of the first two features of the first token.
        Tensor x = randn(64, 6, 16);
        Tensor firstToken = x.select(1, 0);
        Tensor targets = firstToken.select(1, 0).gt(0).to(ScalarType.Int64).mul(2).add(firstToken.select(1, 1).gt(0).to(ScalarType.Int64));

        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Tensor value = loss.forward(head.forward(attention.forward(x).mean(new long[] { 1 })), targets);
            value.backward();
            optimizer.step();
            last = value.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        Assert.True(last < first * 0.7f, $"loss went from {first} to {last}");
    }
}
