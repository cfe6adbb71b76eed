using System;
using System.IO;
using System.Linq;
using MultiMax.Torch;
using Spectre.Console;

namespace MultiMax.Training.Counting;

/// <summary>The main program's default command: SoftMax against MultiMax attention on the counting task, then the report.</summary>
public static class CountingDemo
{
    public static int Run(CountingOptions options, DirectoryInfo output)
    {
        AnsiConsole.MarkupLine("[bold]MultiMax.NET[/]: sum the digits hidden among noise tokens.");
        AnsiConsole.MarkupLine(
            $"[grey]{options.Length - 1} tokens per sequence, {CountingTask.Digits} of them digits to add; {options.Layers} layers, width {options.Width}, " +
            $"{options.Heads} heads; {Text.Count(options.Epochs, "epoch")} of {options.StepsPerEpoch} steps per run; seed {options.Seed}.[/]");

        CountingData data = CountingData.Create(options);
        CountingResult softMax = null!, multiMax = null!;
        Progress.Run(context =>
        {
            softMax = Progress.Track(context, "SoftMax", options.Steps, onStep => CountingTrainer.Run("SoftMax", NormalizerKind.SoftMax, options, data, onStep));
            multiMax = Progress.Track(context, "MultiMax", options.Steps, onStep => CountingTrainer.Run("MultiMax", NormalizerKind.MultiMax2, options, data, onStep));
        });

        // One row per metric, so that the table fits 80 columns; attention columns read layer 1 / layer 2.
        var table = new Table().Title($"Held-out set ({options.TestExamples} sequences)").AddColumns("", "SoftMax", "MultiMax");
        void Row(string metric, Func<CountingResult, string> value) => table.AddRow(metric, value(softMax), value(multiMax));
        Row("test loss", r => Text.Number(r.TestLoss, "0.000"));
        Row("accuracy", r => Text.Number(r.Accuracy, "0.0%"));
        Row("[[CLS]] mass on noise", r => PerLayer(r.NoiseMass, "0.000"));
        Row("[[CLS]] mass on digits", r => PerLayer(r.DigitMass, "0.000"));
        Row($"modes kept (≥ {CountingTrainer.ModeThreshold:0.##})", r => PerLayer(r.ModesKept, "0.00"));
        Row("training time", r => $"{r.Elapsed.TotalSeconds:0} s");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey][[CLS]] rows: its attention, mean over heads and examples; layer 1 / layer 2.[/]");
        Modulators.Write(multiMax.Modulators.Select((m, layer) => ($"layer {layer + 1}", m.Ts, m.Ranges)));

        foreach (string figure in CountingFigures.WriteAll(output.FullName, softMax, multiMax))
        {
            AnsiConsole.MarkupLine($"wrote [link]{figure}[/]");
        }

        string results = Path.Combine(output.FullName, "results.md");
        File.WriteAllText(results, Markdown(options, softMax, multiMax));
        AnsiConsole.MarkupLine($"wrote [link]{results}[/]");
        return 0;
    }

    private static string Markdown(CountingOptions options, CountingResult softMax, CountingResult multiMax) =>
        $"Seed {options.Seed}, {Text.Count(options.Epochs, "epoch")} × {options.StepsPerEpoch} steps, batch {options.BatchSize}, {options.Layers} layers, width {options.Width}, {options.Heads} heads.\n\n" +
        "Attention of the [CLS] query, layer 1 / layer 2.\n\n" +
        "| attention | test loss | accuracy | mass on noise | mass on digits | modes kept | training time |\n" +
        "|---|---:|---:|---:|---:|---:|---:|\n" +
        string.Concat(new[] { softMax, multiMax }.Select(r =>
            $"| {r.Name} | {F(r.TestLoss, "0.000")} | {F(r.Accuracy, "0.0%")} | {PerLayer(r.NoiseMass, "0.000")} | {PerLayer(r.DigitMass, "0.000")} | {PerLayer(r.ModesKept, "0.00")} | {r.Elapsed.TotalSeconds:0} s |\n"));

    private static string PerLayer(double[] values, string format) => Text.Numbers(values, format, " / ");

    private static string F(double value, string format) => Text.Number(value, format);
}
