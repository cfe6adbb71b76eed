namespace MultiMax.Generator.Modulator;

/// <summary>
/// A local variable of generated code, handed from the helper that declares it to the helpers that read it, so that
/// no helper writes a name it merely hopes another has declared.
/// </summary>
internal readonly record struct Local(string Name)
{
    public override string ToString() => Name;
}
