using System;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>How the attention benchmarks make a call: inference under <c>no_grad</c>, or a backward whose gradients are set to none after it.</summary>
public static class AttentionCalls
{
    /// <summary>One forward under <c>no_grad</c>, its tensors disposed.</summary>
    public static void Inference(Func<Tensor> attention)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        attention();
    }

    /// <summary>
    /// The backward of <paramref name="output"/> from <paramref name="upstream"/>, then every input's gradient set to none,
    /// as optimizer.zero_grad() does by default: the next backward stores its gradients rather than adding to zeroed ones.
    /// </summary>
    public static void Backward(Tensor output, Tensor upstream, nn.Module normalizer, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        output.backward(new[] { upstream });
        foreach (Tensor input in inputs)
        {
            input.grad = null;
        }

        normalizer.zero_grad();
        output.Dispose();
    }
}
