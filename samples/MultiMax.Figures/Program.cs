using System;
using System.CommandLine;
using System.IO;
using MultiMax.Figures;

// The paper's analysis, reproduced on this library's operators: writes the PNG figures and metrics.md.
var output = new Option<DirectoryInfo>("--output") { Description = "Folder for the figures and metrics.md.", DefaultValueFactory = _ => new DirectoryInfo("figures-output") };
var rows = new Option<int>("--rows") { Description = "Rows of random scores behind the metrics table.", DefaultValueFactory = _ => 2000 };
var seed = new Option<int>("--seed") { Description = "Seeds the random scores.", DefaultValueFactory = _ => 1 };
rows.Validators.Add(result =>
{
    if (result.GetValue(rows) < 1)
    {
        result.AddError("--rows must be at least 1.");
    }
});

var root = new RootCommand("Draws SoftMax, SparseMax, EntMax-1.5, EvSoftMax and MultiMax side by side, and measures them.") { output, rows, seed };
root.SetAction(parse =>
{
    foreach (string file in FigureWriter.WriteAll(parse.GetValue(output)!.FullName, parse.GetValue(rows), parse.GetValue(seed)))
    {
        Console.WriteLine($"wrote {file}");
    }

    Console.WriteLine();
    Console.Write(File.ReadAllText(Path.Combine(parse.GetValue(output)!.FullName, "metrics.md")));
    return 0;
});
return root.Parse(args).Invoke();
