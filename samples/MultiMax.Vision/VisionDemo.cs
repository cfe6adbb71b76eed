using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MultiMax.Analysis;
using MultiMax.Torch;
using MultiMax.Training;
using MultiMax.Vision.Data;
using Spectre.Console;
using Progress = MultiMax.Training.Progress;
using Text = MultiMax.Training.Text;

namespace MultiMax.Vision;

/// <summary>The program: every seed trains a SoftMax and a MultiMax model, then the report over seeds.</summary>
public static class VisionDemo
{
    public const int DefaultEpochs = 5;

    public const int DefaultTrainSize = 30_000;

    private static readonly (string Name, NormalizerKind Kind)[] Runs = { ("SoftMax", NormalizerKind.SoftMax), ("MultiMax", NormalizerKind.MultiMax2) };

    /// <summary>"3" is seeds 1, 2, 3; "1,7,42" is those seeds; null when neither (or a seed repeats).</summary>
    public static int[]? ParseSeeds(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 1)
        {
            return int.TryParse(parts[0], out int count) && count >= 1 ? Enumerable.Range(1, count).ToArray() : null;
        }

        int[] seeds = parts.Select(p => int.TryParse(p, out int seed) ? seed : (int?)null).Where(s => s is not null).Select(s => s!.Value).ToArray();
        return seeds.Length == parts.Length && seeds.Distinct().Count() == seeds.Length ? seeds : null;
    }

    public static int Run(DirectoryInfo data, VisionOptions options, int[] seeds, DirectoryInfo output)
    {
        string[] missing = FashionMnist.Missing(data.FullName);
        if (missing.Length > 0)
        {
            AnsiConsole.MarkupLine($"[red]Fashion-MNIST is not in {Markup.Escape(data.FullName)}[/]: missing {Markup.Escape(string.Join(", ", missing))}.");
            AnsiConsole.MarkupLine($"On Debian or Ubuntu, [bold]{FashionMnist.InstallCommand}[/] installs it there; elsewhere, pass [bold]--data DIR[/] with the four files.");
            return 2;
        }

        ImageSet train, test;
        try
        {
            (train, test) = FashionMnist.Load(data.FullName);
        }
        catch (InvalidDataException e)
        {
            AnsiConsole.MarkupLine($"[red]Cannot read Fashion-MNIST:[/] {Markup.Escape(e.Message)}");
            return 2;
        }

        return Run(train, test, options, seeds, output);
    }

    /// <summary>The comparison on given image sets (the tests pass a small synthetic one).</summary>
    public static int Run(ImageSet train, ImageSet test, VisionOptions options, int[] seeds, DirectoryInfo output)
    {
        int steps = options.Epochs * options.StepsPerEpoch(train.Count);
        AnsiConsole.MarkupLine("[bold]MultiMax.NET[/]: a vision transformer on Fashion-MNIST, SoftMax against MultiMax attention.");
        AnsiConsole.MarkupLine(
            $"[grey]{Math.Min(options.TrainSize, train.Count)} training and {test.Count} test images; {options.Patch} × {options.Patch} patches, " +
            $"{options.Layers} layers, width {options.Width}, {options.Heads} heads; {Text.Count(options.Epochs, "epoch")} of {options.StepsPerEpoch(train.Count)} steps " +
            $"per run; seeds {string.Join(", ", seeds)}.[/]");

        var results = new List<VisionResult>();
        Progress.Run(context =>
        {
            foreach (int seed in seeds)
            {
                foreach ((string name, NormalizerKind kind) in Runs)
                {
                    results.Add(Progress.Track(context, $"{name} {seed}", steps, onStep => VisionTrainer.Run(name, kind, seed, options, train, test, onStep)));
                }
            }
        });

        VisionResult[] softMax = results.Where(r => r.Name == "SoftMax").ToArray(), multiMax = results.Where(r => r.Name == "MultiMax").ToArray();
        WriteTable(softMax, multiMax, seeds.Length);
        Training.Modulators.Write(multiMax[0].Modulators.Select((m, layer) => ($"layer {layer + 1} (seed {multiMax[0].Seed})", m.Ts, m.Ranges)));

        foreach (string figure in VisionFigures.WriteAll(output.FullName, test, softMax, multiMax))
        {
            AnsiConsole.MarkupLine($"wrote [link]{figure}[/]");
        }

        string markdown = Path.Combine(output.FullName, "results.md");
        File.WriteAllText(markdown, Markdown(options, seeds, test.Count, softMax, multiMax));
        AnsiConsole.MarkupLine($"wrote [link]{markdown}[/]");
        return 0;
    }

    /// <summary>One row per metric (80 columns): mean ± standard deviation over seeds; attention rows per layer.</summary>
    private static void WriteTable(VisionResult[] softMax, VisionResult[] multiMax, int seeds)
    {
        var table = new Table().Title($"Test set, mean ± std over {Text.Count(seeds, "seed")}").AddColumns("", "SoftMax", "MultiMax");
        foreach ((string metric, Func<VisionResult[], string> value) in Rows())
        {
            table.AddRow(Markup.Escape(metric), value(softMax), value(multiMax));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey][[CLS]] rows: the [[CLS]] query's attention over [[CLS]] and the patches, mean over images and heads; layer 1 / 2 / ….[/]");
    }

    private static IEnumerable<(string Metric, Func<VisionResult[], string> Value)> Rows()
    {
        yield return ("test accuracy", r => MeanStd(r.Select(x => x.TestAccuracy), "0.00%", 100));
        yield return ("test loss", r => MeanStd(r.Select(x => x.TestLoss), "0.000"));
        yield return ("training time", r => MeanStd(r.Select(x => x.Elapsed.TotalSeconds), "0") + " s");
        yield return ("[CLS] entropy (nats)", r => PerLayer(r, s => s.Entropy, "0.00"));
        yield return ("[CLS] mass below 0.01", r => PerLayer(r, s => s.TailMass, "0.000"));
        yield return ("[CLS] mass outside top 3", r => PerLayer(r, s => s.MassOutsideTopK, "0.00"));
        yield return ("[CLS] keys ≥ 0.1", r => PerLayer(r, s => s.Modes, "0.0"));
    }

    private static string Markdown(VisionOptions options, int[] seeds, long testCount, VisionResult[] softMax, VisionResult[] multiMax)
    {
        var text = new StringBuilder();
        text.AppendLine(
            $"Fashion-MNIST: {options.TrainSize} training images, {testCount} test images; {options.Patch} × {options.Patch} patches, {options.Layers} layers, " +
            $"width {options.Width}, {options.Heads} heads; {Text.Count(options.Epochs, "epoch")}, batch {options.BatchSize}; seeds {string.Join(", ", seeds)}.");
        text.AppendLine();
        text.AppendLine("Mean ± standard deviation over the seeds. [CLS] rows: the [CLS] query's attention over [CLS] and the patches, mean over the first 1 000 test images and the heads, layer 1 / 2 / ….");
        text.AppendLine();
        text.AppendLine("| | SoftMax | MultiMax |");
        text.AppendLine("|---|---:|---:|");
        foreach ((string metric, Func<VisionResult[], string> value) in Rows())
        {
            text.AppendLine($"| {metric} | {value(softMax)} | {value(multiMax)} |");
        }

        text.AppendLine();
        text.AppendLine("| seed | SoftMax accuracy | MultiMax accuracy |");
        text.AppendLine("|---:|---:|---:|");
        for (int i = 0; i < softMax.Length; i++)
        {
            text.AppendLine($"| {softMax[i].Seed} | {Text.Number(100 * softMax[i].TestAccuracy, "0.00")} % | {Text.Number(100 * multiMax[i].TestAccuracy, "0.00")} % |");
        }

        return text.ToString();
    }

    private static string PerLayer(VisionResult[] runs, Func<DistributionSummary, double> metric, string format) =>
        Text.Numbers(Enumerable.Range(0, runs[0].Cls.Length).Select(layer => runs.Average(r => metric(r.Cls[layer]))), format, " / ");

    /// <summary>"91.20 ± 0.31" (sample standard deviation; the mean alone for one seed); <paramref name="scale"/> 100 for percentages.</summary>
    private static string MeanStd(IEnumerable<double> values, string format, double scale = 1)
    {
        double[] v = values.Select(x => x * scale).ToArray();
        double mean = v.Average();
        string number = format.TrimEnd('%');
        string unit = format.EndsWith('%') ? " %" : "";
        if (v.Length < 2)
        {
            return $"{Text.Number(mean, number)}{unit}";
        }

        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return $"{Text.Number(mean, number)} ± {Text.Number(std, number)}{unit}";
    }
}
