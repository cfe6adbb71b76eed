using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Emit;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;
using Xunit;
using static MultiMax.Generator.Modulator.SigmaAlgebra;

namespace MultiMax.Generator.Tests.Modulator;

/// <summary>
/// The generator's symbolic derivatives of σ written as C# (<see cref="SigmaDerivative"/>), against central finite
/// differences in double of random expression trees over every construct, evaluated by this file's own interpreter;
/// and the simplifications and shared subexpressions the printed code relies on.
/// </summary>
public class SigmaDerivativeTests
{
    private const int Parameters = 3;

    [Fact]
    public void DerivativesOfRandomExpressionsMatchFiniteDifferences()
    {
        var random = new Random(29);
        int checkedPoints = 0;
        for (int tree = 0; tree < 400; tree++)
        {
            SigmaNode sigma = RandomTree(random, depth: 0);
            SigmaNode byInput = SigmaDerivative.ByInput(sigma);
            SigmaNode[] byParameters = Enumerable.Range(0, Parameters).Select(k => SigmaDerivative.ByParameter(sigma, Parameter(k, "p" + k))).ToArray();
            for (int point = 0; point < 5; point++)
            {
                double x = 4 * random.NextDouble() - 2;
                double[] theta = Enumerable.Range(0, Parameters).Select(_ => 0.5 + random.NextDouble()).ToArray();
                checkedPoints += Check(sigma, byInput, v => Evaluate(sigma, v, theta), x, theta, $"tree {tree}: d/dx of {SigmaText.Of(sigma)} at x = {x}");
                for (int k = 0; k < Parameters; k++)
                {
                    int parameter = k;
                    double[] Moved(double v) { double[] moved = (double[])theta.Clone(); moved[parameter] = v; return moved; }
                    checkedPoints += Check(sigma, byParameters[k], v => Evaluate(sigma, x, Moved(v)), theta[k], theta,
                        $"tree {tree}: d/dp{k} of {SigmaText.Of(sigma)} at x = {x}", x);
                }
            }
        }

        Assert.True(checkedPoints > 3000, $"only {checkedPoints} smooth points were checked");
    }

    [Fact]
    public void KinksTakeTheDerivativesAutogradGivesForTheTorchOps()
    {
        SigmaNode x = X;
        Assert.Equal(0, Evaluate(SigmaDerivative.ByInput(Function(SigmaKind.Abs, x)), 0, new double[0])); // sgn(0)
        Assert.Equal(0.5, Evaluate(SigmaDerivative.ByInput(Max(x, Zero)), 0, new double[0])); // maximum splits a tie
        Assert.Equal(0.5, Evaluate(SigmaDerivative.ByInput(Min(x, Zero)), 0, new double[0]));
        Assert.Equal(1, Evaluate(SigmaDerivative.ByInput(Max(x, Zero)), 1e-300, new double[0]));

        // where passes the selected branch's derivative: at x = t the condition x < t is false.
        SigmaNode t = Parameter(0, "t");
        SigmaNode hinge = Select(SigmaComparison.Less, x, t, Multiply(Constant(3), x), x);
        Assert.Equal(1, Evaluate(SigmaDerivative.ByInput(hinge), 0.5, new[] { 0.5 }));
        Assert.Equal(3, Evaluate(SigmaDerivative.ByInput(hinge), 0.25, new[] { 0.5 }));
    }

    [Fact]
    public void ConstantsFoldAndZerosAndOnesVanish()
    {
        SigmaNode cap = Parameter(0, "cap");
        Assert.Equal(Constant(6), Multiply(Add(Constant(1), Constant(2)), Constant(2)));
        Assert.Equal(Zero, Multiply(Zero, Function(SigmaKind.Log, X)));
        Assert.Equal(cap, Multiply(One, cap));
        Assert.Equal(cap, Divide(cap, One));
        Assert.Equal(cap, Negate(Negate(cap)));
        Assert.Equal(Constant(Math.Tanh(0.5)), Function(SigmaKind.Tanh, Divide(One, Constant(2))));
        Assert.Equal(X, Select(SigmaComparison.Less, X, cap, X, X));
        Assert.Equal(One, Power(X, 0));

        // A derivative carries none of the zeros its rules produce: d/dx (x + cap) is 1, d/dcap (2·x) is 0.
        Assert.Equal(One, SigmaDerivative.ByInput(Add(X, cap)));
        Assert.Equal(Zero, SigmaDerivative.ByParameter(Multiply(Constant(2), X), cap));
    }

    /// <summary>σ and its derivatives printed together compute tanh(x/cap) once: the derivative reuses σ's own nodes.</summary>
    [Fact]
    public void PrintedDerivativesShareSubexpressionsWithEachOther()
    {
        SigmaNode cap = Parameter(0, "cap");
        SigmaNode sigma = Multiply(cap, Function(SigmaKind.Tanh, Divide(X, cap)));
        var writer = new SourceWriter();
        var code = new SigmaCode(new ScalarDialect(ElementType.Double), new Local("x"), index => Symbol.Parameter("θcap", index), null, "d");
        code.Write(writer, SigmaDerivative.ByInput(sigma));
        code.Write(writer, SigmaDerivative.ByParameter(sigma, cap));
        string printed = writer.ToString();
        Assert.Equal(1, Count(printed, "Math.Tanh("));
        Assert.Equal(1, Count(printed, "x / θcap"));
    }

