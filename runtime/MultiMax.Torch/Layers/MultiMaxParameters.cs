using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MultiMax.Torch;

/// <summary>
/// The learnable parameters of a model's MultiMax layers, for optimizers: the authors train them without weight decay
/// (decay would pull every modulator back towards SoftMax).
/// </summary>
/// <remarks>
/// Clip the gradient norm when MultiMax is in the output layer: the gradients of its parameters are sums over the whole
/// vocabulary and grow roughly like its square root (e.g. <c>nn.utils.clip_grad_norm_(model.parameters(), 1.0)</c>).
/// </remarks>
public static class MultiMaxParameters
{
    /// <summary>The parameters owned by generated normalizer modules anywhere in <paramref name="model"/> (its σ's <c>ts</c>, <c>ranges</c>, …).</summary>
    public static IReadOnlyList<Parameter> Of(nn.Module model)
    {
        var found = new List<Parameter>();
        foreach (nn.Module module in model.modules().Prepend(model))
        {
            if (module is IFusedNormalizer)
            {
                found.AddRange(module.parameters().Where(p => !found.Contains(p)));
            }
        }

        return found;
    }

    /// <summary>
    /// AdamW parameter groups: every parameter of <paramref name="model"/> with <paramref name="weightDecay"/>, except the
    /// MultiMax parameters (<see cref="Of"/>), which get none. Pass them to <c>optim.AdamW(groups, lr)</c>: the groups set
    /// only their weight decay, so the learning rate, betas and ε are the optimizer's.
    /// </summary>
    public static AdamW.ParamGroup[] AdamWGroups(nn.Module model, double weightDecay)
    {
        IReadOnlyList<Parameter> multiMax = Of(model);
        var decayed = model.parameters().Where(p => !multiMax.Contains(p)).ToList();

        // Not ParamGroup(parameters, weight_decay: …): its lr defaults to 1e-3 and would override the optimizer's.
        return new[]
        {
            new AdamW.ParamGroup(decayed, new AdamW.Options { weight_decay = weightDecay }),
            new AdamW.ParamGroup(multiMax, new AdamW.Options { weight_decay = 0 }),
        };
    }
}
