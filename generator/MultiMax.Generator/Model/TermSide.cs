namespace MultiMax.Generator.Model;

/// <summary>Which side of its threshold a modulator term acts on.</summary>
internal enum TermSide
{
    /// <summary><c>a·max(b − x, 0)^p</c></summary>
    Below,

    /// <summary><c>c·max(x − d, 0)^p</c></summary>
    Above,
}
