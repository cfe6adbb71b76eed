using System;
using MultiMax.Analysis;
using Xunit;

namespace MultiMax.Tests.Analysis;

/// <summary>The metrics on distributions whose values are known by hand.</summary>
public sealed class DistributionMetricsTests
{
    private static readonly double[] Uniform = { 0.25, 0.25, 0.25, 0.25 };
    private static readonly double[] OneHot = { 0, 1, 0, 0 };
    private static readonly double[] TwoModes = { 0.45, 0.005, 0.54, 0.005 };

    [Fact]
    public void EntropyIsLogNForUniformAndZeroForOneHot()
    {
        Assert.Equal(Math.Log(4), DistributionMetrics.Entropy<double>(Uniform), 14);
        Assert.Equal(0, DistributionMetrics.Entropy<double>(OneHot));
        Assert.Equal(-(0.45 * Math.Log(0.45) + 2 * 0.005 * Math.Log(0.005) + 0.54 * Math.Log(0.54)), DistributionMetrics.Entropy<double>(TwoModes), 14);
    }

    [Fact]
    public void TailMassAddsTheEntriesBelowTheThreshold()
    {
        Assert.Equal(0.01, DistributionMetrics.TailMass<double>(TwoModes, 0.01), 15);
        Assert.Equal(0, DistributionMetrics.TailMass<double>(TwoModes, 0.005));
        Assert.Equal(1, DistributionMetrics.TailMass<double>(Uniform, 0.3), 15);
    }

    [Fact]
    public void MassOutsideTopKIsWhatTheKLargestLeave()
    {
        Assert.Equal(0.01, DistributionMetrics.MassOutsideTopK<double>(TwoModes, 2), 15);
        Assert.Equal(0.46, DistributionMetrics.MassOutsideTopK<double>(TwoModes, 1), 15);
        Assert.Equal(0, DistributionMetrics.MassOutsideTopK<double>(TwoModes, 4));
        Assert.Equal(1, DistributionMetrics.MassOutsideTopK<double>(TwoModes, 0), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => DistributionMetrics.MassOutsideTopK<double>(TwoModes, -1));
    }

    [Fact]
    public void ModesAndTheSecondToFirstRatioSeeMultiModality()
    {
        Assert.Equal(2, DistributionMetrics.ModeCount<double>(TwoModes, 0.1));
        Assert.Equal(1, DistributionMetrics.ModeCount<double>(OneHot, 0.1));
        Assert.Equal(0.45 / 0.54, DistributionMetrics.SecondToFirstRatio<double>(TwoModes), 15);
        Assert.Equal(0, DistributionMetrics.SecondToFirstRatio<double>(OneHot));
        Assert.Equal(1, DistributionMetrics.SecondToFirstRatio<double>(Uniform));
    }

    [Fact]
    public void ZeroFractionCountsExactZeros()
    {
        Assert.Equal(0.75, DistributionMetrics.ZeroFraction<double>(OneHot));
        Assert.Equal(0, DistributionMetrics.ZeroFraction<double>(TwoModes));
    }

    [Fact]
    public void SummarizeAveragesOverRows()
    {
        float[] rows = { 0.25f, 0.25f, 0.25f, 0.25f, 0, 1, 0, 0 };
        DistributionSummary summary = DistributionMetrics.Summarize<float>(rows, 4, new MetricOptions(TailThreshold: 0.3, TopK: 1, ModeShare: 0.2));
        Assert.Equal(Math.Log(4) / 2, summary.Entropy, 6);
        Assert.Equal(0.5, summary.TailMass, 6);
        Assert.Equal(0.375, summary.MassOutsideTopK, 6);
        Assert.Equal(0.375, summary.ZeroFraction, 15);
        Assert.Equal(2.5, summary.Modes, 15);
        Assert.Equal(0.5, summary.SecondToFirst, 15);
        Assert.Equal("probabilities", Assert.Throws<ArgumentException>(() => DistributionMetrics.Summarize<float>(rows, 3)).ParamName);
        Assert.Equal("rowLength", Assert.ThrowsAny<ArgumentException>(() => DistributionMetrics.Summarize<float>(rows, 0)).ParamName);
    }
}
