namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>The declarations the per-backend snapshot tests pin, one per feature, shared so every backend is shown the same inputs.</summary>
internal static class CanonicalDeclarations
{
    /// <summary>The paper's order 2, float and double overloads of one name: backends that emit one class per name share it.</summary>
    public const string Order2FloatAndDouble = """
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
        """;

    /// <summary>Plain SoftMax: no parameters view anywhere.</summary>
    public const string SoftMaxWithoutParameters = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer]
            public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength);
        }
        """;

    /// <summary>Constants folded (a negative constant threshold among them), a learnable Above(2); double only.</summary>
    public const string CustomConstantsDoubleOnly = """
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
        """;

    /// <summary>The affine V2 in log space, internal, float only.</summary>
    public const string AffineLogOutputInternal = """
        using System;
        using MultiMax;
        namespace Demo;
        internal static partial class Layers
        {
            [Normalizer(Order = 1, Affine = true, Output = NormalizerOutput.LogProbabilities)]
            internal static partial void LogV2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """;

    /// <summary>A generic container in the global namespace, a private method with its own parameter names, constants only.</summary>
    public const string NestedGenericTypeInGlobalNamespace = """
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
        """;

    /// <summary>σ written as C#: logit soft-capping, cap learnable, float and double overloads of one name.</summary>
    public const string SoftCapFloatAndDouble = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Modulator = nameof(SoftCap))]
            public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            [Normalizer(Modulator = nameof(SoftCap))]
            public static partial void Capped(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

            static double SoftCap(double x, double cap = 30) => cap * Math.Tanh(x / cap);
        }
        """;

    /// <summary>σ written as C#: a learnable temperature, float only.</summary>
    public const string TemperatureFloat = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Modulator = nameof(Temperature))]
            public static partial void Tempered(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            static double Temperature(double x, double tau = 1) => x / tau;
        }
        """;

    /// <summary>σ written as C#: piecewise with ?:, in log space, double only.</summary>
    public const string PiecewiseDoubleOnly = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Modulator = nameof(Hinge), Output = NormalizerOutput.LogProbabilities)]
            public static partial void Hinged(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

            static double Hinge(double x, double a = 0.1, double t = 0.5) => x < t ? x + a * (t - x) * (t - x) : x;
        }
        """;

    /// <summary>σ written as C#: the paper's MultiMax (order 1) under a soft cap, with Math.Max and a const field; float only.</summary>
    public const string CappedMultiMaxFloat = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            private const double Cap = 20;

            [Normalizer(Modulator = nameof(CappedMultiMax))]
            public static partial void CappedMultiMax1(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            static double CappedMultiMax(double x, double a = 0.1, double b = -0.5, double c = 0.1, double d = 0.5) =>
                Cap * Math.Tanh((x + a * Math.Max(b - x, 0) + c * Math.Max(x - d, 0)) / Cap);
        }
        """;
}
