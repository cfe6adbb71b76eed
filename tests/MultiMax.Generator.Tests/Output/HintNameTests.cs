using System.Linq;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Output;

/// <summary>Every declaration gets its own file, even overloads, and the names do not change from run to run.</summary>
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
            new[] { "Demo.Ops.Norm.Double.Cpu.g.cs", "Demo.Ops.Norm.Float.Cpu.g.cs", "Demo.Ops.Other.Double.Cpu.g.cs" },
            sources.Select(s => s.HintName).OrderBy(n => n, System.StringComparer.Ordinal));
    }
}
