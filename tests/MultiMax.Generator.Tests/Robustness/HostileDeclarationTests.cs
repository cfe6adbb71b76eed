using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Robustness;

/// <summary>
/// Legal declarations that once broke the generated code, each compiled with every backend referenced: the generated
/// files must compile without an error or a warning.
/// </summary>
public class HostileDeclarationTests
{
    [Fact]
    public void EscapedNamesKeepTheirEscape() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        namespace @namespace.@class;
        public static partial class @class
        {
            [Normalizer(Order = 1)]
            public static partial void @event(ReadOnlySpan<float> @in, Span<float> @out, int @int, ReadOnlySpan<float> @params);

            [Normalizer]
            internal static partial void @var(ReadOnlySpan<double> @this, Span<double> @base, int @value);
        }
        """);

    /// <summary>Names of the generated classes' own members, and of the lambdas' parameters.</summary>
    [Theory]
    [InlineData("Apply")]
    [InlineData("Formula")]
    [InlineData("forward")]
    [InlineData("backward")]
    [InlineData("Name")]
    [InlineData("ParameterCount")]
    [InlineData("x")]
    [InlineData("parameters")]
    [InlineData("ForwardFloatKernel")]
    [InlineData("FloatModulator")]
    [InlineData("SigmaFloat")]
    public void NormalizersNamedLikeGeneratedMembers(string name) => GeneratorHarness.GenerateValidWithEveryBackend($$"""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 1, Affine = true)]
            public static partial void {{name}}(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            [Normalizer(Order = 1, Affine = true)]
            public static partial void {{name}}(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }
        """);

    [Fact]
    public void ScopedParametersAreRepeated() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        public static partial class Ops
        {
            [Normalizer(Order = 1)]
            public static partial void Norm(scoped ReadOnlySpan<float> x, scoped Span<float> y, int rowLength, scoped ReadOnlySpan<float> parameters);
        }
        """);

    [Fact]
    public void ExtensionMethodsStayExtensions() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class SpanExtensions
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax(this ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
        }

        public static class Use
        {
            public static void Call(double[] x, double[] y, double[] p) => ((ReadOnlySpan<double>)x).MultiMax(y, 1, p);
        }
        """);

    [Fact]
    public void TypeParametersLeaveTheirAttributesBehind() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        namespace Demo;

        [AttributeUsage(AttributeTargets.GenericParameter)]
        public sealed class MarkerAttribute : Attribute { }

        public partial class Outer<[Marker] T, @class>
            where T : struct
        {
            public partial interface IOps<TIn, TOut>
            {
                [Normalizer(Order = 1)]
                public static partial void Norm(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            }
        }
        """);

    [Fact]
    public void EveryKindOfContainingType() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        namespace Demo
        {
            public partial record Record
            {
                internal partial struct Struct
                {
                    private partial record struct RecordStruct
                    {
                        [Normalizer(Output = NormalizerOutput.LogProbabilities)]
                        [Above(1, Coefficient = 1.0, Threshold = 0.0)]
                        internal static partial void Norm(ReadOnlySpan<double> x, Span<double> y, int rowLength);
                    }
                }
            }
        }
        """);

    /// <summary>Constants at the edges of the element type: denormals, signed zeros, the largest finite values.</summary>
    [Fact]
    public void ConstantsAtTheEdgesOfTheElementType() => GeneratorHarness.GenerateValidWithEveryBackend("""
        using System;
        using MultiMax;
        public static partial class Ops
        {
            [Normalizer]
            [Below(1, Coefficient = 1e-45, Threshold = -0.0)]
            [Above(1, Coefficient = 3.4e38, Threshold = -3.4e38)]
            [Below(2, Coefficient = -1.0, Threshold = 1e-40)]
            public static partial void EdgesFloat(ReadOnlySpan<float> x, Span<float> y, int rowLength);

            [Normalizer]
            [Below(1, Coefficient = double.Epsilon, Threshold = -0.0)]
            [Above(1, Coefficient = 1.7e308, Threshold = double.MaxValue)]
            [Above(4, Coefficient = double.MinValue / 8, Threshold = double.MinValue)]
            public static partial void EdgesDouble(ReadOnlySpan<double> x, Span<double> y, int rowLength);
        }
        """);

    /// <summary>
    /// σ written as C# at the reader's depth limit, and arguments named like what the generated code declares (a broadcast
    /// local's V, the module's θ fields and its Parameters method's locals): every backend compiles it cleanly.
    /// </summary>
    [Fact]
    public void ModulatorsAtTheDepthLimitAndWithHostileArgumentNames() => GeneratorHarness.GenerateValidWithEveryBackend($$"""
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Modulator = nameof(Deep))]
            public static partial void Long(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            static double Deep(double x, double a = 0.001) => {{string.Concat(System.Linq.Enumerable.Repeat("a * x + (", 190))}}x{{new string(')', 190)}};

            [Normalizer(Modulator = nameof(Names))]
            public static partial void Named(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);
            static double Names(double x, double a = 1, double aV = 2, double θa = 3, double dtype = 4, double concatenated = 5, double inv0 = 6) =>
                a * x + aV * Math.Tanh(x / θa) + dtype / concatenated - inv0 * Math.Max(x, 0) + Ops.a * System.Math.PI + 1u / 2u;

            const double a = 0.5;
        }
        """);
}
