namespace MultiMax.Generator.Model;

/// <summary>What one node of σ's expression tree computes (<see cref="SigmaNode"/>).</summary>
internal enum SigmaKind
{
    /// <summary>x, the entry σ is applied to.</summary>
    Input,

    /// <summary>A number, folded: <see cref="SigmaNode.Value"/>.</summary>
    Constant,

    /// <summary>A learnable parameter: <see cref="SigmaNode.Index"/> in the layout, <see cref="SigmaNode.Name"/> as declared.</summary>
    Parameter,

    Add,
    Subtract,
    Multiply,
    Divide,
    Negate,
    Exp,
    Log,
    Tanh,
    Sqrt,
    Abs,
    Max,
    Min,

    /// <summary>
    /// <c>max(Operands[0], 0)</c> with the hardware's maximum (a NaN operand gives 0 on x86): the clipped distance of a
    /// <c>[Below]</c>/<c>[Above]</c> term, whose slope at the kink is 0 (torch's relu). Terms only; <c>Math.Max</c> is <see cref="Max"/>.
    /// </summary>
    Relu,

    /// <summary><c>Operands[0]</c> raised to the integer <see cref="SigmaNode.Index"/> (never 0 or 1 once simplified).</summary>
    Power,

    /// <summary><c>Operands[0] ⋚ Operands[1] ? Operands[2] : Operands[3]</c>, the comparison being <see cref="SigmaNode.Comparison"/>.</summary>
    Select,
}

/// <summary>The comparison of a <see cref="SigmaKind.Select"/>; false whenever an operand is NaN, as in C#.</summary>
internal enum SigmaComparison
{
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,

    /// <summary>Only in derivatives: the tie of <c>Math.Max</c> and <c>Math.Min</c>, and the kink of <c>Math.Abs</c>.</summary>
    Equal,
}
