using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MultiMax.Generator.Tests.Documentation;

/// <summary>The repository's own Markdown files, found from the test's output folder.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder that holds MultiMax.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// Every page a reader follows: README, CONTRIBUTING, docs/, each sample's README and each package's page (build
    /// output, artifacts and snapshot files are not documentation).
    /// </summary>
    public static IEnumerable<string> MarkdownPages() =>
        new[] { "README.md", "CONTRIBUTING.md" }.Select(name => Path.Combine(Root, name))
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateDirectories(Path.Combine(Root, "samples")).Select(sample => Path.Combine(sample, "README.md")))
            .Concat(Directory.EnumerateDirectories(Path.Combine(Root, "runtime")).Select(package => Path.Combine(package, "PACKAGE.md")))
            .Where(File.Exists)
            .OrderBy(path => path, StringComparer.Ordinal);

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MultiMax.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No MultiMax.sln above {AppContext.BaseDirectory}.");
    }
}
