using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace MultiMax.Generator.Tests.Robustness;

/// <summary>
/// Random declarations (<see cref="RandomDeclarations"/>) compiled with every backend referenced: the generator never
/// throws, and every generated file compiles without an error or a warning — a declaration it cannot implement is
/// rejected by an MMX diagnostic at the declaration instead. A failure names its seed; replay it with
/// <c>MULTIMAX_FUZZ_SEED=&lt;seed&gt; dotnet test --filter GeneratorFuzzTests</c>, or widen the run with
/// <c>MULTIMAX_FUZZ_COUNT</c>.
/// </summary>
public class GeneratorFuzzTests(ITestOutputHelper output)
{
    /// <summary>The seeds to run: the fixed 1..60 in CI, or those the environment asks for.</summary>
    public static IEnumerable<object[]> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("MULTIMAX_FUZZ_SEED"), out int seed))
        {
            return new[] { new object[] { seed } };
        }

        int count = int.TryParse(Environment.GetEnvironmentVariable("MULTIMAX_FUZZ_COUNT"), out int asked) ? asked : 60;
        return Enumerable.Range(1, count).Select(s => new object[] { s });
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomDeclarationsCompileOrAreDiagnosed(int seed)
    {
        string source = RandomDeclarations.Write(seed);
        (GeneratorRunResult result, Compilation compiled) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend(source));
        output.WriteLine($"Seed {seed}: {result.GeneratedSources.Length} files generated, {result.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error)} errors ({string.Join(", ", result.Diagnostics.Select(d => d.Id).Distinct().OrderBy(id => id))}).");

        HashSet<SyntaxTree> generated = compiled.SyntaxTrees.Skip(1).ToHashSet();
        Diagnostic[] inGeneratedFiles = compiled.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree))
            .ToArray();
        Assert.True(inGeneratedFiles.Length == 0, Report(seed, source, "errors or warnings inside generated files", inGeneratedFiles));

        Diagnostic[] misplaced = result.Diagnostics
            .Where(d => d.Id.StartsWith("MMX", StringComparison.Ordinal) && d.Id is not ("MMX0016" or "MMX0017") && d.Location.GetLineSpan().Path != "Source0.cs")
            .ToArray();
        Assert.True(misplaced.Length == 0, Report(seed, source, "MMX diagnostics without a location in the declaring source", misplaced));
    }

    private static string Report(int seed, string source, string problem, IEnumerable<Diagnostic> diagnostics) =>
        $"Seed {seed.ToString(CultureInfo.InvariantCulture)} (replay: MULTIMAX_FUZZ_SEED={seed.ToString(CultureInfo.InvariantCulture)}): {problem}:\n"
        + string.Join("\n", diagnostics.Select(d => d.ToString()).Take(20))
        + "\n--- source ---\n" + source;
}
