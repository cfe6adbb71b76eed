using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>What every emitter writes about the declaration itself: where it lives, its name, its accessibility.</summary>
internal static class DeclarationCode
{
    /// <summary>Re-opens the declaration's namespace and containing types (as <c>partial</c>); disposing closes them.</summary>
    public static IDisposable OpenContainers(SourceWriter writer, NormalizerSpec spec)
    {
        var scopes = new List<SourceWriter.Scope>();
        if (spec.Namespace is not null)
        {
            scopes.Add(writer.Block($"namespace {spec.Namespace}"));
        }

        foreach (ContainingType type in spec.ContainingTypes)
        {
            scopes.Add(writer.Block($"partial {type.Keyword} {type.Name}"));
        }

        return new Containers(scopes);
    }

    /// <summary>e.g. <c>Demo.Ops&lt;T&gt;.MultiMax2</c>.</summary>
    public static string QualifiedName(NormalizerSpec spec) =>
        string.Join(".", new[] { spec.Namespace }.Concat(spec.ContainingTypes.Select(t => t.Name)).Concat(new[] { spec.MethodName })
            .Where(part => part is not null));

    /// <summary>The declaration's accessibility followed by a space, e.g. <c>"public "</c>, or empty when it has none.</summary>
    public static string AccessibilityPrefix(NormalizerSpec spec)
    {
        string accessibility = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m is "public" or "internal" or "protected" or "private"));
        return accessibility.Length == 0 ? "" : accessibility + " ";
    }

    /// <summary>
    /// The doc comments of a backward pass's own arguments, shared by every backend's <c>Backward</c>
    /// (<c>x, y, dy, dx, rowLength[, parameters, parameterGradients]</c>).
    /// </summary>
    public static void WriteBackwardParameterDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"x\">The forward input.</param>");
        writer.Line("/// <param name=\"y\">The forward output for <paramref name=\"x\"/>.</param>");
        writer.Line("/// <param name=\"dy\">The gradient of the loss with respect to <paramref name=\"y\"/>.</param>");
        writer.Line("/// <param name=\"dx\">Receives the gradient with respect to <paramref name=\"x\"/> (0 at masked entries).</param>");
        writer.Line("/// <param name=\"rowLength\">The number of entries in each row.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameters\">The learnable parameters the forward pass used.</param>");
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the parameter gradients summed over all rows.</param>");
        }
    }

    private sealed class Containers : IDisposable
    {
        private readonly List<SourceWriter.Scope> scopes;

        public Containers(List<SourceWriter.Scope> scopes) => this.scopes = scopes;

        public void Dispose()
        {
            for (int i = scopes.Count - 1; i >= 0; i--)
            {
                scopes[i].Dispose();
            }
        }
    }
}
