using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using MultiMax.Torch;
using MultiMax.Training;
using Spectre.Console;

// MultiMax.NET's main program: SoftMax against MultiMax attention on the same task, seed and budget.
var epochs = new Option<int>("--epochs") { Description = "Passes over the 8 192 training sequences, per run.", DefaultValueFactory = _ => 10 };
var seed = new Option<int>("--seed") { Description = "Seeds the data, the shuffling and every initial weight.", DefaultValueFactory = _ => 1 };
var output = new Option<DirectoryInfo>("--output") { Description = "Folder for the PNG figures and results.md.", DefaultValueFactory = _ => new DirectoryInfo("training-output") };
epochs.Validators.Add(result =>
{
    if (result.GetValue(epochs) < 1)
    {
        result.AddError("--epochs must be at least 1.");
    }
});

var root = new RootCommand("Trains a small transformer with SoftMax attention and with MultiMax attention and compares them.")
{
    epochs, seed, output,
};
root.SetAction(parse => Run(new TrainingOptions(parse.GetValue(epochs), parse.GetValue(seed)), parse.GetValue(output)!));
return root.Parse(args).Invoke();

static int Run(TrainingOptions options, DirectoryInfo output)
{
    AnsiConsole.MarkupLine("[bold]MultiMax.NET[/]: sum the digits hidden among noise tokens.");
    AnsiConsole.MarkupLine(
        $"[grey]{options.Length - 1} tokens per sequence, {CountingTask.Digits} of them digits to add; {options.Layers} layers, width {options.Width}, " +
        $"{options.Heads} heads; {options.Epochs} epochs of {options.StepsPerEpoch} steps per run; seed {options.Seed}.[/]");

    TaskData data = TaskData.Create(options);
    RunResult softMax = null!, multiMax = null!;
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
        .Start(context =>
        {
            softMax = Train(context, "SoftMax", NormalizerKind.SoftMax, options, data);
            multiMax = Train(context, "MultiMax", NormalizerKind.MultiMax2, options, data);
        });

    var table = new Table().Title("Held-out set (2 048 sequences); attention of the [[CLS]] query, layer 1 / layer 2")
        .AddColumns("", "test loss", "accuracy", "mass on noise", "mass on digits", $"modes kept (≥ {Trainer.ModeThreshold:0.##})", "training time");
    foreach (RunResult run in new[] { softMax, multiMax })
    {
        table.AddRow(run.Name, F(run.TestLoss, "0.000"), F(run.Accuracy, "0.0%"), PerLayer(run.NoiseMass, "0.000"), PerLayer(run.DigitMass, "0.000"),
            PerLayer(run.ModesKept, "0.00"), $"{run.Elapsed.TotalSeconds:0} s");
    }

    AnsiConsole.Write(table);
    for (int layer = 0; layer < multiMax.Modulators.Count; layer++)
    {
        (double[] ts, double[] ranges) = multiMax.Modulators[layer];
        AnsiConsole.MarkupLine(Markup.Escape($"MultiMax layer {layer + 1}: ts = [{string.Join(", ", ts.Select(v => F(v, "0.000")))}], ranges = [{string.Join(", ", ranges.Select(v => F(v, "0.000")))}]"));
    }

    foreach (string figure in Figures.WriteAll(output.FullName, softMax, multiMax))
    {
        AnsiConsole.MarkupLine($"wrote [link]{figure}[/]");
    }

    string results = Path.Combine(output.FullName, "results.md");
    File.WriteAllText(results, Markdown(options, softMax, multiMax));
    AnsiConsole.MarkupLine($"wrote [link]{results}[/]");
    return 0;
}

static RunResult Train(ProgressContext context, string name, NormalizerKind kind, TrainingOptions options, TaskData data)
{
    ProgressTask task = context.AddTask($"{name,-8}", maxValue: options.Steps);
    RunResult result = Trainer.Run(name, kind, options, data, (step, loss) =>
    {
        task.Value = step;
        if (step % 20 == 0)
        {
            task.Description = $"{name,-8} loss {loss:0.000}";
        }
    });
    task.Description = $"{name,-8} done";
    return result;
}

static string Markdown(TrainingOptions options, RunResult softMax, RunResult multiMax) =>
    $"Seed {options.Seed}, {options.Epochs} epochs × {options.StepsPerEpoch} steps, batch {options.BatchSize}, {options.Layers} layers, width {options.Width}, {options.Heads} heads.\n\n" +
    "Attention of the [CLS] query, layer 1 / layer 2.\n\n" +
    "| attention | test loss | accuracy | mass on noise | mass on digits | modes kept | training time |\n" +
    "|---|---:|---:|---:|---:|---:|---:|\n" +
    string.Concat(new[] { softMax, multiMax }.Select(r =>
        $"| {r.Name} | {F(r.TestLoss, "0.000")} | {F(r.Accuracy, "0.0%")} | {PerLayer(r.NoiseMass, "0.000")} | {PerLayer(r.DigitMass, "0.000")} | {PerLayer(r.ModesKept, "0.00")} | {r.Elapsed.TotalSeconds:0} s |\n"));

static string PerLayer(double[] values, string format) => string.Join(" / ", values.Select(v => F(v, format)));

static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
