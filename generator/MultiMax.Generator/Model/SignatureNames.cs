namespace MultiMax.Generator.Model;

/// <summary>The names the user gave the declaration's parameters (unescaped), which the implementation must repeat.</summary>
/// <param name="Scoped">Which of the parameters are <c>scoped</c>, one bit per position: the implementation repeats it.</param>
internal sealed record SignatureNames(string X, string Y, string RowLength, string? Parameters, int Scoped = 0)
{
    /// <summary><c>"scoped "</c> when parameter <paramref name="position"/> is declared scoped, else empty.</summary>
    public string ScopedPrefix(int position) => (Scoped & (1 << position)) != 0 ? "scoped " : "";
}
