using System.Linq;
using ApprovalTests;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins the ILGPU emitter's output (<c>&lt;Name&gt;Gpu</c>: host launchers and kernels) for one canonical declaration
/// per feature, in a compilation that references MultiMax.Gpu. Review a changed snapshot like code.
/// </summary>
public class GpuEmitterSnapshotTests
{
    [Fact]
    public void Order2FloatAndDoubleShareOneClass() => VerifyGpu("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """);

    [Fact]
    public void SoftMaxWithoutParameters() => VerifyGpu("""
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
    public void CustomConstantsDoubleOnly() => VerifyGpu("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer]
            [Below(1, Coefficient = 2.0, Threshold = -1.0)]
            [Above(2)]
            [Above(3, Coefficient = -0.5, Threshold = -0.25)]
            public static partial void Custom(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """);

    [Fact]
    public void AffineLogOutputInternal() => VerifyGpu("""
        using System;
        using MultiMax;
        namespace Demo;
        internal static partial class Layers
        {
            [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
            internal static partial void LogV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void NestedGenericTypeInGlobalNamespace() => VerifyGpu("""
        using System;
        using MultiMax;
        internal partial record struct Outer<T>
        {
            internal static partial class Inner
            {
                [Normalizer(Output = NormalizerOutput.LogProbabilities)]
                [Above(1, Coefficient = 1.0, Threshold = 0.5)]
                static partial void Clip(ReadOnlySpan<double> input, Span<double> output, int n);
            }
        }
        """);

    private static void VerifyGpu(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValidWithGpu(source), s => s.HintName.EndsWith(".Gpu.g.cs", System.StringComparison.Ordinal));
        Approvals.VerifyWithExtension(generated.SourceText.ToString(), ".cs");
    }
}
