using System.Collections.Generic;
using static TorchSharp.torch;

namespace MultiMax.Torch.Tests.Reference;

/// <summary>
/// The reference formula as plain torch ops, written from the formulas in docs/attributes.md and the authors' PyTorch
/// code (not from the generator): σ(x) = x + Σ below a·relu(b − x)^p + Σ above c·relu(x − d)^p, then softmax(σ, −1).
/// TorchSharp autograd of this is what the generated modules are checked against. It knows nothing of masks.
/// </summary>
public static class ReferenceFormula
{
    /// <summary>A term; coefficient and threshold are 0-d tensors (learnable or not).</summary>
    public sealed record Term(bool Below, int Power, Tensor Coefficient, Tensor Threshold);

    public static Tensor Sigma(Tensor x, IEnumerable<Term> terms, Tensor? scale = null, Tensor? shift = null)
    {
        Tensor u = scale is null ? x : scale * x + shift!;
        Tensor sigma = u;
        foreach (Term term in terms)
        {
            Tensor clipped = nn.functional.relu(term.Below ? term.Threshold - u : u - term.Threshold);
            sigma = sigma + term.Coefficient * clipped.pow(term.Power);
        }

        return sigma;
    }

    public static Tensor Normalize(Tensor sigma, bool logarithm) =>
        logarithm ? nn.functional.log_softmax(sigma, -1) : nn.functional.softmax(sigma, -1);

    /// <summary>The paper's order-N terms from the reference code's <c>ts</c> and <c>ranges</c>.</summary>
    public static List<Term> OrderTerms(int order, Tensor ts, Tensor ranges)
    {
        var terms = new List<Term>();
        for (int n = 1; n <= order; n++)
        {
            int below = 2 * (n - 1), above = below + 1;
            terms.Add(new Term(true, n, ts[below], ranges[below]));
            terms.Add(new Term(false, n, ts[above], ranges[above]));
        }

        return terms;
    }
}
