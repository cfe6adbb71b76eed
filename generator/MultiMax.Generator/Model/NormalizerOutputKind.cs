namespace MultiMax.Generator.Model;

/// <summary>Mirrors <c>MultiMax.NormalizerOutput</c> (same values): the generator does not reference the runtime.</summary>
internal enum NormalizerOutputKind
{
    Probabilities = 0,
    LogProbabilities = 1,
}
