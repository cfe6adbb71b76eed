using Microsoft.CodeAnalysis;

namespace MultiMax.Generator.Diagnostics;

/// <summary>Every diagnostic MultiMax.Generator reports. Ids are stable: add new ones at the end.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "MultiMax.Declaration";

    private const string Signature =
        "void Name(ReadOnlySpan<T> x, Span<T> y, int rowLength[, ReadOnlySpan<T> parameters]) with T float or double";

    public static readonly DiagnosticDescriptor MethodNotPartial = Error(
        "MMX0001",
        "Normalizer method must be partial",
        "Normalizer method '{0}' must be declared 'partial' so that MultiMax can generate its body");

    public static readonly DiagnosticDescriptor MethodNotStatic = Error(
        "MMX0002",
        "Normalizer method must be static",
        "Normalizer method '{0}' must be 'static': a normalizer has no instance state");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
        "MMX0003",
        "Type containing a normalizer must be partial",
        "Type '{0}' must be declared 'partial' because it contains the normalizer method '{1}'");

    public static readonly DiagnosticDescriptor UnsupportedElementType = Error(
        "MMX0004",
        "Unsupported element type",
        "Normalizer method '{0}' works on '{1}', which is not supported: use float or double");

    public static readonly DiagnosticDescriptor InvalidSignature = Error(
        "MMX0005",
        "Normalizer method has the wrong signature",
        "Normalizer method '{0}' must have the signature " + Signature);

    public static readonly DiagnosticDescriptor UnexpectedParametersArgument = Error(
        "MMX0006",
        "Normalizer without learnable parameters takes a parameters argument",
        "Normalizer method '{0}' has no learnable parameter, so it must not take the argument '{1}'");

    public static readonly DiagnosticDescriptor MissingParametersArgument = Error(
        "MMX0007",
        "Normalizer with learnable parameters lacks the parameters argument",
        "Normalizer method '{0}' has {1} learnable parameter(s), so it must end with a 'ReadOnlySpan<{2}> parameters' argument");

    public static readonly DiagnosticDescriptor InvalidPower = Error(
        "MMX0008",
        "Term power out of range",
        "The power of a [{0}] term must be between 1 and {2}, but is {1}");

    public static readonly DiagnosticDescriptor InvalidOrder = Error(
        "MMX0009",
        "Normalizer order out of range",
        "Order must be between 0 and {1}, but is {0}");

    public static readonly DiagnosticDescriptor NonFiniteConstant = Error(
        "MMX0010",
        "Term constant is not finite",
        "The {0} of a [{1}] term must be a finite {3}, but is {2}");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "MMX0011",
        "Normalizer method must not be generic",
        "Normalizer method '{0}' must not be generic: declare one method per element type (float or double)");

    public static readonly DiagnosticDescriptor MethodHasBody = Error(
        "MMX0012",
        "Normalizer method must not have a body",
        "Normalizer method '{0}' must be a declaration without a body: MultiMax generates the implementation");

    public static readonly DiagnosticDescriptor TermWithoutNormalizer = Warning(
        "MMX0013",
        "Modulator term without [Normalizer]",
        "[{0}] on method '{1}' has no effect because the method has no [Normalizer] attribute");

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error(
        "MMX0014",
        "C# 11 or later is required",
        "Normalizer method '{0}' needs C# 11 or later (the generated kernels use file-local types and static abstract interface members), but the project uses C# {1}");

    public static readonly DiagnosticDescriptor OverloadModulatorMismatch = Error(
        "MMX0015",
        "Overloads of a normalizer declare different modulators",
        "Normalizer method '{0}' declares a different modulator from its overload '{1}': overloads share the generated Function, Module and GPU classes, so their [Normalizer], [Below] and [Above] attributes must match");

    public static readonly DiagnosticDescriptor TorchSharpWithoutMultiMaxTorch = Warning(
        "MMX0016",
        "TorchSharp is referenced without MultiMax.Torch",
        "The project references TorchSharp but not MultiMax.Torch, so no <Name>Function or <Name>Module is generated; reference the MultiMax.Torch package to get them");

    public static readonly DiagnosticDescriptor IlgpuWithoutMultiMaxGpu = Warning(
        "MMX0017",
        "ILGPU is referenced without MultiMax.Gpu",
        "The project references ILGPU but not MultiMax.Gpu, so no <Name>Gpu class is generated; reference the MultiMax.Gpu package to get them");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
}
