using Microsoft.CodeAnalysis;

namespace MultiMax.Generator.Diagnostics;

/// <summary>
/// Every diagnostic MultiMax.Generator reports, with its title, message, description and help link (its own heading
/// of docs/diagnostics.md, with a bad and a fixed example). Ids are stable: add new ones at the end, to
/// AnalyzerReleases.Unshipped.md, and a heading to docs/diagnostics.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "MultiMax.Declaration";

    /// <summary>The diagnostics help page; each descriptor links to its id's heading on it.</summary>
    public const string HelpPage = "https://github.com/multimax-net/MultiMax.NET/blob/main/docs/diagnostics.md";

    private const string Signature =
        "void Name(ReadOnlySpan<T> x, Span<T> y, int rowLength[, ReadOnlySpan<T> parameters]) with T float or double";

    public static readonly DiagnosticDescriptor MethodNotPartial = Error(
        "MMX0001",
        "Normalizer method must be partial",
        "Normalizer method '{0}' must be declared 'partial' so that MultiMax can generate its body",
        "The generator implements a [Normalizer] method by adding the implementing part of a partial method.");

    public static readonly DiagnosticDescriptor MethodNotStatic = Error(
        "MMX0002",
        "Normalizer method must be static",
        "Normalizer method '{0}' must be 'static': a normalizer has no instance state",
        "A normalizer is a pure function of its spans; its state (the learnable parameters) is passed in.");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(
        "MMX0003",
        "Type containing a normalizer must be partial",
        "Type '{0}' must be declared 'partial' because it contains the normalizer method '{1}'",
        "The generated implementation and its companions (Backward, Parameters, …) are added to every enclosing type, which must therefore be partial.");

    public static readonly DiagnosticDescriptor UnsupportedElementType = Error(
        "MMX0004",
        "Unsupported element type",
        "Normalizer method '{0}' works on '{1}', which is not supported: use float or double",
        "The kernels are generated for float and double; declare one overload per element type.");

    public static readonly DiagnosticDescriptor InvalidSignature = Error(
        "MMX0005",
        "Normalizer method has the wrong signature",
        "Normalizer method '{0}' must have the signature " + Signature + ", but {1}",
        "Parameters may have any names and may be 'scoped'; none may be ref, in, out or params.");

    public static readonly DiagnosticDescriptor UnexpectedParametersArgument = Error(
        "MMX0006",
        "Normalizer without learnable parameters takes a parameters argument",
        "Normalizer method '{0}' has no learnable parameter, so it must not take the argument '{1}'",
        "The parameters argument exists exactly when something is learnable: an Order above 0, Affine, or a term without a constant Coefficient or Threshold.");

    public static readonly DiagnosticDescriptor MissingParametersArgument = Error(
        "MMX0007",
        "Normalizer with learnable parameters lacks the parameters argument",
        "Normalizer method '{0}' has {1}, so it must end with a 'ReadOnlySpan<{2}> parameters' argument",
        "The parameters argument exists exactly when something is learnable; its layout is the learnable coefficients, then the learnable thresholds, then scale and shift.");

    public static readonly DiagnosticDescriptor InvalidPower = Error(
        "MMX0008",
        "Term power out of range",
        "The power of the [{0}] term must be between 1 and {2}, but is {1}",
        "Powers are unrolled into products in the generated code, so they are kept small.");

    public static readonly DiagnosticDescriptor InvalidOrder = Error(
        "MMX0009",
        "Normalizer order out of range",
        "Order must be between 0 and {1}, but is {0}",
        "Order N adds the paper's learnable terms Below(n) and Above(n) for n = 1..N.");

    public static readonly DiagnosticDescriptor NonFiniteConstant = Error(
        "MMX0010",
        "Term constant is not finite",
        "The {0} of the [{1}] term must be a finite {3}, but is {2}",
        "Constants are folded into the kernels in the element type: 1e300 is a finite double but an infinite float.");

    public static readonly DiagnosticDescriptor GenericMethod = Error(
        "MMX0011",
        "Normalizer method must not be generic",
        "Normalizer method '{0}' must not be generic: declare one method per element type (float or double)",
        "Each kernel is specialised to its element type; overloads of one name share the TorchSharp and GPU classes.");

    public static readonly DiagnosticDescriptor MethodHasBody = Error(
        "MMX0012",
        "Normalizer method must not have an implementation",
        "Normalizer method '{0}' must be declared without an implementation (a body, 'extern', or a second partial part): MultiMax generates it",
        "The generator writes the implementing part of the partial method; a second one would conflict with it.");

    public static readonly DiagnosticDescriptor TermWithoutNormalizer = Warning(
        "MMX0013",
        "Modulator term without [Normalizer]",
        "[{0}] on method '{1}' has no effect because the method has no [Normalizer] attribute",
        "[Below] and [Above] describe terms of a normalizer's σ and are read only together with [Normalizer].");

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error(
        "MMX0014",
        "C# 11 or later is required",
        "Normalizer method '{0}' needs C# 11 or later (the generated kernels use file-local types and static abstract interface members), but the project uses C# {1}",
        "Set <LangVersion> to 11 or later (the .NET 7+ SDKs default to it).");

    public static readonly DiagnosticDescriptor OverloadModulatorMismatch = Error(
        "MMX0015",
        "Overloads of a normalizer declare different modulators",
        "Normalizer method '{0}' declares a different modulator from its overload '{1}': overloads share the generated Function, Module and GPU classes, so their [Normalizer], [Below] and [Above] attributes must match",
        "The float and double overloads of one name are one normalizer: give a different modulator a different name.");

    public static readonly DiagnosticDescriptor TorchSharpWithoutMultiMaxTorch = Warning(
        "MMX0016",
        "TorchSharp is referenced without MultiMax.Torch",
        "The project references TorchSharp but not MultiMax.Torch, so no <Name>Function or <Name>Module is generated; reference the MultiMax.Torch package to get them",
        "The generated TorchSharp classes call MultiMax.Torch's runtime; without it only the span operators are generated.");

    public static readonly DiagnosticDescriptor IlgpuWithoutMultiMaxGpu = Warning(
        "MMX0017",
        "ILGPU is referenced without MultiMax.Gpu",
        "The project references ILGPU but not MultiMax.Gpu, so no <Name>Gpu class is generated; reference the MultiMax.Gpu package to get them",
        "The generated ILGPU classes call MultiMax.Gpu's runtime; without it only the span operators are generated.");

    public static readonly DiagnosticDescriptor UnsupportedContainingType = Error(
        "MMX0018",
        "Normalizer in a type the generated code cannot extend",
        "Normalizer method '{0}' is declared in '{1}', {2}; declare it in another type",
        "Generated code lives in a file of its own and adds nested classes: a file-local type is invisible there, and an interface with in/out type parameters cannot hold nested classes.");

    public static readonly DiagnosticDescriptor InvalidOutput = Error(
        "MMX0019",
        "Output is not a NormalizerOutput value",
        "Output must be NormalizerOutput.Probabilities or NormalizerOutput.LogProbabilities, but is {0}",
        "A value cast from an integer that names no NormalizerOutput member has no meaning to generate.");

    public static readonly DiagnosticDescriptor SlopeOverflow = Error(
        "MMX0020",
        "Term slope overflows the element type",
        "The slope Coefficient × power of the [{0}] term is {1} × {2}, which is not a finite {3}: σ′ would be infinite or NaN; use a smaller coefficient or power",
        "σ′ folds the constant Coefficient × power into the code; it must be finite in the element type.");

    public static readonly DiagnosticDescriptor GeneratedNameTaken = Error(
        "MMX0021",
        "A generated member's name is taken",
        "Normalizer method '{0}' needs the name '{1}' for its generated {2}, but {3}; rename one of them",
        "The generator adds <Name>Backward and <Name>Parameters beside every normalizer, and <Name>Function, <Name>Module (TorchSharp) and <Name>Gpu (ILGPU) when those backends are referenced; the last three are reported only where their backend is.");

    public static readonly DiagnosticDescriptor NothingToImport = Warning(
        "MMX0022",
        "[NormalizersFrom] imports nothing",
        "[NormalizersFrom] on '{0}' imports nothing from '{1}': {2}",
        "[NormalizersFrom(typeof(T))] gives the marked class the TorchSharp and ILGPU faces of T's [Normalizer] methods; T must be another type (constructed if generic) that declares some, accessible from the marked class.");

    public static readonly DiagnosticDescriptor ModulatorNotFound = Error(
        "MMX0023",
        "Modulator method not found",
        "The modulator '{0}' of '{1}' must name one method of '{2}', but {3}",
        "[Normalizer(Modulator = nameof(M))] names a static method M of the normalizer's own class whose expression is σ; it must exist and not be overloaded.");

    public static readonly DiagnosticDescriptor ModulatorNotStatic = Error(
        "MMX0024",
        "Modulator method must be static",
        "The modulator method '{0}' must be 'static': σ is a pure function of x and its parameters",
        "The generator reads a modulator method's expression and prints it into kernels; it has no instance to read from.");

    public static readonly DiagnosticDescriptor InvalidModulatorSignature = Error(
        "MMX0025",
        "Modulator method has the wrong signature or body",
        "The modulator method '{0}' must be 'static double {0}(double x, double p1 = init1, …)' with one expression as its body, but {1}",
        "x comes first; every other parameter is learnable and its default is its initial value. The body is '=> expression' or one 'return expression;'.");

    public static readonly DiagnosticDescriptor ModulatorWithTerms = Error(
        "MMX0026",
        "Modulator combined with terms",
        "Normalizer method '{0}' names a Modulator and also declares {1}: σ is either the modulator's expression or a sum of terms",
        "A modulator written as C# replaces Order, Affine, [Below] and [Above]; write any of them into the expression instead.");

    public static readonly DiagnosticDescriptor UnsupportedModulatorSyntax = Error(
        "MMX0027",
        "Unsupported construct in a modulator",
        "'{0}' is not supported in the modulator '{1}': {2}",
        "A modulator expression may use x, its parameters, numeric literals and const fields, + − * /, unary minus, Math.Exp/Log/Tanh/Sqrt/Abs/Max/Min, Math.Pow(e, n) with an integer literal n, and c ? a : b where c compares two expressions with <, <=, > or >=.");

    public static readonly DiagnosticDescriptor ModulatorParameterWithoutDefault = Error(
        "MMX0028",
        "Modulator parameter without a finite default",
        "The learnable parameter '{0}' of the modulator '{1}' needs a default value that is a finite {2}: it is the parameter's initial value",
        "Every parameter of a modulator method after x is learnable; its default value initialises it (the TorchSharp module's parameter of the same name).");

    /// <summary>The heading of <paramref name="id"/> on the help page: GitHub's anchor of "## MMX0001" is "mmx0001".</summary>
    private static string HelpLinkFor(string id) => HelpPage + "#" + id.ToLowerInvariant();

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description, HelpLinkFor(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLinkFor(id));
}
