using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>What every emitter writes about the declaration itself: where it lives, its name, its accessibility.</summary>
internal static class DeclarationCode
{
    /// <summary>
    /// The <c>[GeneratedCode]</c> attribute on every generated member, stamped with the generator's version.
    /// </summary>
    public static readonly string GeneratedCodeAttribute =
        "[global::System.CodeDom.Compiler.GeneratedCode(\"MultiMax.Generator\", \"" + ThisAssembly.Version + "\")]";

    /// <summary>Re-opens the declaration's namespace and containing types (as <c>partial</c>); disposing closes them.</summary>
    public static IDisposable OpenContainers(SourceWriter writer, NormalizerSpec spec)
    {
        var scopes = new List<SourceWriter.Scope>();
        if (spec.Namespace is not null)
        {
            scopes.Add(writer.Block($"namespace {Identifiers.EscapeNamespace(spec.Namespace)}"));
        }

        foreach (ContainingType type in spec.ContainingTypes)
        {
            scopes.Add(writer.Block($"partial {type.Keyword} {TypeName(type, withVariance: true)}"));
        }

        return new Containers(scopes);
    }

    /// <summary>
    /// The fully qualified, escaped name of the type that receives the generated members, e.g. <c>global::Demo.Ops&lt;T&gt;</c>:
    /// generated code refers to them through it, so that no member of the user's (or of a base class) can capture the
    /// name.
    /// </summary>
    public static string HostType(NormalizerSpec spec) =>
        "global::" + string.Join(".",
            (spec.Namespace is null ? Enumerable.Empty<string>() : new[] { Identifiers.EscapeNamespace(spec.Namespace) })
            .Concat(spec.ContainingTypes.Select(type => TypeName(type, withVariance: false))));

    /// <summary>A generated member of the receiving type, fully qualified: <c>global::Demo.Ops.MultiMax2Function</c>.</summary>
    public static string HostMember(NormalizerSpec spec, string name) => $"{HostType(spec)}.{Identifiers.Escape(name)}";

    /// <summary>
    /// A span operator of the normalizer, fully qualified: <c>global::Demo.Ops.MultiMax2</c> or <c>…MultiMax2Backward</c>,
    /// in the declaring type — which for a normalizer imported with <c>[NormalizersFrom]</c> is not the receiving one.
    /// </summary>
    public static string Operator(NormalizerSpec spec, string name) => $"{spec.DeclaringType ?? HostType(spec)}.{Identifiers.Escape(name)}";

    /// <summary>
    /// The normalizer as a header names it: <c>Demo.Ops&lt;T&gt;.MultiMax2</c>, or for an import
    /// <c>MultiMax.Normalizers.MultiMax2 in MultiMax.Torch.TorchNormalizers</c>.
    /// </summary>
    public static string Describe(NormalizerSpec spec) =>
        spec.DeclaringType is null
            ? QualifiedName(spec)
            : $"{spec.DeclaringType.Replace("global::", "")}.{spec.MethodName} in {HostName(spec)}";

    /// <summary>The receiving type as people read it, e.g. <c>Demo.Ops&lt;T&gt;</c>.</summary>
    private static string HostName(NormalizerSpec spec) =>
        string.Join(".", new[] { spec.Namespace }.Concat(spec.ContainingTypes.Select(t => t.DisplayName)).Where(part => part is not null));

    /// <summary>e.g. <c>Demo.Ops&lt;T&gt;.MultiMax2</c>, for comments and file names.</summary>
    public static string QualifiedName(NormalizerSpec spec) => $"{HostName(spec)}.{spec.MethodName}".TrimStart('.');

    /// <summary>The declaration's accessibility followed by a space, e.g. <c>"public "</c>, or empty when it has none.</summary>
    public static string AccessibilityPrefix(NormalizerSpec spec)
    {
        string accessibility = string.Join(" ", spec.Modifiers.Split(' ').Where(m => m is "public" or "internal" or "protected" or "private"));
        return accessibility.Length == 0 ? "" : accessibility + " ";
    }

    /// <summary><c>"this "</c> for an extension method's first parameter, else empty.</summary>
    public static string FirstParameterPrefix(NormalizerSpec spec) => spec.IsExtension ? "this " : "";

