using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Documentation;

/// <summary>
/// docs/diagnostics.md, where every descriptor's help link points, says what the generator does: one heading per id,
/// and under it a bad example that gets that id and a fixed one that gets none and compiles cleanly.
/// </summary>
public class DiagnosticsPageTests
{
    /// <summary>The ids that a project's settings cause, not its code: their examples are .csproj lines.</summary>
    private static readonly string[] ProjectLevel = ["MMX0014", "MMX0016", "MMX0017"];

    private static readonly Regex Example = new(@"^(?<kind>Bad|Fixed):\s*\n```(?<language>\w+)\n(?<code>.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline);

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Sections = new(ReadSections);

    public static TheoryData<string> Ids() => new(Descriptors.All.Select(descriptor => descriptor.Id));

    [Fact]
    public void EveryIdHasAHeadingAndEveryHeadingAnId() =>
        Assert.Equal(Descriptors.All.Select(d => d.Id).Order(StringComparer.Ordinal), Sections.Value.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Ids))]
    public void TheHelpLinkIsTheIdsHeading(string id)
    {
        string anchor = new Uri(Descriptors.All.Single(d => d.Id == id).HelpLinkUri).Fragment.TrimStart('#');
        Assert.Contains(anchor, Markdown.Anchors(File.ReadAllText(PagePath)));
        Assert.Equal(Markdown.Slug(id), anchor);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void TheBadExampleGetsTheIdAndTheFixedOneCompilesCleanly(string id)
    {
        var examples = Example.Matches(Sections.Value[id]).ToDictionary(m => m.Groups["kind"].Value, m => (Language: m.Groups["language"].Value, Code: m.Groups["code"].Value));
        Assert.True(examples.ContainsKey("Bad") && examples.ContainsKey("Fixed"), $"{id} needs a 'Bad:' and a 'Fixed:' example.");
        if (ProjectLevel.Contains(id))
        {
            Assert.All(examples.Values, example => Assert.Equal("xml", example.Language));
            return;
        }

        Assert.All(examples.Values, example => Assert.Equal("csharp", example.Language));
        (GeneratorRunResult bad, _) = GeneratorHarness.Run(GeneratorHarness.CompileWithEveryBackend(ImplicitUsings, examples["Bad"].Code));
        Assert.Contains(bad.Diagnostics, diagnostic => diagnostic.Id == id);

        GeneratorHarness.GenerateValid(GeneratorHarness.CompileWithEveryBackend(ImplicitUsings, examples["Fixed"].Code));
    }

    /// <summary>What an SDK project's implicit usings give the examples.</summary>
    private const string ImplicitUsings = "global using System;";

    private static string PagePath => Path.Combine(RepositoryFiles.Root, "docs", "diagnostics.md");

    /// <summary>Each "## MMXnnnn" heading's text up to the next heading of that level.</summary>
    private static IReadOnlyDictionary<string, string> ReadSections() =>
        Regex.Split(File.ReadAllText(PagePath).Replace("\r\n", "\n"), @"^## ", RegexOptions.Multiline)
            .Skip(1)
            .Select(section => (Heading: section[..section.IndexOf('\n')].Trim(), Body: section))
            .Where(section => Regex.IsMatch(section.Heading, @"^MMX\d{4}$"))
            .ToDictionary(section => section.Heading, section => section.Body);
}
