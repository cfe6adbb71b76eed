using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Diagnostics;

/// <summary>One test per diagnostic: the id, the message, and the source the location points at.</summary>
public class DiagnosticTests
{
    [Fact]
    public void MMX0001_MethodNotPartial() => AssertSingle(
        "[Normalizer] public static void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }",
        "MMX0001", "Soft", "must be declared 'partial'");

    [Fact]
    public void MMX0002_MethodNotStatic() => AssertSingle(
        "[Normalizer] public partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);",
        "MMX0002", "Soft", "must be 'static'", typeModifiers: "public partial class");

    [Fact]
    public void MMX0003_ContainingTypeNotPartial() => AssertSingle(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);",
        "MMX0003", "Ops", "Type 'Ops' must be declared 'partial'", typeModifiers: "public static class");

    [Fact]
    public void MMX0004_UnsupportedElementType() => AssertSingle(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<Half> x, Span<Half> y, int rowLength);",
        "MMX0004", "Soft", "works on 'System.Half'");

    [Theory]
    [InlineData("public static partial int Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);")]
    [InlineData("public static partial void Soft(Span<float> x, Span<float> y, int rowLength);")]
    [InlineData("public static partial void Soft(ReadOnlySpan<float> x, Span<double> y, int rowLength);")]
    [InlineData("public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, long rowLength);")]
    [InlineData("public static partial void Soft(ReadOnlySpan<float> x, Span<float> y);")]
    [InlineData("public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, ref int rowLength);")]
    [InlineData("public static partial void Soft(float[] x, float[] y, int rowLength);")]
    public void MMX0005_InvalidSignature(string declaration) => AssertSingle(
        "[Normalizer] " + declaration, "MMX0005", "Soft", "must have the signature");

    [Fact]
    public void MMX0006_UnexpectedParametersArgument() => AssertSingle(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> weights);",
        "MMX0006", "Soft", "must not take the argument 'weights'");

    [Fact]
    public void MMX0007_MissingParametersArgument() => AssertSingle(
        "[Normalizer(Order = 2)] public static partial void Multi(ReadOnlySpan<float> x, Span<float> y, int rowLength);",
        "MMX0007", "Multi", "has 8 learnable parameter(s)");

    [Theory]
    [InlineData("Below(0, Coefficient = 1, Threshold = 0)")]
    [InlineData("Above(9, Coefficient = 1, Threshold = 0)")]
    public void MMX0008_InvalidPower(string term) => AssertSingle(
        $"[Normalizer] [{term}] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);",
        "MMX0008", term, "must be between 1 and 8");

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void MMX0009_InvalidOrder(int order) => AssertSingle(
        $"[Normalizer(Order = {order})] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);",
        "MMX0009", $"Normalizer(Order = {order})", $"Order must be between 0 and 8, but is {order}");

    [Theory]
    [InlineData("double", "Coefficient = double.NaN, Threshold = 0", "Coefficient", "NaN")]
    [InlineData("double", "Coefficient = 1, Threshold = double.PositiveInfinity", "Threshold", "Infinity")]
    [InlineData("float", "Coefficient = 1e300, Threshold = 0", "Coefficient", "1E+300")]
    public void MMX0010_NonFiniteConstant(string type, string arguments, string property, string shown) => AssertSingle(
        $"[Normalizer] [Below(1, {arguments})] public static partial void Soft(ReadOnlySpan<{type}> x, Span<{type}> y, int rowLength);",
        "MMX0010", $"Below(1, {arguments})", $"The {property} of a [Below] term must be a finite {type}, but is {shown}");

    [Fact]
    public void MMX0011_GenericMethod() => AssertSingle(
        "[Normalizer] public static partial void Soft<T>(ReadOnlySpan<T> x, Span<T> y, int rowLength);",
        "MMX0011", "Soft", "must not be generic");

    [Fact]
    public void MMX0012_MethodHasBody() => AssertSingle(
        "[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }",
        "MMX0012", "Soft", "without a body");

    [Fact]
    public void MMX0013_TermWithoutNormalizer() => AssertSingle(
        "[Below(1)] public static void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }",
        "MMX0013", "Below(1)", "[Below] on method 'Soft' has no effect");

    [Fact]
    public void MMX0014_LanguageVersionTooLow()
    {
        string source = Wrap("[Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);", "public static partial class");
        (GeneratorRunResult result, _) = GeneratorHarness.Run(new CSharpParseOptions(LanguageVersion.CSharp10), source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MMX0014", diagnostic.Id);
        Assert.Contains("needs C# 11 or later", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("C# 10", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Soft", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void MMX0015_OverloadModulatorMismatch()
    {
        string source = Wrap("""
            [Normalizer(Order = 2)] public static partial void Mixed(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            [Normalizer(Order = 1)] public static partial void Mixed(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
            """, "public static partial class");
        (GeneratorRunResult result, _) = GeneratorHarness.Run(source);
        Assert.Equal(2, result.Diagnostics.Length);
        Assert.All(result.Diagnostics, diagnostic =>
        {
            Assert.Equal("MMX0015", diagnostic.Id);
            Assert.Contains("declares a different modulator from its overload", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("Mixed", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        });
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void OverloadsWithTheSameModulatorAreAccepted()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(Wrap("""
            [Normalizer] [Above(2, Threshold = 1.0)] public static partial void Same(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            [Normalizer] [Above(2, Threshold = 1.0)] public static partial void Same(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
            """, "public static partial class"));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.GeneratedSources.Length);
    }

    [Fact]
    public void EveryProblemOfADeclarationIsReportedAtOnce()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(Wrap(
            "[Normalizer(Order = 1)] [Above(0)] public void Bad(ReadOnlySpan<float> x, Span<float> y, int rowLength) { }",
            "public partial class"));
        Assert.Equal(new[] { "MMX0001", "MMX0002", "MMX0007", "MMX0008" }, result.Diagnostics.Select(d => d.Id).OrderBy(id => id));
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void BrokenSourceNeverCrashesTheGenerator()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run("""
            using MultiMax;
            static partial class Ops
            {
                [Normalizer(Order = "two", Affine = 3)]
                [Below(Coefficient = "x")]
                static partial void Broken(ReadOnlySpan<Missing> x, Span<float> y, int
            }
            """);
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
    }

    private static string Wrap(string member, string typeModifiers) => $$"""
        using System;
        using MultiMax;
        namespace Demo;
        {{typeModifiers}} Ops
        {
            {{member}}
        }
        """;

    private static void AssertSingle(string member, string id, string locatedText, string messagePart, string typeModifiers = "public static partial class")
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(Wrap(member, typeModifiers));
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Contains(messagePart, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Location location = diagnostic.Location;
        string source = Wrap(member, typeModifiers);
        Assert.Equal(locatedText, source.Substring(location.SourceSpan.Start, location.SourceSpan.Length));
        Assert.Empty(result.GeneratedSources);
    }
}
