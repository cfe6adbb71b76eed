using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace MultiMax.Generator.Tests.Documentation;

/// <summary>
/// The documentation holds together: every relative link in README, CONTRIBUTING, docs/ and the samples' READMEs
/// reaches a file of the repository, and every anchor a heading of the page it names.
/// </summary>
public class MarkdownLinkTests
{
    [Fact]
    public void EveryRelativeLinkAndAnchorResolves()
    {
        var broken = new List<string>();
        foreach (string page in RepositoryFiles.MarkdownPages())
        {
            foreach ((int line, string target) in Markdown.Links(File.ReadAllText(page)))
            {
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                string? problem = Check(page, target);
                if (problem is not null)
                {
                    broken.Add($"{RepositoryFiles.Relative(page)}:{line}: {target}: {problem}");
                }
            }
        }

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void ReadmeIsALandingPageWithTheTwoCommands()
    {
        string[] readme = File.ReadAllLines(Path.Combine(RepositoryFiles.Root, "README.md"));
        Assert.True(readme.Length <= 300, $"README.md has {readme.Length} lines; the reference belongs in docs/.");
        Assert.Contains(readme, line => line.StartsWith("dotnet run -c Release --project samples/MultiMax.Training", StringComparison.Ordinal));
        Assert.Contains(readme, line => line.StartsWith("dotnet test MultiMax.sln", StringComparison.Ordinal));
    }

    [Fact]
    public void EverySampleHasItsOwnReadme()
    {
        string[] samples = Directory.GetDirectories(Path.Combine(RepositoryFiles.Root, "samples"));
        Assert.NotEmpty(samples);
        Assert.All(samples, sample => Assert.True(File.Exists(Path.Combine(sample, "README.md")), $"{sample} has no README.md"));
    }

    [Theory]
    [InlineData("σ written as C#", "σ-written-as-c")]
    [InlineData("Model shapes, and libtorch's OpenMP threads", "model-shapes-and-libtorchs-openmp-threads")]
    [InlineData("TorchSharp on Debian 12 and Ubuntu 22.04", "torchsharp-on-debian-12-and-ubuntu-2204")]
    [InlineData("`<Name>Gpu` and [links](x.md)", "namegpu-and-links")]
    [InlineData("MMX0005", "mmx0005")]
    public void AnchorsAreGitHubs(string heading, string anchor) => Assert.Equal(anchor, Markdown.Slug(heading));

    /// <summary>Why <paramref name="target"/>, linked from <paramref name="page"/>, does not resolve; null if it does.</summary>
    private static string? Check(string page, string target)
    {
        int hash = target.IndexOf('#', StringComparison.Ordinal);
        string path = hash < 0 ? target : target[..hash];
        string anchor = hash < 0 ? "" : Uri.UnescapeDataString(target[(hash + 1)..]);
        string resolved = path.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(path)));
        if (!resolved.StartsWith(RepositoryFiles.Root, StringComparison.Ordinal))
        {
            return "outside the repository";
        }

        if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            return "no such file";
        }

        if (anchor.Length == 0)
        {
            return null;
        }

        if (!resolved.EndsWith(".md", StringComparison.Ordinal))
        {
            return "an anchor into a file that is not Markdown";
        }

        return Markdown.Anchors(File.ReadAllText(resolved)).Contains(anchor) ? null : "no heading with that anchor";
    }
}
