using MultiMax.Generator.Helpers;

namespace MultiMax.Generator.Model;

/// <summary>
/// σ written as C#: the modulator method's expression as a tree, and its learnable arguments in layout order (the
/// method's order after x).
/// </summary>
/// <param name="MethodName">The modulator method, for the generated files' comments.</param>
internal sealed record SigmaModulator(string MethodName, SigmaNode Sigma, EquatableArray<LearnableArgument> Parameters);
