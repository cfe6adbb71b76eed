namespace MultiMax.Generator.Model;

/// <summary>The names the user gave the declaration's parameters; the implementation must repeat them.</summary>
internal sealed record SignatureNames(string X, string Y, string RowLength, string? Parameters);
