using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ApprovalTests.Namers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Diagnostics;

/// <summary>
/// One test per diagnostic, each pinned by a snapshot of what the user sees: id, severity, the source the location
/// points at, and the message (<c>DiagnosticTests.&lt;Test&gt;.approved.txt</c>). A declaration with an error gets no
/// generated code. Every compilation references MultiMax.Torch and MultiMax.Gpu, so every backend's checks run.
/// </summary>
public class DiagnosticTests
{
    [Fact]
    public void MMX0001_MethodNotPartial() => Verify(
        "[Normalizer] public static void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }");

    [Fact]
    public void MMX0002_MethodNotStatic() => Verify(
        "[Normalizer] public partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeModifiers: "public partial class");

    [Fact]
    public void MMX0003_ContainingTypeNotPartial() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeModifiers: "public static class");

    [Fact]
    public void MMX0004_UnsupportedElementType() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<Half> x, Span<Half> y, int rowLength);");

    /// <summary>Without an access modifier a partial void method may go unimplemented: no CS8795, so no word about it.</summary>
    [Fact]
    public void MMX0004_WithoutAnAccessModifierNoCS8795IsExplained() => Verify(
        "[Normalizer] static partial void Soft(ReadOnlySpan<Half> x, Span<Half> y, int rowLength);");

    [Theory]
    [InlineData("ReturnsInt", "public static partial int Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);")]
    [InlineData("WritableInput", "public static partial void Soft(Span<float> x, Span<float> y, int rowLength);")]
    [InlineData("MixedElementTypes", "public static partial void Soft(ReadOnlySpan<float> x, Span<double> y, int rowLength);")]
    [InlineData("LongRowLength", "public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, long rowLength);")]
    [InlineData("NoRowLength", "public static partial void Soft(ReadOnlySpan<float> x, Span<float> y);")]
    [InlineData("RefRowLength", "public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, ref int rowLength);")]
    [InlineData("Arrays", "public static partial void Soft(float[] x, float[] y, int rowLength);")]
    public void MMX0005_InvalidSignature(string scenario, string declaration) => Verify("[Normalizer] " + declaration, scenario: scenario);

    [Fact]
    public void MMX0006_UnexpectedParametersArgument() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> weights);");

    [Fact]
    public void MMX0007_MissingParametersArgument() => Verify(
        "[Normalizer(Order = 2)] public static partial void Multi(ReadOnlySpan<float> x, Span<float> y, int rowLength);");

    [Theory]
    [InlineData("Zero", "Below(0, Coefficient = 1, Threshold = 0)")]
    [InlineData("Nine", "Above(9, Coefficient = 1, Threshold = 0)")]
    public void MMX0008_InvalidPower(string scenario, string term) => Verify(
        $"[Normalizer] [{term}] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", scenario: scenario);

    [Theory]
    [InlineData("Negative", -1)]
    [InlineData("Nine", 9)]
    public void MMX0009_InvalidOrder(string scenario, int order) => Verify(
        $"[Normalizer(Order = {order})] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", scenario: scenario);

    /// <summary>An invalid Order leaves the parameter count unknown: no second diagnostic about the parameters argument.</summary>
    [Fact]
    public void MMX0009_InvalidOrderWithAParametersArgumentIsReportedAlone() => Verify(
        "[Normalizer(Order = 9)] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);");

    [Theory]
    [InlineData("NaNCoefficient", "double", "Coefficient = double.NaN, Threshold = 0")]
    [InlineData("InfiniteThreshold", "double", "Coefficient = 1, Threshold = double.PositiveInfinity")]
    [InlineData("InfiniteAsFloat", "float", "Coefficient = 1e300, Threshold = 0")]
    public void MMX0010_NonFiniteConstant(string scenario, string type, string arguments) => Verify(
        $"[Normalizer] [Below(1, {arguments})] public static partial void Soft(ReadOnlySpan<{type}> x, Span<{type}> y, int rowLength);",
        scenario: scenario);

    [Fact]
    public void MMX0011_GenericMethod() => Verify(
        "[Normalizer] public static partial void Soft<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength);");

    [Theory]
    [InlineData("Body", "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }")]
    [InlineData("Extern", "[Normalizer] public static extern partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);")]
    [InlineData("ImplementingPart", """
        [Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);
            public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }
        """)]
    public void MMX0012_MethodHasImplementation(string scenario, string member) => Verify(member, scenario: scenario);

    [Fact]
    public void MMX0013_TermWithoutNormalizer() => Verify(
        "[Below(1)] public static void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }");

    /// <summary>A second defining declaration is the compiler's CS0756; the generator adds nothing misleading to it.</summary>
    [Fact]
    public void DuplicateDefiningDeclarationGetsNoGeneratorDiagnostic()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend(Wrap("""
            [Normalizer] [Below(1)] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
                [Normalizer] [Below(1)] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            """, "public static partial class")));
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void MMX0014_LanguageVersionTooLow()
    {
        string source = Wrap("[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", "public static partial class");
        (GeneratorRunResult result, _) = GeneratorHarness.Run(new CSharpParseOptions(LanguageVersion.CSharp10), source);
        Assert.Empty(result.GeneratedSources);
        Snapshot.Verify(Describe(result.Diagnostics, source), ".txt");
    }

    [Fact]
    public void MMX0015_OverloadModulatorMismatch() => Verify("""
        [Normalizer(Order = 2)] public static partial void Mixed(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            [Normalizer(Order = 1)] public static partial void Mixed(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        """);

    [Fact]
    public void MMX0018_FileLocalContainingType() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeModifiers: "file static partial class");

    [Fact]
    public void MMX0018_VariantInterface() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeModifiers: "public partial interface", typeName: "IOps<in T>");

    [Fact]
    public void MMX0019_InvalidOutput() => Verify(
        "[Normalizer(Output = (NormalizerOutput)7)] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);");

    [Theory]
    [InlineData("Float", "float", "Above(8, Coefficient = 1e38)")]
    [InlineData("Double", "double", "Above(2, Coefficient = 1e308)")]
    public void MMX0020_SlopeOverflow(string scenario, string type, string term) => Verify(
        $"[Normalizer] [{term}] public static partial void Soft(ReadOnlySpan<{type}> x, Span<{type}> y, int rowLength, ReadOnlySpan<{type}> parameters);",
        scenario: scenario);

    /// <summary>
    /// A name the span side needs is an error (nothing is generated); a name only TorchSharp or ILGPU needs leaves that
    /// backend out for this normalizer, and the rest (CPU kernels, layout, the other backend) is generated.
    /// </summary>
    [Theory]
    [InlineData("BackwardField", "public static int SoftBackward;", 0)]
    [InlineData("BackwardSameSignature", "public static void SoftBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> d, int e) { }", 0)]
    [InlineData("AttentionProperty", "public static int SoftAttention => 0;", 0)]
    [InlineData("AttentionSameSignature", "public static void SoftAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, Span<float> l, MultiMax.AttentionShape s, ReadOnlySpan<bool> m, bool c, float? a) { }", 0)]
    [InlineData("AttentionOptionsSameSignature", "public static void SoftAttention(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, Span<float> l, MultiMax.AttentionShape s, MultiMax.AttentionOptions<float> options) { }", 0)]
    [InlineData("AttentionBackwardClass", "public sealed class SoftAttentionBackward { }", 0)]
    [InlineData("ParametersProperty", "public static int SoftParameters => 0;", 0)]
    [InlineData("ModuleClass", "public sealed class SoftModule { }", 3)]
    [InlineData("FunctionMethod", "public static void SoftFunction() { }", 3)]
    [InlineData("GpuClass", "public static class SoftGpu { }", 3)]
    public void MMX0021_GeneratedNameTaken(string scenario, string member, int files) => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);\n    " + member, scenario: scenario, files: files);

    [Fact]
    public void MMX0021_ContainingTypeHasTheGeneratedName() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeName: "SoftGpu", files: 3);

    [Fact]
    public void MMX0021_TypeParameterHasTheGeneratedName() => Verify(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", typeName: "Ops<SoftModule>", files: 3);

    private const string Capped = "public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);";

    [Theory]
    [InlineData("Missing", "")]
    [InlineData("Overloaded", "static double SoftCap(double x, double cap = 30) => x; static double SoftCap(float x) => x;")]
    [InlineData("Property", "static double SoftCap => 1;")]
    public void MMX0023_ModulatorNotFound(string scenario, string members) => Verify(
        $"[Normalizer(Modulator = \"SoftCap\")] {Capped}\n    {members}", scenario: scenario);

    [Fact]
    public void MMX0024_ModulatorNotStatic() => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] {Capped}\n    double SoftCap(double x, double cap = 30) => cap * Math.Tanh(x / cap);",
        typeModifiers: "public partial class");

    [Theory]
    [InlineData("ReturnsFloat", "static float SoftCap(double x, double cap = 30) => (float)x;")]
    [InlineData("FloatParameter", "static double SoftCap(double x, float cap = 30) => x;")]
    [InlineData("RefParameter", "static double SoftCap(ref double x, double cap = 30) => x;")]
    [InlineData("NoParameter", "static double SoftCap() => 1;")]
    [InlineData("Statements", "static double SoftCap(double x, double cap = 30) { double y = x / cap; return y; }")]
    [InlineData("Generic", "static double SoftCap<T>(double x, double cap = 30) => x;")]
    public void MMX0025_InvalidModulatorSignature(string scenario, string method) => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] {Capped}\n    {method}", scenario: scenario);

    [Theory]
    [InlineData("Order", "Order = 2, ")]
    [InlineData("AffineAndTerms", "Affine = true, ", "[Above(1)] ")]
    public void MMX0026_ModulatorWithTerms(string scenario, string arguments, string terms = "") => Verify(
        $"[Normalizer({arguments}Modulator = nameof(SoftCap))] {terms}{Capped}\n    static double SoftCap(double x, double cap = 30) => cap * Math.Tanh(x / cap);",
        scenario: scenario);

    /// <summary>Every unsupported construct is reported at its own syntax, all at once.</summary>
    [Theory]
    [InlineData("Call", "Helper(x) + cap")]
    [InlineData("OtherMathFunction", "Math.Sin(x) * cap")]
    [InlineData("NonIntegerPower", "Math.Pow(x, 2.5) + cap")]
    [InlineData("PowerOfAParameter", "Math.Pow(x, cap)")]
    [InlineData("Modulo", "x % cap")]
    [InlineData("EqualityCondition", "x == cap ? x : 0")]
    [InlineData("Field", "x * Field + cap")]
    [InlineData("Several", "Math.Sinh(x) + cap * Field - (x > 0 && cap > 0 ? x : 0)")]
    public void MMX0027_UnsupportedModulatorSyntax(string scenario, string expression) => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] {Capped}\n    static double SoftCap(double x, double cap = 30) => {expression};\n    static double Field = 2;\n    static double Helper(double v) => v;",
        scenario: scenario);

    /// <summary>A modulator nested deeper than the reader walks is refused at the depth it stops, not with a crash.</summary>
    [Fact]
    public void MMX0027_ModulatorNestedTooDeeply() => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] {Capped}\n    static double SoftCap(double x, double cap = 30) => {string.Concat(Enumerable.Repeat("(x + ", 450))}cap{new string(')', 450)};");

    [Theory]
    [InlineData("NoDefault", "double", "static double SoftCap(double x, double cap) => cap * Math.Tanh(x / cap);")]
    [InlineData("NaNDefault", "double", "static double SoftCap(double x, double cap = double.NaN) => cap * Math.Tanh(x / cap);")]
    [InlineData("InfiniteAsFloat", "float", "static double SoftCap(double x, double cap = 1e300) => cap * Math.Tanh(x / cap);")]
    public void MMX0028_ModulatorParameterWithoutDefault(string scenario, string type, string method) => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] public static partial void Capped(ReadOnlySpan<{type}> x, Span<{type}> y, int rowLength, ReadOnlySpan<{type}> parameters);\n    {method}",
        scenario: scenario);

    /// <summary>An argument named like a member of the TorchSharp module leaves out that backend only: 3 files, no module.</summary>
    [Theory]
    [InlineData("ModuleMember", "static double SoftCap(double x, double forward = 30) => forward * Math.Tanh(x / forward);")]
    [InlineData("BackingField", "static double SoftCap(double x, double cap = 30, double θ0_cap = 1) => cap * Math.Tanh(x / cap) * θ0_cap;")]
    public void MMX0021_ModulatorArgumentNamedLikeAModuleMember(string scenario, string method) => Verify(
        $"[Normalizer(Modulator = nameof(SoftCap))] {Capped}\n    {method}", scenario: scenario, files: 3);

    /// <summary>Without a learnable argument a modulator takes no parameters argument (MMX0006), and with one it needs it (MMX0007).</summary>
    [Theory]
    [InlineData("Unexpected", "static double Cap(double x) => 30 * Math.Tanh(x / 30);", ", ReadOnlySpan<float> parameters")]
    [InlineData("Missing", "static double Cap(double x, double cap = 30) => cap * Math.Tanh(x / cap);", "")]
    public void MMX0006_MMX0007_ModulatorParametersArgument(string scenario, string method, string parameters) => Verify(
        $"[Normalizer(Modulator = nameof(Cap))] public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength{parameters});\n    {method}",
        scenario: scenario);

    /// <summary>A backend's names are checked only where it is emitted: without MultiMax.Torch, SoftModule is the user's.</summary>
    [Fact]
    public void AMemberNamedLikeAnAbsentBackendsClassIsFine()
    {
        var sources = GeneratorHarness.GenerateValid(Wrap("""
            [Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);
                public sealed class SoftModule { }
            """, "public static partial class"));
        Assert.Equal(2, sources.Length);
    }

    /// <summary>A backward or an attention method of another signature is an overload, not a collision.</summary>
    [Fact]
    public void MethodsNamedLikeTheGeneratedOnesWithOtherSignaturesAreFine() =>
        GeneratorHarness.GenerateValidWithEveryBackend(Wrap("""
            [Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);
                public static void SoftBackward(int unrelated) { }
                public static void SoftAttention(int unrelated) { }
                public static void SoftAttentionBackward(string unrelated) { }
            """, "public static partial class"));

    [Fact]
    public void OverloadsWithTheSameModulatorAreAccepted()
    {
        var sources = GeneratorHarness.GenerateValid(Wrap("""
            [Normalizer] [Above(2, Threshold = 1.0)] public static partial void Same(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
                [Normalizer] [Above(2, Threshold = 1.0)] public static partial void Same(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
            """, "public static partial class"));
        Assert.Equal(3, sources.Length); // the float and double kernels, and the shared SameParameters
    }

    [Fact]
    public void EveryProblemOfADeclarationIsReportedAtOnce() => Verify(
        "[Normalizer(Order = 1)] [Above(0)] public void Bad(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }",
        typeModifiers: "public partial class");

    [Fact]
    public void BrokenSourceNeverCrashesTheGenerator()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend("""
            using MultiMax;
            static partial class Ops
            {
                [Normalizer(Order = "two", Affine = 3)]
                [Below(Coefficient = "x")]
                static partial void Broken(ReadOnlySpan<Missing> x, Span<float> y, int
            }
            """));
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void EveryDescriptorHasADescriptionAndItsOwnHelpHeading()
    {
        IReadOnlyList<DiagnosticDescriptor> descriptors = Descriptors.All;
        Assert.Equal(28, descriptors.Count());
        Assert.All(descriptors, descriptor =>
        {
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString(CultureInfo.InvariantCulture)), descriptor.Id);
            Assert.Equal("https://github.com/multimax-net/MultiMax.NET/blob/main/docs/diagnostics.md#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
        });
        Assert.Equal(descriptors.Count(), descriptors.Select(d => d.Id).Distinct().Count());
    }

    private static string Wrap(string member, string typeModifiers, string typeName = "Ops") => $$"""
        using System;
        using MultiMax;
        namespace Demo;
        {{typeModifiers}} {{typeName}}
        {
            {{member}}
        }
        """;

    /// <summary>
    /// Runs the generator with every backend on the wrapped member and approves what it reports; a declaration with
    /// an error must get no generated file, and its CS8795 (if any) must be explained.
    /// </summary>
    /// <param name="files">How many files are still generated: 0 for an error, more where only one backend is left out.</param>
    private static void Verify(string member, string typeModifiers = "public static partial class", string typeName = "Ops", string? scenario = null, int files = 0)
    {
        string source = Wrap(member, typeModifiers, typeName);
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend(source));
        Assert.NotEmpty(result.Diagnostics);
        Assert.Equal(files, result.GeneratedSources.Length);

        // A partial method left without a generated body is also the compiler's CS8795: exactly then, an MMX error
        // says that it follows from it.
        Assert.Equal(
            output.GetDiagnostics().Any(d => d.Id == "CS8795"),
            result.Diagnostics.Any(d => d.GetMessage(CultureInfo.InvariantCulture).Contains("CS8795")));

        using (scenario is null ? null : ApprovalResults.ForScenario(scenario))
        {
            Snapshot.Verify(Describe(result.Diagnostics, source), ".txt");
        }
    }

    /// <summary>Each diagnostic as the user meets it: id, severity, line and column, the located text, the message.</summary>
    private static string Describe(IEnumerable<Diagnostic> diagnostics, string source)
    {
        var text = new StringBuilder();
        foreach (Diagnostic diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, System.StringComparer.Ordinal))
        {
            FileLinePositionSpan line = diagnostic.Location.GetLineSpan();
            string located = diagnostic.Location == Location.None ? "" : source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
            text.Append(diagnostic.Id).Append(' ').Append(diagnostic.Severity)
                .Append($" at {line.StartLinePosition.Line + 1}:{line.StartLinePosition.Character + 1} `{located}`\n")
                .Append("    ").Append(diagnostic.GetMessage(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }
}
