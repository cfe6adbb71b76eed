using System.Linq;
using ApprovalTests;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins the TorchSharp emitter's output (<c>&lt;Name&gt;Function</c> and <c>&lt;Name&gt;Module</c>) for one canonical
/// declaration per feature, in a compilation that references MultiMax.Torch. Review a changed snapshot like code.
/// </summary>
public class TorchEmitterSnapshotTests
{
    [Fact]
    public void Order2FloatAndDoubleShareOneModule() => VerifyTorch("""
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
    public void SoftMaxWithoutParameters() => VerifyTorch("""
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
    public void CustomConstantsDoubleOnly() => VerifyTorch("""
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
    public void AffineLogOutputInternal() => VerifyTorch("""
        using System;
        using MultiMax;
        namespace Demo;
        internal static partial class Layers
        {
            [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
            internal static partial void LogV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """);

    private static void VerifyTorch(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValidWithTorch(source), s => s.HintName.EndsWith(".Torch.g.cs", System.StringComparison.Ordinal));
        Approvals.VerifyWithExtension(generated.SourceText.ToString(), ".cs");
    }
}
