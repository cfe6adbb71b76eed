using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace MultiMax.Training.Counting;

/// <summary>The counting demo's figures: loss curves, the learned modulators (the paper's Figure 3), attention histograms (Figure 5).</summary>
public static class CountingFigures
{
    public static IReadOnlyList<string> WriteAll(string folder, CountingResult softMax, CountingResult multiMax)
    {
        Directory.CreateDirectory(folder);
        return new[]
        {
            Plots.LossCurves(Path.Combine(folder, "loss.png"), new[] { softMax, multiMax }.Select(r => (r.Name, r.StepLosses))),
            Plots.Modulators(
                Path.Combine(folder, "modulators.png"), "Learned MultiMax modulators (cf. the paper's Figure 3)", "attention score x",
                multiMax.Modulators.Select((m, layer) => ($"layer {layer + 1}: σ(x)", m.Ts, m.Ranges)), from: -6, to: 6),
            Plots.AttentionHistograms(
                Path.Combine(folder, "attention-histogram.png"), "attention weights of the [CLS] query",
                (softMax.Name, softMax.ClsWeights), (multiMax.Name, multiMax.ClsWeights)),
        };
    }
}
