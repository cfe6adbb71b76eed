using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Incrementality;

/// <summary>An edit that does not touch a declaration must not re-run its emitter: the models compare equal.</summary>
public class IncrementalityTests
{
    private const string Declaration = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """;

    [Fact]
    public void UnrelatedEditReusesTheCachedOutput()
    {
        GeneratorRunResult rerun = RerunAfterUnrelatedEdit(GeneratorHarness.Compile(Declaration, Unrelated));

        Assert.All(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.Specs].SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void UnrelatedEditReusesTheCachedTorchModule()
    {
        GeneratorRunResult rerun = RerunAfterUnrelatedEdit(GeneratorHarness.CompileWithTorch(Declaration, Unrelated));

        Assert.Contains(rerun.GeneratedSources, s => s.HintName.Contains(".Torch.", System.StringComparison.Ordinal));
        Assert.All(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.TorchModules].SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void UnrelatedEditReusesTheCachedGpuClass()
    {
        GeneratorRunResult rerun = RerunAfterUnrelatedEdit(GeneratorHarness.CompileWithGpu(Declaration, Unrelated));

        Assert.Contains(rerun.GeneratedSources, s => s.HintName.Contains(".Gpu.", System.StringComparison.Ordinal));
        Assert.All(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.GpuClasses].SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void UnrelatedEditReusesTheCachedImports()
    {
        const string Importer = """
            using MultiMax;
            namespace Demo;
            [NormalizersFrom(typeof(Ops))]
            public static partial class Layers { }
            """;
        GeneratorRunResult rerun = RerunAfterUnrelatedEdit(GeneratorHarness.CompileWithEveryBackend(Declaration, Importer, Unrelated));

        Assert.Contains(rerun.GeneratedSources, s => s.HintName.StartsWith("Demo.Layers.MultiMax2.Torch.", System.StringComparison.Ordinal));
        Assert.All(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.Imports].SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void EditingTheDeclarationRegenerates()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Declaration);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);

        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(tree, tree.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From(Declaration.Replace("Order = 2", "Order = 1"))));
        GeneratorRunResult rerun = driver.RunGenerators(second).GetRunResult().Results.Single();

        Assert.Contains(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.Specs].SelectMany(step => step.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
    }

    private const string Capped = """
        using System;
        using MultiMax;
        namespace Demo;
        public static partial class Ops
        {
            [Normalizer(Modulator = nameof(SoftCap))]
            public static partial void Capped(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);
        }
        """;

    private const string SoftCap = """
        using System;
        namespace Demo;
        public static partial class Ops
        {
            static double SoftCap(double x, double cap = 30) => cap * Math.Tanh(x / cap);
        }
        """;

    /// <summary>σ written as C# is a tree of plain values: an unrelated edit reuses everything generated from it.</summary>
    [Fact]
    public void UnrelatedEditReusesTheCachedOutputOfAModulatorWrittenAsCSharp()
    {
        GeneratorRunResult rerun = RerunAfterUnrelatedEdit(GeneratorHarness.Compile(Capped, SoftCap, Unrelated));

        Assert.All(rerun.TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.Specs].SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    /// <summary>Editing the modulator's expression regenerates, even from another file of the partial class.</summary>
    [Fact]
    public void EditingTheModulatorInAnotherFileRegenerates()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Capped, SoftCap);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single(s => s.HintName.Contains(".Cpu.", System.StringComparison.Ordinal)).SourceText.ToString();

        SyntaxTree modulator = first.SyntaxTrees.Last();
        CSharpCompilation second = first.ReplaceSyntaxTree(modulator, modulator.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From(SoftCap.Replace("cap * Math.Tanh(x / cap)", "cap * Math.Tanh(x / cap) + 1"))));
        GeneratorRunResult rerun = driver.RunGenerators(second).GetRunResult().Results.Single();
        string after = rerun.GeneratedSources.Single(s => s.HintName.Contains(".Cpu.", System.StringComparison.Ordinal)).SourceText.ToString();

        Assert.Contains("σ = cap·tanh(x / cap) + 1", after);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void ModelsOfTheSameDeclarationCompareEqual()
    {
        Model.NormalizerSpec first = ParseOnce(), second = ParseOnce();
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private const string Unrelated = "namespace Demo; public class Unrelated { }";

    /// <summary>Runs the generator, adds a field to the unrelated class, and runs it again on the same driver.</summary>
    private static GeneratorRunResult RerunAfterUnrelatedEdit(CSharpCompilation first)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(first);
        SyntaxTree unrelated = first.SyntaxTrees.Last();
        CSharpCompilation second = first.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From("namespace Demo; public class Unrelated { public int Field; }")));
        return driver.RunGenerators(second).GetRunResult().Results.Single();
    }

    private static Model.NormalizerSpec ParseOnce()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Declaration);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        return (Model.NormalizerSpec)driver.GetRunResult().Results.Single()
            .TrackedSteps[MultiMax.Generator.NormalizerGenerator.TrackingNames.Specs].Single().Outputs.Single().Value;
    }
}
