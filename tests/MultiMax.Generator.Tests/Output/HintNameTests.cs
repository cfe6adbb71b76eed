using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Output;

/// <summary>
/// Every declaration gets its own files, unique by construction — even where the readable part of the names
/// collides — and short enough for every file system; the names do not change from run to run.
/// </summary>
public class HintNameTests
{
    [Fact]
    public void OverloadsGetDistinctFiles()
    {
        var sources = GeneratorHarness.GenerateValid("""
            using System;
            using MultiMax;
            namespace Demo;
            public static partial class Ops
            {
                [Normalizer]
                public static partial void Norm(ReadOnlySpan<float> x, Span<float> y, int rowLength);

                [Normalizer]
                public static partial void Norm(ReadOnlySpan<double> x, Span<double> y, int rowLength);

                [Normalizer]
                public static partial void Other(ReadOnlySpan<double> x, Span<double> y, int rowLength);
            }
            """);

        Assert.Equal(
            new[]
            {
                "Demo.Ops.Norm.Double.Cpu.g.cs", "Demo.Ops.Norm.Float.Cpu.g.cs", "Demo.Ops.Norm.Parameters.g.cs",
                "Demo.Ops.Other.Double.Cpu.g.cs", "Demo.Ops.Other.Parameters.g.cs",
            },
            GeneratorHarness.ReadableHintNames(sources));
    }

    [Theory]
    [InlineData("Norm", "norm", "Ops", "Ops")]        // names that differ only in case
    [InlineData("Norm", "Norm", "Ops", "OPS")]        // containing types that differ only in case
    [InlineData("Norm", "Norm", "Ops<T>", "Ops_T_")]  // characters the readable part flattens
    public void NamesThatFlattenAlikeStillGetDistinctFiles(string firstMethod, string secondMethod, string firstType, string secondType)
    {
        var sources = GeneratorHarness.GenerateValidWithEveryBackend($$"""
            using System;
            using MultiMax;
            namespace Demo;
            public static partial class {{firstType}}
            {
                [Normalizer(Order = 1)]
                public static partial void {{firstMethod}}(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            }

            public static partial class {{secondType}}
            {
                [Normalizer(Order = 1)]
                public static partial void {{secondMethod}}(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            }
            """);

        string[] names = sources.Select(s => s.HintName).ToArray();
        Assert.Equal(8, names.Length); // CPU kernels, layout, TorchSharp and GPU, for each
        Assert.Equal(names.Length, names.Distinct(System.StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void LongNamesStayShort()
    {
        string longName = new string('N', 300);
        var sources = GeneratorHarness.GenerateValidWithEveryBackend($$"""
            using System;
            using MultiMax;
            namespace {{new string('S', 200)}}.{{new string('T', 200)}};
            public static partial class {{new string('C', 250)}}
            {
                [Normalizer(Order = 1)]
                public static partial void {{longName}}A(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

                [Normalizer(Order = 1)]
                public static partial void {{longName}}B(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
            }
            """);

        Assert.Equal(8, sources.Length);
        Assert.All(sources, s => Assert.InRange(s.HintName.Length, 1, 120));
        Assert.Equal(sources.Length, sources.Select(s => s.HintName).Distinct().Count());
    }

    [Fact]
    public void NamesAreStableFromRunToRun()
    {
        const string Source = """
            using System;
            using MultiMax;
            namespace Demo;
            public static partial class Ops
            {
                [Normalizer]
                public static partial void Norm(ReadOnlySpan<float> x, Span<float> y, int rowLength);
            }
            """;

        Assert.Equal(
            GeneratorHarness.GenerateValid(Source).Select(s => s.HintName),
            GeneratorHarness.GenerateValid(Source).Select(s => s.HintName));
        Assert.Contains("Demo.Ops.Norm.Float.Cpu.af2665c6f5299f12.g.cs", GeneratorHarness.GenerateValid(Source).Select(s => s.HintName));
    }
}