    /// <summary>
    /// A cref to the declared span method that names its overload, e.g. <c>Soft(ReadOnlySpan{float}, Span{float}, int)</c>;
    /// qualified when the method is imported from another type.
    /// </summary>
    public static string ForwardCref(NormalizerSpec spec)
    {
        string t = spec.ElementType.Keyword();
        string method = spec.DeclaringType is null
            ? Identifiers.Escape(spec.MethodName)
            : Operator(spec, spec.MethodName).Replace('<', '{').Replace('>', '}');
        return $"{method}(global::System.ReadOnlySpan{{{t}}}, global::System.Span{{{t}}}, int"
            + (spec.Names.Parameters is null ? ")" : $", global::System.ReadOnlySpan{{{t}}})");
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

    /// <summary>
    /// A containing type escaped, with its type parameters: with their variance to re-declare the type, without it to
    /// refer to the type. Attributes on type parameters are left out: the user's declaration already applies them.
    /// </summary>
    private static string TypeName(ContainingType type, bool withVariance) =>
        type.TypeParameters.IsEmpty
            ? Identifiers.Escape(type.Name)
            : $"{Identifiers.Escape(type.Name)}<{string.Join(", ", type.TypeParameters.Select(p => TypeParameter(p, withVariance)))}>";

    private static string TypeParameter(string parameter, bool withVariance)
    {
        foreach (string variance in new[] { "in ", "out " })
        {
            if (parameter.StartsWith(variance, StringComparison.Ordinal))
            {
                string name = Identifiers.Escape(parameter.Substring(variance.Length));
                return withVariance ? variance + name : name;
            }
        }

        return Identifiers.Escape(parameter);
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

    /// <summary>The parameter docs of a fused attention operator's inputs, on spans or on device views alike (<paramref name="groupedHeads"/>: whether key and value may have fewer heads).</summary>
    public static void WriteAttentionInputDocs(SourceWriter writer, NormalizerSpec spec, bool groupedHeads)
    {
        writer.Line("/// <param name=\"query\">[batch, heads, queries, headSize], row-major.</param>");
        if (groupedHeads)
        {
            writer.Line("/// <param name=\"key\">[batch, kvHeads, keys, headSize], kvHeads = <c>shape.KeyValueHeads</c>.</param>");
            writer.Line("/// <param name=\"value\">[batch, kvHeads, keys, headSize].</param>");
        }
        else
        {
            writer.Line("/// <param name=\"key\">[batch, heads, keys, headSize].</param>");
            writer.Line("/// <param name=\"value\">[batch, heads, keys, headSize].</param>");
        }

        writer.Line("/// <param name=\"shape\">The batch, head, query and key counts and the head size.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameters\">σ's learnable parameters, in the layout of the row operator.</param>");
        }
    }

    /// <summary>
    /// The docs of a fused attention forward's results: with <paramref name="options"/> the log-sum-exp counts the sinks an
    /// options overload may be given.
    /// </summary>
    public static void WriteAttentionOutputDocs(SourceWriter writer, bool options)
    {
        writer.Line("/// <param name=\"output\">Receives [batch, heads, queries, headSize]; a query with no visible key gets 0.</param>");
        writer.Line(options
            ? "/// <param name=\"logSumExp\">Receives [batch, heads, queries]: log(Σ exp σ + exp sink) per query (−∞ with no visible key and no sink), for the backward.</param>"
            : "/// <param name=\"logSumExp\">Receives [batch, heads, queries]: log Σ exp σ per query (−∞ with no visible key), for the backward.</param>");
    }

    /// <summary>The parameter docs every fused attention backward shares: the forward's results, the upstream gradient and what is written.</summary>
    public static void WriteAttentionBackwardDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"output\">The forward's output.</param>");
        writer.Line("/// <param name=\"logSumExp\">The forward's log-sum-exp.</param>");
        writer.Line("/// <param name=\"outputGradient\">The gradient of the loss with respect to <paramref name=\"output\"/>.</param>");
        writer.Line("/// <param name=\"queryGradient\">Receives the gradient with respect to <paramref name=\"query\"/>.</param>");
        writer.Line("/// <param name=\"keyGradient\">Receives the gradient with respect to <paramref name=\"key\"/>, summed over each group's query heads in order.</param>");
        writer.Line("/// <param name=\"valueGradient\">Receives the gradient with respect to <paramref name=\"value\"/>, likewise.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the parameter gradients, summed over every score; the same bits on every run.</param>");
        }
    }

    /// <summary>The parameter docs of the bias's and sinks' gradients, which an options backward writes when they are not empty.</summary>
    public static void WriteAttentionOptionGradientDocs(SourceWriter writer)
    {
        writer.Line("/// <param name=\"biasGradient\">Empty, or receives the bias's gradient in its own shape, summed over its broadcast extents in a fixed order.</param>");
        writer.Line("/// <param name=\"sinkGradient\">Empty, or receives the sinks' gradient [heads]: −Σ P_sink·D over each head's queries, in a fixed order.</param>");
    }

    /// <summary>The parameter docs of a fused loss's gradients, on spans or on device views alike.</summary>
    public static void WriteCrossEntropyGradientDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"hiddenGradient\">Receives [tokens, dim]; an ignored token's row is 0.</param>");
        writer.Line("/// <param name=\"weightGradient\">Receives [vocab, dim].</param>");
        writer.Line("/// <param name=\"biasGradient\">Receives [vocab]; empty when <paramref name=\"bias\"/> is.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the gradients of σ's parameters.</param>");
        }
    }

    /// <summary>The parameter docs of a fused attention operator's settings; <paramref name="maskEntries"/> says how padding is marked.</summary>
    public static void WriteAttentionSettingDocs(SourceWriter writer, string maskEntries)
    {
        writer.Line($"/// <param name=\"keyPaddingMask\">Empty, or [batch, keys] with {maskEntries} where a key is padding: it gets no weight, and its key and value rows are never read (a NaN there reaches nothing).</param>");
        writer.Line("/// <param name=\"causal\">Whether query i sees only keys j ≤ i.</param>");
        writer.Line("/// <param name=\"scale\">The score scale; 1/√headSize when null. A score that comes out −∞ is masked, as a padding key is.</param>");
    }

    /// <summary>The parameter docs of a fused loss's inputs, on spans or on device views alike.</summary>
    public static void WriteCrossEntropyInputDocs(SourceWriter writer, NormalizerSpec spec)
    {
        writer.Line("/// <param name=\"hidden\">[tokens, dim], row-major.</param>");
        writer.Line("/// <param name=\"weight\">[vocab, dim].</param>");
        writer.Line("/// <param name=\"bias\">[vocab], or empty for none. A bias of −∞ forbids a class: probability 0, gradient 0.</param>");
        writer.Line("/// <param name=\"targets\">[tokens]: a class in [0, vocab), or <paramref name=\"ignoreIndex\"/>.</param>");
        writer.Line("/// <param name=\"shape\">The token count, dim and vocabulary size.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameters\">σ's learnable parameters, in the layout of the row operator.</param>");
        }

        writer.Line("/// <param name=\"ignoreIndex\">A target that marks a token to leave out of the loss and its mean.</param>");
    }
}
