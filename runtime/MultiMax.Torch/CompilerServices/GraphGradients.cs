using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MultiMax.Torch.CompilerServices;

/// <summary>
/// The backward of the generated autograd functions under <c>create_graph</c>: autograd of the output rebuilt from
/// torch ops, recorded so that the gradients can be differentiated again.
/// </summary>
internal static class GraphGradients
{
    /// <summary>
    /// The gradients of <paramref name="output"/> (built under grad mode) times <paramref name="upstream"/> with respect
    /// to each input, in order: null for a null input, zeros for one that does not require grad or that the output does
    /// not reach. Only inputs that require grad are passed to <c>torch.autograd.grad</c>: asked about any other, it ends
    /// the process.
    /// </summary>
    public static Tensor?[] Of(Func<Tensor> output, Tensor upstream, params Tensor?[] inputs)
    {
        List<Tensor> asked = inputs.Where(input => input is { requires_grad: true }).Select(input => input!).ToList();
        IList<Tensor>? found = null;
        if (asked.Count > 0)
        {
            using (enable_grad())
            {
                found = autograd.grad(new[] { output() }, asked, new[] { upstream }, retain_graph: true, create_graph: true, allow_unused: true);
            }
        }

        return inputs.Select(input =>
        {
            if (input is null)
            {
                return null;
            }

            int index = asked.IndexOf(input);
            return found is null || index < 0 || found[index] is null || found[index].IsInvalid ? zeros_like(input) : found[index];
        }).ToArray();
    }
}
