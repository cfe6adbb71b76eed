using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Output;

/// <summary>A backend whose library the compilation does not reference is not emitted.</summary>
public class BackendSelectionTests
{
    private const string Overloads = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 1)]
            public static partial void MultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            [Normalizer(Order = 1)]
            public static partial void MultiMax1(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """;

    [Fact]
    public void WithoutMultiMaxTorchOrGpuOnlyTheCpuKernelsAndTheLayoutAreEmitted()
    {
        Assert.Equal(
            new[] { "Demo.Ops.MultiMax1.Double.Cpu.g.cs", "Demo.Ops.MultiMax1.Float.Cpu.g.cs", "Demo.Ops.MultiMax1.Parameters.g.cs" },
            GeneratorHarness.ReadableHintNames(GeneratorHarness.GenerateValid(Overloads)));
    }

    [Fact]
    public void WithMultiMaxTorchBothOverloadsShareOneModule()
    {
        Assert.Equal(
            new[] { "Demo.Ops.MultiMax1.Double.Cpu.g.cs", "Demo.Ops.MultiMax1.Float.Cpu.g.cs", "Demo.Ops.MultiMax1.Parameters.g.cs", "Demo.Ops.MultiMax1.Torch.g.cs" },
            GeneratorHarness.ReadableHintNames(GeneratorHarness.GenerateValidWithTorch(Overloads)));
    }

    [Fact]
    public void MMX0016_TorchSharpWithoutMultiMaxTorchWarnsOnceAndEmitsTheCpuKernels()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunWithTorchSharpOnly(Overloads);
        Diagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal("MMX0016", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Contains("reference the MultiMax.Torch package", warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, result.GeneratedSources.Length); // the two CPU files and MultiMax1Parameters
    }

    [Fact]
    public void WithMultiMaxGpuBothOverloadsShareOneGpuClass()
    {
        Assert.Equal(
            new[] { "Demo.Ops.MultiMax1.Double.Cpu.g.cs", "Demo.Ops.MultiMax1.Float.Cpu.g.cs", "Demo.Ops.MultiMax1.Gpu.g.cs", "Demo.Ops.MultiMax1.Parameters.g.cs" },
            GeneratorHarness.ReadableHintNames(GeneratorHarness.GenerateValidWithGpu(Overloads)));
    }

    [Fact]
    public void MMX0017_IlgpuWithoutMultiMaxGpuWarnsOnceAndEmitsTheCpuKernels()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunWithIlgpuOnly(Overloads);
        Diagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal("MMX0017", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Contains("reference the MultiMax.Gpu package", warning.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, result.GeneratedSources.Length); // the two CPU files and MultiMax1Parameters
    }

    [Fact]
    public void IlgpuWithoutDeclarationsDoesNotWarn()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunWithIlgpuOnly("public static class Nothing { }");
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void TorchSharpWithoutDeclarationsDoesNotWarn()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunWithTorchSharpOnly("public static class Nothing { }");
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void ADeclarationWithErrorsGetsNoModule()
    {
        (GeneratorRunResult result, _) = GeneratorHarness.RunWithTorch("""
            using System;
            using MultiMax;
            public static partial class Ops
            {
                [Normalizer(Order = 1)]
                public static partial void Broken(ReadOnlySpan<float> x, Span<float> y, int rowLength);
            }
            """);
        Assert.Equal("MMX0007", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.GeneratedSources);
    }
}
