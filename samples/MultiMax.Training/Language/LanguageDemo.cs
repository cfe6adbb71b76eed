using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MultiMax.Torch;
using Spectre.Console;

namespace MultiMax.Training.Language;

/// <summary>
/// The <c>language-model</c> command: a small causal transformer trained on the generated language twice, with a
/// SoftMax and with a MultiMax output layer (fused loss in both), then graded against the true distributions.
/// </summary>
public static class LanguageDemo
{
    public static int Run(LanguageOptions options, DirectoryInfo output)
    {
        LanguageData data = LanguageData.Create(options);
        AnsiConsole.MarkupLine("[bold]MultiMax.NET[/]: a language model on a generated language, SoftMax against MultiMax in the output layer.");
        AnsiConsole.MarkupLine(
            $"[grey]{data.Language.Vocabulary} tokens, {options.TrainSequences} training sequences of {options.Length}; {options.Layers} layers, width {options.Width}, " +
            $"{options.Heads} heads; {Text.Count(options.Epochs, "epoch")} of {options.StepsPerEpoch} steps per run; seed {options.Seed}.[/]");

        LanguageResult softMax = null!, multiMax = null!;
        Progress.Run(context =>
        {
            softMax = Progress.Track(context, "SoftMax", options.Steps, onStep => LanguageTrainer.Run("SoftMax", NormalizerKind.SoftMax, options, data, onStep));
            multiMax = Progress.Track(context, "MultiMax", options.Steps, onStep => LanguageTrainer.Run("MultiMax", NormalizerKind.MultiMax2, options, data, onStep));
        });

        double floor = data.Floor;
        var table = new Table().Title($"Held-out set ({options.TestSequences} sequences)").AddColumns("output layer", "SoftMax", "MultiMax");
        void Row(string metric, Func<LanguageResult, string> value) => table.AddRow(metric, value(softMax), value(multiMax));
        Row($"test loss (best possible {F(floor, "0.000")})", r => F(r.TestLoss, "0.000"));
        Row("KL to the truth", r => F(r.Divergence, "0.000"));
        Row("mass on impossible tokens", r => F(r.ImpossibleMass, "0.0000"));
        Row("training time", r => $"{r.Elapsed.TotalSeconds:0} s");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]KL: the loss above the best possible, from the full distributions.[/]");
        AnsiConsole.MarkupLine("[grey]Impossible tokens: those the language never puts next.[/]");
        if (multiMax.Modulator is (double[] ts, double[] ranges))
        {
            Modulators.Write(new[] { ("output layer", ts, ranges) });
        }

        Directory.CreateDirectory(output.FullName);
        var written = new List<string>
        {
            Plots.LossCurves(Path.Combine(output.FullName, "loss.png"), new[] { softMax, multiMax }.Select(r => (r.Name, r.StepLosses))),
        };
        if (multiMax.Modulator is (double[] outputTs, double[] outputRanges))
        {
            written.Add(Plots.Modulators(
                Path.Combine(output.FullName, "modulator.png"), "Learned MultiMax modulator of the output layer", "logit x",
                new[] { ("output layer: σ(x)", outputTs, outputRanges) }, from: -10, to: 10));
        }

        string results = Path.Combine(output.FullName, "results.md");
        File.WriteAllText(results, Markdown(options, floor, softMax, multiMax));
        written.Add(results);
        foreach (string file in written)
        {
            AnsiConsole.MarkupLine($"wrote [link]{file}[/]");
        }

        return 0;
    }

    private static string Markdown(LanguageOptions options, double floor, LanguageResult softMax, LanguageResult multiMax) =>
        $"Seed {options.Seed}, {Text.Count(options.Epochs, "epoch")} × {options.StepsPerEpoch} steps, batch {options.BatchSize} × {options.Length} tokens, {options.Layers} layers, " +
        $"width {options.Width}, {options.Heads} heads. Best possible test loss: {F(floor, "0.000")}.\n\n" +
        "| output layer | test loss | KL to the truth | mass on impossible tokens | training time |\n" +
        "|---|---:|---:|---:|---:|\n" +
        string.Concat(new[] { softMax, multiMax }.Select(r =>
            $"| {r.Name} | {F(r.TestLoss, "0.000")} | {F(r.Divergence, "0.000")} | {F(r.ImpossibleMass, "0.0000")} | {r.Elapsed.TotalSeconds:0} s |\n"));

    private static string F(double value, string format) => Text.Number(value, format);
}
