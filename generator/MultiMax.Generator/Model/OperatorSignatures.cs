using System.Collections.Generic;
using System.Linq;

namespace MultiMax.Generator.Model;

/// <summary>What an operand of a generated operator is, which decides its type on each <see cref="Surface"/>.</summary>
internal enum OperandKind
{
    /// <summary>Read values of the element type: <c>ReadOnlySpan&lt;T&gt;</c>, a device view.</summary>
    Values,

    /// <summary>Written values: <c>Span&lt;T&gt;</c>, a device view.</summary>
    Written,

    /// <summary>Written values the caller may leave empty (not asked for): <c>= default</c>.</summary>
    OptionalWritten,

    /// <summary>The row length of a row operator: <c>int</c>.</summary>
    RowLength,

    /// <summary><c>AttentionShape</c>.</summary>
    AttentionShape,

    /// <summary><c>CrossEntropyShape</c>.</summary>
    CrossEntropyShape,

    /// <summary>The loss's targets: <c>ReadOnlySpan&lt;long&gt;</c>, a device view of <c>long</c>.</summary>
    Targets,

    /// <summary>Key padding, optional: <c>ReadOnlySpan&lt;bool&gt;</c>, a device view of <c>byte</c> (ILGPU views hold no <c>bool</c>).</summary>
    KeyPaddingMask,

    /// <summary>Whether the attention is causal, optional: <c>bool</c>.</summary>
    Causal,

    /// <summary>The score scale, optional: <c>T?</c>.</summary>
    Scale,

    /// <summary>Every attention option: <c>AttentionOptions&lt;T&gt;</c>, <c>GpuAttentionOptions&lt;T&gt;</c>.</summary>
    AttentionOptions,

    /// <summary>The target that marks an ignored token, optional: <c>long</c>.</summary>
    IgnoreIndex,
}

/// <summary>Where a generated operator is called: on spans (the declaration's partial class) or on ILGPU views (<c>&lt;Name&gt;Gpu</c>).</summary>
internal enum Surface
{
    Span,
    Device,
}

/// <summary>One operand of a generated operator: its name and kind.</summary>
internal readonly record struct Operand(string Name, OperandKind Kind);

/// <summary>
/// The signature of every operator the generator adds beside a declaration, said once: the operands in order, which of
/// them exist only with learnable parameters, and their types on each surface. The emitters print their parameter lists
/// from it and the name-clash check (MMX0021) compares a user's overloads with it, so a new operand is added here alone.
/// </summary>
internal static class OperatorSignatures
{
    /// <summary><c>Backward(x, y, dy, dx, rowLength[, parameters, parameterGradients])</c>.</summary>
    public static Operand[] Backward(bool hasParameters) =>
        Join(
            [new("x", OperandKind.Values), new("y", OperandKind.Values), new("dy", OperandKind.Values), new("dx", OperandKind.Written), new("rowLength", OperandKind.RowLength)],
            hasParameters ? [new("parameters", OperandKind.Values), new("parameterGradients", OperandKind.Written)] : []);

    /// <summary><c>Forward(x, y, rowLength[, parameters])</c> on a device (on spans the forward is the declaration itself).</summary>
    public static Operand[] Forward(bool hasParameters) =>
        Join([new("x", OperandKind.Values), new("y", OperandKind.Written), new("rowLength", OperandKind.RowLength)], Parameters(hasParameters));

    /// <summary><c>Attention(query, key, value, output, logSumExp, shape[, parameters], …)</c>: the settings, or <c>options</c>.</summary>
    public static Operand[] Attention(bool hasParameters, bool options) =>
        Join(
            [new("query", OperandKind.Values), new("key", OperandKind.Values), new("value", OperandKind.Values),
                new("output", OperandKind.Written), new("logSumExp", OperandKind.Written), new("shape", OperandKind.AttentionShape)],
            Parameters(hasParameters),
            options ? [new("options", OperandKind.AttentionOptions)] : Settings);

    /// <summary>
    /// <c>AttentionBackward(query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient,
    /// shape[, parameters, parameterGradients], …)</c>: the settings, or <c>options</c> and the bias's and sinks' gradients.
    /// </summary>
    public static Operand[] AttentionBackward(bool hasParameters, bool options) =>
        Join(
            [new("query", OperandKind.Values), new("key", OperandKind.Values), new("value", OperandKind.Values),
                new("output", OperandKind.Values), new("logSumExp", OperandKind.Values), new("outputGradient", OperandKind.Values),
                new("queryGradient", OperandKind.Written), new("keyGradient", OperandKind.Written), new("valueGradient", OperandKind.Written),
                new("shape", OperandKind.AttentionShape)],
            hasParameters ? [new("parameters", OperandKind.Values), new("parameterGradients", OperandKind.Written)] : [],
            options
                ? [new("options", OperandKind.AttentionOptions), new("biasGradient", OperandKind.OptionalWritten), new("sinkGradient", OperandKind.OptionalWritten)]
                : Settings);