    /// <summary>The interpreter the tests trust: C#'s own double arithmetic, the comparisons as C# has them.</summary>
    private static double Evaluate(SigmaNode node, double x, double[] theta)
    {
        double Operand(int k) => Evaluate(node[k], x, theta);
        return node.Kind switch
        {
            SigmaKind.Input => x,
            SigmaKind.Constant => node.Value,
            SigmaKind.Parameter => theta[node.Index],
            SigmaKind.Add => Operand(0) + Operand(1),
            SigmaKind.Subtract => Operand(0) - Operand(1),
            SigmaKind.Multiply => Operand(0) * Operand(1),
            SigmaKind.Divide => Operand(0) / Operand(1),
            SigmaKind.Negate => -Operand(0),
            SigmaKind.Exp => Math.Exp(Operand(0)),
            SigmaKind.Log => Math.Log(Operand(0)),
            SigmaKind.Tanh => Math.Tanh(Operand(0)),
            SigmaKind.Sqrt => Math.Sqrt(Operand(0)),
            SigmaKind.Abs => Math.Abs(Operand(0)),
            SigmaKind.Max => Math.Max(Operand(0), Operand(1)),
            SigmaKind.Min => Math.Min(Operand(0), Operand(1)),
            SigmaKind.Power => Math.Pow(Operand(0), node.Index),
            SigmaKind.Select => Compare(node.Comparison, Operand(0), Operand(1)) ? Operand(2) : Operand(3),
            _ => throw new ArgumentOutOfRangeException(nameof(node)),
        };
    }

    private static bool Compare(SigmaComparison comparison, double left, double right) => comparison switch
    {
        SigmaComparison.Less => left < right,
        SigmaComparison.LessOrEqual => left <= right,
        SigmaComparison.Greater => left > right,
        SigmaComparison.GreaterOrEqual => left >= right,
        _ => left == right,
    };

    /// <summary>
    /// Compares the symbolic derivative with central differences at two step sizes, where those agree (the function is
    /// smooth there: no kink or branch change within the step) and everything is finite; returns whether it compared.
    /// </summary>
    private static int Check(SigmaNode sigma, SigmaNode derivative, Func<double, double> f, double at, double[] theta, string what, double? x = null)
    {
        double symbolic = Evaluate(derivative, x ?? at, theta);
        double h = 1e-5 * Math.Max(1, Math.Abs(at));
        double coarse = (f(at + h) - f(at - h)) / (2 * h), fine = (f(at + h / 4) - f(at - h / 4)) / (h / 2);
        if (!double.IsFinite(symbolic) || !double.IsFinite(coarse) || !double.IsFinite(fine) || Math.Abs(symbolic) > 1e6
            || Math.Abs(coarse - fine) > 1e-6 * Math.Max(1, Math.Abs(fine)))
        {
            return 0;
        }

        Assert.True(Math.Abs(symbolic - fine) <= 1e-5 * Math.Max(1, Math.Abs(fine)), $"{what}: symbolic {symbolic}, finite differences {fine}");
        return 1;
    }

    private static SigmaNode RandomTree(Random random, int depth)
    {
        if (depth > 3 || random.NextDouble() < 0.2)
        {
            return random.Next(3) switch
            {
                0 => X,
                1 => Parameter(random.Next(Parameters), "q"), // named unlike the variable: parameters are matched by index
                _ => Constant(Math.Round(4 * random.NextDouble() - 2, 2)),
            };
        }

        SigmaNode Sub() => RandomTree(random, depth + 1);
        SigmaNode Positive() => Add(Multiply(Sub(), Sub()), Constant(0.5)); // log and sqrt of something positive, mostly
        return random.Next(13) switch
        {
            0 => Add(Sub(), Sub()),
            1 => Subtract(Sub(), Sub()),
            2 => Multiply(Sub(), Sub()),
            3 => Divide(Sub(), Add(Multiply(Sub(), Sub()), Constant(1))),
            4 => Negate(Sub()),
            5 => Function(SigmaKind.Exp, Multiply(Constant(0.5), Sub())),
            6 => Function(SigmaKind.Log, Positive()),
            7 => Function(SigmaKind.Tanh, Sub()),
            8 => Function(SigmaKind.Sqrt, Positive()),
            9 => Function(SigmaKind.Abs, Sub()),
            10 => random.Next(2) == 0 ? Max(Sub(), Sub()) : Min(Sub(), Sub()),
            11 => Power(Sub(), random.Next(-2, 4)),
            _ => Select((SigmaComparison)random.Next(4), Sub(), Sub(), Sub(), Sub()),
        };
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}
