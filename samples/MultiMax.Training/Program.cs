using System.CommandLine;
using System.IO;
using MultiMax.Training.Counting;
using MultiMax.Training.Language;

// MultiMax.NET's main program. By default: SoftMax against MultiMax attention on the counting task. The
// language-model command: SoftMax against MultiMax in the fused output layer of a small language model.
var root = new RootCommand("Trains a small transformer with SoftMax attention and with MultiMax attention and compares them.");
(Option<int> epochs, Option<int> seed, Option<DirectoryInfo> output) = AddCommonOptions(root, defaultEpochs: 10, "training-output", "Passes over the 8 192 training sequences, per run.");
root.SetAction(parse => CountingDemo.Run(new CountingOptions(parse.GetValue(epochs), parse.GetValue(seed)), parse.GetValue(output)!));

var languageModel = new Command(
    "language-model", "Trains a small language model on a generated language with a SoftMax and with a MultiMax output layer (fused loss) and grades both against the true next-token distributions.");
(Option<int> lmEpochs, Option<int> lmSeed, Option<DirectoryInfo> lmOutput) = AddCommonOptions(languageModel, defaultEpochs: 10, "language-model-output", "Passes over the 4 096 training sequences, per run.");
languageModel.SetAction(parse => LanguageDemo.Run(new LanguageOptions(parse.GetValue(lmEpochs), parse.GetValue(lmSeed)), parse.GetValue(lmOutput)!));
root.Subcommands.Add(languageModel);

return root.Parse(args).Invoke();

static (Option<int> Epochs, Option<int> Seed, Option<DirectoryInfo> Output) AddCommonOptions(Command command, int defaultEpochs, string defaultOutput, string epochsDescription)
{
    var epochs = new Option<int>("--epochs") { Description = epochsDescription, DefaultValueFactory = _ => defaultEpochs };
    var seed = new Option<int>("--seed") { Description = "Seeds the data, the shuffling and every initial weight.", DefaultValueFactory = _ => 1 };
    var output = new Option<DirectoryInfo>("--output") { Description = "Folder for the PNG figures and results.md.", DefaultValueFactory = _ => new DirectoryInfo(defaultOutput) };
    epochs.Validators.Add(result =>
    {
        if (result.GetValue(epochs) < 1)
        {
            result.AddError("--epochs must be at least 1.");
        }
    });
    command.Options.Add(epochs);
    command.Options.Add(seed);
    command.Options.Add(output);
    return (epochs, seed, output);
}
