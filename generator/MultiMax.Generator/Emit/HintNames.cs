using System.Linq;
using System.Text;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Stable, unique file names for generated sources: namespace, types, method, element type (overloads of one name
/// differ only in it, MMX0015), backend.
/// </summary>
internal static class HintNames
{
    public static string For(NormalizerSpec spec, string backend)
    {
        StringBuilder name = Declaration(spec);
        return name.Append(spec.ElementType).Append('.').Append(backend).Append(".g.cs").ToString();
    }

    /// <summary>For output shared by every overload of a normalizer, such as its TorchSharp module.</summary>
    public static string ForAllOverloads(NormalizerSpec spec, string backend) =>
        Declaration(spec).Append(backend).Append(".g.cs").ToString();

    private static StringBuilder Declaration(NormalizerSpec spec)
    {
        var name = new StringBuilder();
        foreach (string? part in new[] { spec.Namespace }.Concat(spec.ContainingTypes.Select(t => t.Name)).Concat(new[] { spec.MethodName }))
        {
            if (part is null)
            {
                continue;
            }

            foreach (char c in part)
            {
                name.Append(char.IsLetterOrDigit(c) || c is '.' or '_' ? c : '_');
            }

            name.Append('.');
        }

        return name;
    }
}
