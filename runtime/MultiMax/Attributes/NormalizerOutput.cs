namespace MultiMax;

/// <summary>What a normalizer writes for each row.</summary>
public enum NormalizerOutput
{
    /// <summary><c>SoftMax(σ(x))</c>: non-negative entries that sum to 1 over each row.</summary>
    Probabilities,

    /// <summary><c>LogSoftMax(σ(x))</c>: the logarithms of <see cref="Probabilities"/>, computed without forming them.</summary>
    LogProbabilities,
}
