namespace MultiMax.Baselines;

/// <summary>
/// A normalizer of the form y = weight(x, τ) with a threshold τ found from the sorted row: SparseMax and 1.5-EntMax.
/// <see cref="SortedThreshold"/> runs the rows; an implementation supplies only the mathematics.
/// </summary>
internal interface ISortedThreshold
{
    /// <summary>How far below the row's maximum an entry can still get weight; entries further down are not sorted.</summary>
    static abstract double SupportMargin { get; }

    /// <summary>τ from the candidates, sorted ascending, whose last element is the row's maximum.</summary>
    static abstract double Threshold(System.ReadOnlySpan<double> sortedCandidates);

    /// <summary>The weight of an entry <paramref name="x"/> (never −∞) given τ and the row's maximum.</summary>
    static abstract double Weight(double x, double max, double tau);
}