    /// <summary><c>CrossEntropy(hidden, weight, bias, targets, shape[, parameters], ignoreIndex)</c>.</summary>
    public static Operand[] CrossEntropy(bool hasParameters) =>
        Join(LossInputs, Parameters(hasParameters), [new("ignoreIndex", OperandKind.IgnoreIndex)]);

    /// <summary><c>CrossEntropyBackward(hidden, weight, bias, targets, shape[, parameters], hiddenGradient, weightGradient, biasGradient[, parameterGradients], ignoreIndex)</c>.</summary>
    public static Operand[] CrossEntropyBackward(bool hasParameters) =>
        Join(
            LossInputs, Parameters(hasParameters),
            [new("hiddenGradient", OperandKind.Written), new("weightGradient", OperandKind.Written), new("biasGradient", OperandKind.Written)],
            hasParameters ? [new("parameterGradients", OperandKind.Written)] : [],
            [new("ignoreIndex", OperandKind.IgnoreIndex)]);

    /// <summary>The parameter list as generated code declares it: <c>global::System.ReadOnlySpan&lt;float&gt; query, …, bool causal = false</c>.</summary>
    public static string Declaration(IEnumerable<Operand> operands, Surface surface, string elementType) =>
        string.Join(", ", operands.Select(operand => $"{Type(operand.Kind, surface, elementType, qualified: true)} {operand.Name}{Default(operand.Kind)}"));

    /// <summary>The operands' types as Roslyn displays them (<c>System.ReadOnlySpan&lt;float&gt;</c>), to compare with a user's overload.</summary>
    public static IEnumerable<string> DisplayTypes(IEnumerable<Operand> operands, string elementType) =>
        operands.Select(operand => Type(operand.Kind, Surface.Span, elementType, qualified: false));

    private static readonly Operand[] Settings =
        [new("keyPaddingMask", OperandKind.KeyPaddingMask), new("causal", OperandKind.Causal), new("scale", OperandKind.Scale)];

    private static readonly Operand[] LossInputs =
        [new("hidden", OperandKind.Values), new("weight", OperandKind.Values), new("bias", OperandKind.Values),
            new("targets", OperandKind.Targets), new("shape", OperandKind.CrossEntropyShape)];

    private static Operand[] Parameters(bool hasParameters) => hasParameters ? [new("parameters", OperandKind.Values)] : [];

    private static Operand[] Join(params Operand[][] parts) => parts.SelectMany(part => part).ToArray();

    private static string Type(OperandKind kind, Surface surface, string t, bool qualified)
    {
        string global = qualified ? "global::" : "";
        string View(string element) => $"{global}ILGPU.ArrayView<{element}>";
        bool device = surface == Surface.Device;
        return kind switch
        {
            OperandKind.Values => device ? View(t) : $"{global}System.ReadOnlySpan<{t}>",
            OperandKind.Written or OperandKind.OptionalWritten => device ? View(t) : $"{global}System.Span<{t}>",
            OperandKind.RowLength => "int",
            OperandKind.AttentionShape => $"{global}MultiMax.AttentionShape",
            OperandKind.CrossEntropyShape => $"{global}MultiMax.CrossEntropyShape",
            OperandKind.Targets => device ? View("long") : $"{global}System.ReadOnlySpan<long>",
            OperandKind.KeyPaddingMask => device ? View("byte") : $"{global}System.ReadOnlySpan<bool>",
            OperandKind.Causal => "bool",
            OperandKind.Scale => t + "?",
            OperandKind.AttentionOptions => device ? $"{global}MultiMax.Gpu.GpuAttentionOptions<{t}>" : $"{global}MultiMax.AttentionOptions<{t}>",
            _ => "long",
        };
    }

    private static string Default(OperandKind kind) => kind switch
    {
        OperandKind.OptionalWritten or OperandKind.KeyPaddingMask => " = default",
        OperandKind.Causal => " = false",
        OperandKind.Scale => " = null",
        OperandKind.IgnoreIndex => " = -100",
        _ => "",
    };
}
