namespace MultiMax.Generator.Model;

/// <summary>A learnable parameter of a modulator method: its name as declared and its default, the initial value.</summary>
internal sealed record LearnableArgument(string Name, double Initial);
