using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins the CPU emitter's output for one canonical declaration per feature. A failing test leaves
/// <c>*.received.cs</c> beside the approved file: review the diff like code, then rename it to <c>.approved.cs</c>.
/// </summary>
public class CpuEmitterSnapshotTests
{
    [Fact]
    public void SoftMaxFloat() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer]
            public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);
        }
        """);

    [Fact]
    public void Order1Float() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 1)]
            public static partial void MultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void Order2Float() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void Order2Double() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """);

    [Fact]
    public void CustomConstantsDouble() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer]
            [Below(1, Coefficient = 2.0, Threshold = -1.0)]
            [Above(2)]
            [Above(3, Coefficient = -0.5, Threshold = 0.0)]
            [Below(1, Coefficient = 0.0)]
            public static partial void Custom(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """);

    [Fact]
    public void AffineFloat() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 1, Affine = true)]
            public static partial void MultiMaxV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void LogOutputFloat() => VerifyGenerated("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 2, Output = NormalizerOutput.LogProbabilities)]
            public static partial void LogMultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void NestedGenericTypeInGlobalNamespace() => VerifyGenerated(CanonicalDeclarations.NestedGenericTypeInGlobalNamespace);

    [Fact]
    public void ModulatorTemperatureFloat() => VerifyGenerated(CanonicalDeclarations.TemperatureFloat);

    [Fact]
    public void ModulatorPiecewiseDoubleOnly() => VerifyGenerated(CanonicalDeclarations.PiecewiseDoubleOnly);

    [Fact]
    public void ModulatorCappedMultiMaxFloat() => VerifyGenerated(CanonicalDeclarations.CappedMultiMaxFloat);

    private static void VerifyGenerated(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValid(source), s => s.HintName.Contains(".Cpu.", System.StringComparison.Ordinal));
        Snapshot.Verify(generated.SourceText.ToString());
    }
}
