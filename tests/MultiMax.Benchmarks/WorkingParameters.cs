using System.Linq;
using static TorchSharp.torch;

namespace MultiMax.Benchmarks;

/// <summary>
/// The MultiMax2 parameters the benchmarks run with: away from zero, so that every term of σ does real work (at
/// their initial values, near 0, the terms would cost the same but describe no trained model).
/// </summary>
internal static class WorkingParameters
{
    public static readonly float[] Coefficients = { 0.3f, -0.2f, 0.1f, -0.05f };

    public static readonly float[] Thresholds = { -1f, 1f, -1.5f, 1.5f };

    /// <summary>The span layout: coefficients, then thresholds.</summary>
    public static float[] Span => Coefficients.Concat(Thresholds).ToArray();

    /// <summary>Sets a generated order-2 module's <c>ts</c> and <c>ranges</c> to them, and returns the module.</summary>
    public static TModule Set<TModule>(TModule module)
        where TModule : nn.Module
    {
        using (no_grad())
        {
            foreach ((string name, TorchSharp.Modules.Parameter parameter) in module.named_parameters())
            {
                parameter.copy_(tensor(name == "ts" ? Coefficients : Thresholds));
            }
        }

        return module;
    }
}
