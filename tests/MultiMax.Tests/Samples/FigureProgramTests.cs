using System;
using System.IO;
using System.Linq;
using MultiMax.Figures;
using Xunit;

namespace MultiMax.Tests.Samples;

/// <summary>The figure program, at a small size: every file it names exists, the PNGs are PNGs, the table is complete.</summary>
public sealed class FigureProgramTests : IDisposable
{
    private static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
    private readonly string folder = Path.Combine(Path.GetTempPath(), "multimax-figures-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void WritesValidPngFiguresAndTheMetricsTable()
    {
        var files = FigureWriter.WriteAll(folder, metricRows: 20);

        Assert.Equal(new[] { "figure1-simplex.png", "figure2-reweighting.png", "modulators.png", "metrics.md" }, files.Select(Path.GetFileName));
        foreach (string png in files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
        {
            byte[] bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 10_000, $"{png} has only {bytes.Length} bytes");
            Assert.Equal(PngSignature, bytes[..8]);
        }

        string table = File.ReadAllText(files[^1]);
        foreach (string name in new[] { "SoftMax T=1", "SparseMax", "EntMax-1.5", "EvSoftMax", "MultiMax" })
        {
            Assert.Contains($"| {name} |", table);
        }

        Assert.DoesNotContain("NaN", table);
    }

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
