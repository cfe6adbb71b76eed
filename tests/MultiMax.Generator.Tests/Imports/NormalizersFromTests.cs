using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Imports;

/// <summary>
/// <c>[NormalizersFrom(typeof(T))]</c>: a class gets the TorchSharp and ILGPU faces of T's normalizers — from this
/// compilation or a referenced library — calling T's span operators; no CPU kernels are compiled a second time.
/// </summary>
public class NormalizersFromTests
{
    private const string Library = """
        using System;
        using MultiMax;
        namespace Library;
        public static partial class Shared
        {
            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<float> x, Span<float> y, int rowLength, ReadOnlySpan<float> parameters);

            [Normalizer(Order = 2)]
            public static partial void MultiMax2(ReadOnlySpan<double> x, Span<double> y, int rowLength, ReadOnlySpan<double> parameters);

            [Normalizer(Output = NormalizerOutput.LogProbabilities)]
            public static partial void LogSoft(ReadOnlySpan<double> x, Span<double> y, int rowLength);
        }
        """;

    private const string Importer = """
        using MultiMax;
        namespace App;
        [NormalizersFrom(typeof(Library.Shared))]
        public static partial class Layers
        {
            public static object Use() => new Layers.MultiMax2Module();
        }
        """;

    [Fact]
    public void ImportsFromAReferencedLibraryGetOnlyTheOptionalBackends()
    {
        MetadataReference library = CompileLibrary();
        CSharpCompilation app = GeneratorHarness.CompileWithEveryBackend(Importer).AddReferences(library);
        var sources = GeneratorHarness.GenerateValid(app);

        Assert.Equal(
            new[] { "App.Layers.LogSoft.Gpu.g.cs", "App.Layers.LogSoft.Torch.g.cs", "App.Layers.MultiMax2.Gpu.g.cs", "App.Layers.MultiMax2.Torch.g.cs" },
            GeneratorHarness.ReadableHintNames(sources));
        string torch = sources.Single(s => s.HintName.StartsWith("App.Layers.MultiMax2.Torch", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("global::Library.Shared.MultiMax2(x, y, rowLength, parameters)", torch);
        Assert.Contains("global::Library.Shared.MultiMax2Backward(", torch);
    }

    [Fact]
    public void ImportedModuleSnapshot()
    {
        CSharpCompilation app = GeneratorHarness.CompileWithEveryBackend(Importer).AddReferences(CompileLibrary());
        Snapshot.Verify(GeneratorHarness.GenerateValid(app)
            .Single(s => s.HintName.StartsWith("App.Layers.LogSoft.Torch", System.StringComparison.Ordinal)).SourceText.ToString());
    }

    [Fact]
    public void ImportsFromThisCompilationToo()
    {
        var sources = GeneratorHarness.GenerateValid(GeneratorHarness.CompileWithEveryBackend(Library, Importer.Replace("namespace App;", "namespace App.Inner;")));
        Assert.Contains("App.Inner.Layers.MultiMax2.Torch.g.cs", GeneratorHarness.ReadableHintNames(sources));
        Assert.Contains("Library.Shared.MultiMax2.Torch.g.cs", GeneratorHarness.ReadableHintNames(sources));
    }

    [Theory]
    [InlineData("Itself", "[NormalizersFrom(typeof(Layers))] public static partial class Layers { [Normalizer] public static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength); }")]
    [InlineData("NoNormalizers", "[NormalizersFrom(typeof(System.Math))] public static partial class Layers { }")]
    [InlineData("Inaccessible", "[NormalizersFrom(typeof(Hidden))] public static partial class Layers { } public static partial class Hidden { [Normalizer] private static partial void Soft(ReadOnlySpan<float> x, Span<float> y, int rowLength); }")]
    public void MMX0022_NothingToImport(string scenario, string declaration)
    {
        string source = "using System;\nusing MultiMax;\n" + declaration;
        (GeneratorRunResult result, _) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend(source).AddReferences(CompileLibrary()));
        Diagnostic diagnostic = Assert.Single(result.Diagnostics, d => d.Id == "MMX0022");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.StartsWith("NormalizersFrom(", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.StartsWith("Layers.", System.StringComparison.Ordinal) && !s.HintName.Contains(".Soft.", System.StringComparison.Ordinal));
        Assert.NotNull(scenario);
    }

    /// <summary>The marked class and the types around it receive generated classes: each must be partial.</summary>
    [Theory]
    [InlineData("[NormalizersFrom(typeof(Library.Shared))] public static class Layers { }")]
    [InlineData("public static class Outer { [NormalizersFrom(typeof(Library.Shared))] public static partial class Layers { } }")]
    public void MMX0003_TheMarkedClassAndItsContainersMustBePartial(string declaration)
    {
        (GeneratorRunResult result, _) = GeneratorHarness.Run(
            GeneratorHarness.CompileWithEveryBackend("using System;\nusing MultiMax;\n" + declaration).AddReferences(CompileLibrary()));
        Assert.Equal("MMX0003", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.GeneratedSources);
    }

    /// <summary>
    /// One name, one set of classes per class: a normalizer of the same name declared in the marked class, or imported
    /// from an earlier source, keeps it, and the import is an MMX0021 at its attribute.
    /// </summary>
    [Theory]
    [InlineData("Declared", "[NormalizersFrom(typeof(Library.Shared))] public static partial class Layers { [Normalizer] public static partial void LogSoft(ReadOnlySpan<float> x, Span<float> y, int rowLength); [Normalizer] public static partial void LogSoft(ReadOnlySpan<double> x, Span<double> y, int rowLength); }")]
    [InlineData("ImportedTwice", "[NormalizersFrom(typeof(Library.Shared))] [NormalizersFrom(typeof(Other))] public static partial class Layers { } public static partial class Other { [Normalizer] public static partial void LogSoft(ReadOnlySpan<float> x, Span<float> y, int rowLength); [Normalizer] public static partial void LogSoft(ReadOnlySpan<double> x, Span<double> y, int rowLength); }")]
    public void MMX0021_AnImportedNameThatIsTaken(string scenario, string declaration)
    {
        (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(
            GeneratorHarness.CompileWithEveryBackend("using System;\nusing MultiMax;\n" + declaration).AddReferences(CompileLibrary()));
        Diagnostic taken = Assert.Single(result.Diagnostics);
        Assert.Equal("MMX0021", taken.Id);
        Assert.Contains("'LogSoftFunction'", taken.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree != output.SyntaxTrees.First()));
        Assert.NotNull(scenario);
    }

    [Fact]
    public void AMemberOfTheImporterTakingAGeneratedNameLeavesThatBackendOut()
    {
        CSharpCompilation app = GeneratorHarness.CompileWithEveryBackend(Importer.Replace(
            "public static object Use() => new Layers.MultiMax2Module();", "public static int MultiMax2Gpu;")).AddReferences(CompileLibrary());
        (GeneratorRunResult result, _) = GeneratorHarness.Run(app);
        Assert.Equal("MMX0021", Assert.Single(result.Diagnostics).Id);
        Assert.DoesNotContain("App.Layers.MultiMax2.Gpu.g.cs", GeneratorHarness.ReadableHintNames(result.GeneratedSources));
        Assert.Contains("App.Layers.MultiMax2.Torch.g.cs", GeneratorHarness.ReadableHintNames(result.GeneratedSources));
    }

    /// <summary>The library built with the generator, as the metadata reference a consumer gets.</summary>
    private static MetadataReference CompileLibrary()
    {
        (_, Compilation library) = GeneratorHarness.Run(GeneratorHarness.Compile(Library));
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = library.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }
}
