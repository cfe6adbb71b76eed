using System;

namespace MultiMax.Generator.Model;

/// <summary>A coefficient or threshold of a term: a constant folded into the code, or a learnable parameter.</summary>
internal readonly record struct TermValue(double Constant, int ParameterIndex)
{
    public bool IsLearnable => ParameterIndex >= 0;

    public static TermValue Folded(double constant) => new(constant, -1);

    public static TermValue Learnable(int parameterIndex) => new(double.NaN, parameterIndex);

    public bool IsConstant(double value) => !IsLearnable && Constant.Equals(value);
}
