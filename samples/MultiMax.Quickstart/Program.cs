using System;
using System.Linq;
using MultiMax;
using MultiMax.Quickstart;
using Spectre.Console;

// A batch of attention-like score rows: a few relevant entries (the modes) among many irrelevant small ones.
float[][] batch =
{
    new[] { 3.0f, 2.7f, 0.6f, 0.4f, 0.2f, 0.0f, -0.3f, -0.6f, -0.9f, -1.2f }, // two modes
    new[] { 2.2f, 0.5f, 2.0f, 0.3f, 1.9f, 0.1f, -0.2f, -0.4f, -0.8f, -1.0f }, // three modes
    new[] { 0.2f, 0.9f, 0.8f, 0.7f, 2.6f, 0.5f, 0.4f, 0.3f, 0.6f, 0.1f },     // one mode in a flat background
};
const int rowLength = 10;
float[] x = batch.SelectMany(row => row).ToArray();

var softMax = new float[x.Length];
var multiMax = new float[x.Length];
Normalizers.SoftMax(x, softMax, rowLength);     // built in, generated from [Normalizer]
Modulators.Sharpen(x, multiMax, rowLength);     // declared above, generated from its attributes

AnsiConsole.Write(new Rule("[bold]MultiMax.NET quickstart[/]: SoftMax(σ(x)) with σ from attributes"));
for (int row = 0; row < batch.Length; row++)
{
    var table = new Table().Border(TableBorder.Rounded).Title($"row {row + 1}");
    table.AddColumn("x", c => c.RightAligned());
    table.AddColumn("SoftMax", c => c.RightAligned());
    table.AddColumn("MultiMax", c => c.RightAligned());
    table.AddColumn("");
    for (int i = 0; i < rowLength; i++)
    {
        int k = row * rowLength + i;
        string change = multiMax[k] < softMax[k] ? "[red]suppressed[/]" : "[green]kept[/]";
        table.AddRow($"{x[k]:F2}", $"{softMax[k]:F4}", $"{multiMax[k]:F4}", change);
    }

    AnsiConsole.Write(table);
    AnsiConsole.MarkupLine(
        $"  mass on the small entries (x < 1): SoftMax [yellow]{SmallMass(softMax, x, row):P1}[/]   MultiMax [yellow]{SmallMass(multiMax, x, row):P1}[/]");
    AnsiConsole.MarkupLine(
        $"  second largest / largest:         SoftMax [yellow]{ModeRatio(softMax, row):F3}[/]   MultiMax [yellow]{ModeRatio(multiMax, row):F3}[/]");
}

// Learnable normalizers take their parameters as a span and come with an analytic backward pass.
float[] parameters = { 0.3f, -0.2f, 0.1f, -0.05f, -1f, 1f, -1.5f, 1.5f };
var y = new float[x.Length];
var dy = Enumerable.Range(0, x.Length).Select(i => i % rowLength == 0 ? 1f : 0f).ToArray(); // d(Σ first entries)
var dx = new float[x.Length];
var parameterGradients = new float[parameters.Length];
Modulators.Learnable(x, y, rowLength, parameters);
Modulators.LearnableBackward(x, y, dy, dx, rowLength, parameters, parameterGradients);
AnsiConsole.MarkupLine($"\nLearnable order-2 MultiMax: ∂(Σ y[[first]])/∂parameters = [[{string.Join(", ", parameterGradients.Select(g => g.ToString("F4")))}]]");

// σ written as C#: soft-capping, differentiated by the generator. The cap bounds every σ, so no entry dominates.
float[] cap = { 2f };
var capped = new float[x.Length];
var capGradient = new float[1];
Modulators.Capped(x, capped, rowLength, cap);
Modulators.CappedBackward(x, capped, dy, dx, rowLength, cap, capGradient);
AnsiConsole.MarkupLine($"Soft-capped (cap = 2), first row: [[{string.Join(", ", capped.Take(rowLength).Select(v => v.ToString("F4")))}]], ∂(Σ y[[first]])/∂cap = {capGradient[0]:F4}");

// Masked entries (−∞) get exactly zero mass, and bad input is rejected before anything is written.
float[] masked = { 1f, float.NegativeInfinity, 2f, float.NegativeInfinity };
var maskedOut = new float[4];
Modulators.Sharpen(masked, maskedOut, 4);
AnsiConsole.MarkupLine($"Masked row [[1, −∞, 2, −∞]] → [[{string.Join(", ", maskedOut.Select(v => v.ToString("F4")))}]]");
try
{
    Modulators.Sharpen(x, new float[x.Length - 1], rowLength);
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"Bad input: [grey]{Markup.Escape(e.Message)}[/]");
}

static double SmallMass(float[] p, float[] x, int row) =>
    Enumerable.Range(row * rowLength, rowLength).Where(k => x[k] < 1f).Sum(k => (double)p[k]);

static double ModeRatio(float[] p, int row)
{
    float[] sorted = p.AsSpan(row * rowLength, rowLength).ToArray().OrderByDescending(v => v).ToArray();
    return sorted[1] / sorted[0];
}
