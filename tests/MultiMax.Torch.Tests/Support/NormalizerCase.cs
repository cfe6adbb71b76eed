using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Torch.Tests.Declarations;
using MultiMax.Torch.Tests.Reference;
using static TorchSharp.torch;
using Term = MultiMax.Torch.Tests.Reference.ReferenceFormula.Term;

namespace MultiMax.Torch.Tests.Support;

/// <summary>
/// A generated module under test and its reference formula: <see cref="Sigma"/> maps the module's parameters (by
/// name, as float64 leaves) and a float64 input to σ, and <see cref="Reference"/> to the reference output.
/// </summary>
public sealed record NormalizerCase(
    string Name,
    Func<nn.Module<Tensor, Tensor>> Create,
    Func<Tensor, IReadOnlyDictionary<string, Tensor>, Tensor> Sigma,
    bool Logarithm)
{
    public override string ToString() => Name;

    /// <summary>SoftMax (or LogSoftMax) of σ along the last axis.</summary>
    public Tensor Reference(Tensor x, IReadOnlyDictionary<string, Tensor> parameters) => ReferenceFormula.Normalize(Sigma(x, parameters), Logarithm);

    public static IEnumerable<NormalizerCase> All()
    {
        yield return new("SoftMax", () => new TorchNormalizers.SoftMaxModule(), (x, _) => x, false);
        yield return Order("MultiMax1", 1, () => new TorchNormalizers.MultiMax1Module(), logarithm: false);
        yield return Order("MultiMax2", 2, () => new TorchNormalizers.MultiMax2Module(), logarithm: false);
        yield return Order("LogMultiMax2", 2, () => new TorchNormalizers.LogMultiMax2Module(), logarithm: true);
        yield return new("MultiMaxV2", () => new TorchNormalizers.MultiMaxV2Module(), (x, p) =>
            ReferenceFormula.Sigma(x, ReferenceFormula.OrderTerms(1, p["ts"], p["ranges"]), p["scale"][0], p["shift"][0]), false);
        yield return new("Custom", () => new Ops.CustomModule(), (x, p) => ReferenceFormula.Sigma(x, new[]
        {
            new Term(true, 1, tensor(2.0), tensor(-1.0)),
            new Term(false, 2, p["ts"][0], p["ranges"][0]),
        }), false);
        yield return new("LogCubic", () => new Ops.LogCubicModule(), (x, p) => ReferenceFormula.Sigma(x, new[]
        {
            new Term(false, 3, p["ts"][0], tensor(0.5)),
            new Term(true, 1, p["ts"][1], tensor(-0.25)),
        }), true);

        // σ written as C#, as torch ops written here by hand.
        yield return new("Capped", () => new Ops.CappedModule(), (x, p) => p["cap"] * tanh(x / p["cap"]), false);
        yield return new("Tempered", () => new Ops.TemperedModule(), (x, p) => x / p["tau"], false);
        yield return new("Hinged", () => new Ops.HingedModule(), (x, p) =>
            where(x < p["t"], x + p["a"] * (p["t"] - x).square(), x), false);
        yield return new("LogCappedMultiMax", () => new Ops.LogCappedMultiMaxModule(), (x, p) =>
        {
            Tensor z = x + p["a"] * nn.functional.relu(p["b"] - x) + p["c"] * nn.functional.relu(x - p["d"]);
            return p["cap"] * tanh(z / p["cap"]);
        }, true);
    }

    public static NormalizerCase Named(string name) => All().Single(c => c.Name == name);

    private static NormalizerCase Order(string name, int order, Func<nn.Module<Tensor, Tensor>> create, bool logarithm) =>
        new(name, create, (x, p) => ReferenceFormula.Sigma(x, ReferenceFormula.OrderTerms(order, p["ts"], p["ranges"])), logarithm);

    /// <summary>
    /// Replaces the near-zero initial parameters with large random ones, so that σ is far from the identity and
    /// not monotone, and every threshold falls inside the data.
    /// </summary>
    public static void Randomize(nn.Module<Tensor, Tensor> module)
    {
        using (no_grad())
        {
            foreach ((string name, TorchSharp.Modules.Parameter parameter) in module.named_parameters())
            {
                Tensor values = name switch
                {
                    "ts" => rand_like(parameter) * 1.6 - 0.8,
                    "ranges" => randn_like(parameter),
                    "scale" => rand_like(parameter) + 0.5,
                    "shift" => randn_like(parameter) * 0.3,
                    _ => parameter * (rand_like(parameter) * 0.5 + 0.75), // a modulator's argument: around its default, same sign

                };
                parameter.copy_(values);
            }
        }
    }

    /// <summary>The module's parameters as fresh float64 leaves that require gradients.</summary>
    public static Dictionary<string, Tensor> ReferenceParameters(nn.Module<Tensor, Tensor> module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(ScalarType.Float64).clone().requires_grad_(true));
}
