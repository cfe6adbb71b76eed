using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace MultiMax.Generator.Tests.Documentation;

/// <summary>
/// The little of Markdown the documentation checks need: the links a page makes and the anchors its headings get, both
/// outside code (fenced blocks and inline code spans are text, not links).
/// </summary>
internal static class Markdown
{
    private static readonly Regex Fence = new(@"^\s*(```|~~~)");
    private static readonly Regex InlineCode = new(@"`+[^`]*`+");
    private static readonly Regex Heading = new(@"^#{1,6}\s+(?<text>.*?)\s*#*\s*$");
    private static readonly Regex Link = new(@"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)");
    private static readonly Regex LinkText = new(@"!?\[(?<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\([^)]*\)");

    /// <summary>Every link target with its 1-based line, images included.</summary>
    public static IEnumerable<(int Line, string Target)> Links(string text) =>
        ProseLines(text).SelectMany(line => Link.Matches(InlineCode.Replace(line.Text, ""))
            .Select(match => (line.Number, match.Groups["target"].Value)));

    /// <summary>The anchors GitHub gives the page's headings, a repeated one suffixed -1, -2, ….</summary>
    public static ISet<string> Anchors(string text)
    {
        var anchors = new HashSet<string>();
        var seen = new Dictionary<string, int>();
        foreach ((_, string line) in ProseLines(text))
        {
            Match heading = Heading.Match(line);
            if (!heading.Success)
            {
                continue;
            }

            string slug = Slug(heading.Groups["text"].Value);
            seen[slug] = seen.TryGetValue(slug, out int count) ? count + 1 : 0;
            anchors.Add(seen[slug] == 0 ? slug : $"{slug}-{seen[slug]}");
        }

        return anchors;
    }

    /// <summary>
    /// GitHub's heading anchor: the heading's text (links and code by their text), lower-cased, with every character
    /// but letters, digits, '_', '-' and spaces dropped and each space a '-'.
    /// </summary>
    public static string Slug(string heading)
    {
        string text = LinkText.Replace(heading, match => match.Groups["text"].Value).Replace("`", "");
        var slug = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '_' or '-')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    /// <summary>The page's lines outside fenced code blocks, numbered from 1.</summary>
    private static IEnumerable<(int Number, string Text)> ProseLines(string text)
    {
        bool inFence = false;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (Fence.IsMatch(lines[i]))
            {
                inFence = !inFence;
            }
            else if (!inFence)
            {
                yield return (i + 1, lines[i].TrimEnd('\r'));
            }
        }
    }
}
