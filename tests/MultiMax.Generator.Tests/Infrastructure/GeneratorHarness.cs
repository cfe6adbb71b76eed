using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using MultiMax.Generator;
using Xunit;

namespace MultiMax.Generator.Tests.Infrastructure;

/// <summary>Runs <see cref="NormalizerGenerator"/> in memory over C# source, the way the compiler does.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The running runtime's assemblies plus MultiMax.dll: what a net10.0 consumer compiles against.</summary>
    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(NormalizerAttribute).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();

    /// <summary>What a consumer of MultiMax.Torch compiles against: the above plus TorchSharp and MultiMax.Torch.</summary>
    private static readonly ImmutableArray<MetadataReference> TorchReferences = References
        .Add(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(MultiMax.Torch.TorchNormalizers).Assembly.Location));

    /// <summary>What a project that references TorchSharp but not MultiMax.Torch compiles against.</summary>
    private static readonly ImmutableArray<MetadataReference> TorchSharpOnlyReferences = References
        .Add(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location));

    /// <summary>What a consumer of MultiMax.Gpu compiles against: the base references plus ILGPU and MultiMax.Gpu.</summary>
    private static readonly ImmutableArray<MetadataReference> GpuReferences = References
        .Add(MetadataReference.CreateFromFile(typeof(ILGPU.Context).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(ILGPU.Algorithms.XMath).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(MultiMax.Gpu.GpuDevice).Assembly.Location));

    /// <summary>What a project that references MultiMax.Torch and MultiMax.Gpu compiles against: every backend runs.</summary>
    private static readonly ImmutableArray<MetadataReference> EveryBackendReferences = GpuReferences
        .Add(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(MultiMax.Torch.TorchNormalizers).Assembly.Location));

    /// <summary>What a project that references ILGPU but not MultiMax.Gpu compiles against.</summary>
    private static readonly ImmutableArray<MetadataReference> IlgpuOnlyReferences = References
        .Add(MetadataReference.CreateFromFile(typeof(ILGPU.Context).Assembly.Location));

    public static CSharpCompilation Compile(params string[] sources) => Compile(ParseOptions, sources);

    /// <summary>A compilation that references MultiMax.Gpu, so the ILGPU emitter runs too.</summary>
    public static CSharpCompilation CompileWithGpu(params string[] sources) => Compile(ParseOptions, GpuReferences, sources);

    /// <summary>A compilation that references MultiMax.Torch and MultiMax.Gpu, so every emitter runs.</summary>
    public static CSharpCompilation CompileWithEveryBackend(params string[] sources) => Compile(ParseOptions, EveryBackendReferences, sources);

    public static CSharpCompilation CompileWithIlgpuOnly(params string[] sources) => Compile(ParseOptions, IlgpuOnlyReferences, sources);

    public static CSharpCompilation CompileWithTorchSharpOnly(params string[] sources) => Compile(ParseOptions, TorchSharpOnlyReferences, sources);

    public static CSharpCompilation Compile(CSharpParseOptions parseOptions, params string[] sources) =>
        Compile(parseOptions, References, sources);

    /// <summary>A compilation that references MultiMax.Torch, so the TorchSharp emitter runs too.</summary>
    public static CSharpCompilation CompileWithTorch(params string[] sources) => Compile(ParseOptions, TorchReferences, sources);

    private static CSharpCompilation Compile(CSharpParseOptions parseOptions, ImmutableArray<MetadataReference> references, string[] sources) =>
        CSharpCompilation.Create(
            "Consumer",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, parseOptions, path: $"Source{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new NormalizerGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator and returns its result and the compilation that includes its output.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(params string[] sources) => Run(ParseOptions, sources);

    public static (GeneratorRunResult Result, Compilation Output) Run(CSharpParseOptions parseOptions, params string[] sources) =>
        Run(Compile(parseOptions, sources));

    public static (GeneratorRunResult Result, Compilation Output) RunWithTorch(params string[] sources) => Run(CompileWithTorch(sources));

    public static (GeneratorRunResult Result, Compilation Output) RunWithTorchSharpOnly(params string[] sources) => Run(CompileWithTorchSharpOnly(sources));

    public static (GeneratorRunResult Result, Compilation Output) RunWithIlgpuOnly(params string[] sources) => Run(CompileWithIlgpuOnly(sources));

    public static (GeneratorRunResult Result, Compilation Output) Run(CSharpCompilation input)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return (result, output);
    }

    /// <summary>A hint name without its hash, e.g. <c>Demo.Ops.Norm.Float.Cpu.g.cs</c>: what a test can spell out.</summary>
    public static string WithoutHash(string hintName) =>
        System.Text.RegularExpressions.Regex.Replace(hintName, @"\.[0-9a-f]{16}\.g\.cs$", ".g.cs");

    /// <summary>The readable hint names of <paramref name="sources"/>, sorted.</summary>
    public static string[] ReadableHintNames(System.Collections.Generic.IEnumerable<GeneratedSourceResult> sources) =>
        sources.Select(s => WithoutHash(s.HintName)).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>Runs the generator on a valid declaration and checks that the generated code compiles cleanly.</summary>
    public static ImmutableArray<GeneratedSourceResult> GenerateValid(string source) => GenerateValid(Compile(source));

    /// <summary>As <see cref="GenerateValid(string)"/>, in a compilation that references MultiMax.Torch.</summary>
    public static ImmutableArray<GeneratedSourceResult> GenerateValidWithTorch(string source) => GenerateValid(CompileWithTorch(source));

    /// <summary>As <see cref="GenerateValid(string)"/>, in a compilation that references MultiMax.Gpu.</summary>
    public static ImmutableArray<GeneratedSourceResult> GenerateValidWithGpu(string source) => GenerateValid(CompileWithGpu(source));

    /// <summary>As <see cref="GenerateValid(string)"/>, in a compilation where every backend runs.</summary>
    public static ImmutableArray<GeneratedSourceResult> GenerateValidWithEveryBackend(string source) => GenerateValid(CompileWithEveryBackend(source));

    /// <summary>Runs the generator on a compilation of valid declarations and checks that the generated code compiles cleanly.</summary>
    public static ImmutableArray<GeneratedSourceResult> GenerateValid(CSharpCompilation input)
    {
        (GeneratorRunResult result, Compilation output) = Run(input);
        Assert.Empty(result.Diagnostics);
        Diagnostic[] problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, "The generated code does not compile cleanly:\n" + string.Join("\n", problems.Select(p => p.ToString())));
        return result.GeneratedSources;
    }
}
