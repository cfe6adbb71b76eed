using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using MultiMax.Vision;
using MultiMax.Vision.Data;

// A small vision transformer on Fashion-MNIST, with SoftMax and with MultiMax attention, over several seeds.
var root = new RootCommand("Trains a small vision transformer on Fashion-MNIST with SoftMax and with MultiMax attention, over several seeds, and compares them.");
var data = new Option<DirectoryInfo>("--data") { Description = "Folder holding the four Fashion-MNIST IDX files (.gz).", DefaultValueFactory = _ => new DirectoryInfo(FashionMnist.DefaultFolder) };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training images, per run.", DefaultValueFactory = _ => VisionDemo.DefaultEpochs };
var seeds = new Option<string>("--seeds") { Description = "How many seeds (1, 2, … N), or a comma-separated list of seeds.", DefaultValueFactory = _ => "3" };
var trainSize = new Option<int>("--train-size") { Description = "How many of the 60 000 training images to train on (the first ones).", DefaultValueFactory = _ => VisionDemo.DefaultTrainSize };
var output = new Option<DirectoryInfo>("--output") { Description = "Folder for the PNG figures and results.md.", DefaultValueFactory = _ => new DirectoryInfo("vision-output") };
epochs.Validators.Add(result =>
{
    if (result.GetValue(epochs) < 1)
    {
        result.AddError("--epochs must be at least 1.");
    }
});
trainSize.Validators.Add(result =>
{
    if (result.GetValue(trainSize) < 1)
    {
        result.AddError("--train-size must be at least 1.");
    }
});
seeds.Validators.Add(result =>
{
    if (VisionDemo.ParseSeeds(result.GetValue(seeds)!) is null)
    {
        result.AddError("--seeds must be a count of at least 1 or a comma-separated list of distinct integers, e.g. 3 or 1,7,42.");
    }
});
root.Options.Add(data);
root.Options.Add(epochs);
root.Options.Add(seeds);
root.Options.Add(trainSize);
root.Options.Add(output);
root.SetAction(parse => VisionDemo.Run(
    parse.GetValue(data)!, new VisionOptions(parse.GetValue(epochs), parse.GetValue(trainSize)),
    VisionDemo.ParseSeeds(parse.GetValue(seeds)!)!, parse.GetValue(output)!));
return root.Parse(args).Invoke();
