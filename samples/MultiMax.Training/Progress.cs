using System;
using Spectre.Console;

namespace MultiMax.Training;

/// <summary>The console progress both demos show: one bar per training run, its description carrying the latest loss.</summary>
public static class Progress
{
    public static void Run(Action<ProgressContext> runs)
    {
        AnsiConsole.MarkupLine("[grey]Each bar: the run and its latest loss, progress, time elapsed, estimated time remaining.[/]");
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(runs);
    }

    /// <summary>Runs <paramref name="train"/> under a bar of <paramref name="steps"/> steps; it reports each step's loss.</summary>
    public static TResult Track<TResult>(ProgressContext context, string name, int steps, Func<Action<int, float>, TResult> train)
    {
        ProgressTask task = context.AddTask($"{name,-8}", maxValue: steps);
        TResult result = train((step, loss) =>
        {
            task.Value = step;
            if (step % 20 == 0)
            {
                task.Description = $"{name,-8} loss {loss:0.000}";
            }
        });
        // Stopped, a finished bar's clock shows how long its run took rather than how long the program has run.
        task.Description = $"{name,-8} done";
        task.StopTask();
        return result;
    }
}
