using System.Text;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>
/// File names for generated sources, unique by construction and short enough for any file system: a readable prefix
/// (namespace, types, method, flattened to safe characters and cut at <see cref="ReadableLength"/>), then the part
/// that differs between a declaration's files, then a stable 64-bit hash of the fully qualified, case-preserved name
/// with that part. Declarations whose prefixes collide — <c>Norm</c> and <c>norm</c>, <c>Ops&lt;T&gt;</c> and
/// <c>Ops_T_</c>, or two long names cut alike — still differ in the hash.
/// </summary>
internal static class HintNames
{
    /// <summary>The most characters of the readable prefix: the whole name stays under 120 characters.</summary>
    public const int ReadableLength = 80;

    /// <summary>For one overload's file, such as its CPU kernels: <c>Demo.Ops.Norm.Float.Cpu.0123456789abcdef.g.cs</c>.</summary>
    public static string For(NormalizerSpec spec, string backend) => Name(spec, spec.ElementType + "." + backend);

    /// <summary>For output shared by every overload of a normalizer, such as its TorchSharp module.</summary>
    public static string ForAllOverloads(NormalizerSpec spec, string backend) => Name(spec, backend);

    private static string Name(NormalizerSpec spec, string part)
    {
        string qualified = DeclarationCode.QualifiedName(spec);
        var readable = new StringBuilder();
        foreach (char c in qualified)
        {
            if (readable.Length == ReadableLength)
            {
                break;
            }

            readable.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' ? c : '_');
        }

        return $"{readable}.{part}.{Fnv1a64(qualified + "|" + part):x16}.g.cs";
    }

    /// <summary>FNV-1a over the UTF-16 code units: the same on every machine and every run, unlike string.GetHashCode.</summary>
    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
