using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace MultiMax.Generator.Tests.Robustness;

/// <summary>
/// Writes a random compilation unit of [Normalizer] declarations from a seed: names (casing, keywords escaped with @,
/// names of generated members), namespaces, nested and generic containers of every kind, accessibility, terms with
/// constants at the edges of the element type, orders, outputs and affine maps, float and double overloads, scoped and
/// extension parameters, members named like generated ones — and, now and then, a mistake the generator must
/// diagnose (a power, order or output out of range, a non-finite constant, a missing or extra parameters argument, a
/// container that is not partial or is file-local, a method that is not static or is generic) — and classes that import
/// other containers' normalizers with <c>[NormalizersFrom]</c>. A third of the normalizers name a modulator written as
/// C#: a random expression over every construct of the language (and, now and then, one outside it), with learnable
/// arguments named like the kernels' locals and the TorchSharp module's members.
/// </summary>
internal sealed class RandomDeclarations
{
    private static readonly string[] Names =
    {
        "Norm", "norm", "NORM", "Soft", "MultiMax", "Apply", "Formula", "forward", "backward", "Name", "x", "parameters",
        "@event", "@class", "@in", "@params", "@var", "@value", "Sigma", "ParameterCount", "_", "Ünïcode", "A1",
    };

    private static readonly string[] ParameterNames = { "x", "y", "rowLength", "parameters", "@in", "@out", "@params", "@int", "value", "n", "_x", "weights" };

    private static readonly string[] TypeNames = { "Ops", "OPS", "ops", "@class", "Layers", "Outer", "Inner", "Ünïcode", "Module", "Gpu" };

    private static readonly double[] Constants =
    {
        0.0, -0.0, 1.0, -1.0, 0.5, -0.25, 2.0, 1e-45, 1e-300, double.Epsilon, 3.4e38, -3.4e38, 1e38, 1e308, -1.7e308,
        double.MaxValue, double.MinValue, 1e300, 123456.789,
    };

    private readonly Random random;
    private readonly StringBuilder source = new();
    private readonly List<string> importable = new();
    private string? currentNamespace;
    private int names;

    private RandomDeclarations(int seed) => random = new Random(seed);

    /// <summary>The source of one compilation: a few containers, each with a few declarations.</summary>
    public static string Write(int seed)
    {
        var declarations = new RandomDeclarations(seed);
        declarations.WriteUnit();
        return declarations.source.ToString();
    }

    private void WriteUnit()
    {
        source.Append("using System;\nusing MultiMax;\n\n");
        source.Append("[AttributeUsage(AttributeTargets.GenericParameter)]\npublic sealed class MarkerAttribute : Attribute { }\n\n");
        bool fileScoped = Chance(0.3);
        if (fileScoped)
        {
            currentNamespace = Pick("Demo", "@namespace.Inner", "Deep.Er.Still", "Ünïcode");
            source.Append($"namespace {currentNamespace};\n\n");
        }

        for (int unit = 0, units = random.Next(1, 4); unit < units; unit++)
        {
            bool block = !fileScoped && Chance(0.5);
            if (block)
            {
                currentNamespace = Pick("Demo", "@class", "A.B");
                source.Append($"namespace {currentNamespace}\n{{\n");
            }

            WriteContainers(depth: random.Next(1, 4), topLevel: true);
            if (block)
            {
                source.Append("}\n");
                currentNamespace = null;
            }
        }

        // Classes that import the normalizers of others (now and then the same ones twice, or their own kind).
        for (int i = 0, importers = importable.Count == 0 ? 0 : random.Next(0, 3); i < importers; i++)
        {
            string attributes = string.Concat(Enumerable.Range(0, random.Next(1, 3)).Select(_ => $"[NormalizersFrom(typeof({Pick(importable.ToArray())}))]\n"));
            source.Append($"{attributes}public static partial class Importer{names++}\n{{\n");
            if (Chance(0.3))
            {
                WriteNormalizer(inInterface: false);
            }

            source.Append("}\n\n");
        }
    }

    private void WriteContainers(int depth, bool topLevel)
    {
        string keyword = Pick("class", "class", "struct", "record", "record struct", "interface");
        bool isStatic = keyword == "class" && Chance(0.6);
        string modifiers = (topLevel ? Pick("public ", "internal ", "") : Pick("public ", "internal ", "private ", ""))
            + (isStatic ? "static " : "")
            + (topLevel && Chance(0.03) ? "file " : "")
            + (Chance(0.03) ? "" : "partial ");
        string typeParameters = Chance(0.25) ? TypeParameterList(keyword == "interface") : "";
        string name = Pick(TypeNames) + names++;
        if (topLevel && typeParameters.Length == 0 && !modifiers.Contains("file "))
        {
            importable.Add("global::" + (currentNamespace is null ? "" : currentNamespace + ".") + name);
        }

        source.Append($"{modifiers}{keyword} {name}{typeParameters}\n{{\n");

        if (depth > 1)
        {
            WriteContainers(depth - 1, topLevel: false);
        }

        for (int i = 0, count = random.Next(1, 4); i < count; i++)
        {
            WriteNormalizer(inInterface: keyword == "interface");
        }

        source.Append("}\n\n");
    }

    private string TypeParameterList(bool variant)
    {
        var parameters = new List<string>();
        for (int i = 0, count = random.Next(1, 3); i < count; i++)
        {
            string attribute = Chance(0.3) ? "[Marker] " : "";
            string variance = variant && Chance(0.15) ? Pick("in ", "out ") : "";
            parameters.Add(attribute + variance + Pick("T", "TValue", "@class", "U") + i);
        }

        return "<" + string.Join(", ", parameters) + ">";
    }

    private void WriteNormalizer(bool inInterface)
    {
        if (Chance(0.33))
        {
            WriteModulatorNormalizer(inInterface);
            return;
        }

        int order = Chance(0.05) ? Pick(-1, 9) : random.Next(0, 3);
        bool affine = Chance(0.3);
        int output = Chance(0.03) ? 7 : random.Next(0, 2);
        var terms = new List<string>();
        int learnable = (order is >= 0 and <= 8 ? 2 * order : 0) + (affine ? 2 : 0);
        for (int i = 0, count = random.Next(0, 4); i < count; i++)
        {
            int power = Chance(0.04) ? Pick(0, 9) : random.Next(1, 5);
            var arguments = new List<string> { power.ToString(CultureInfo.InvariantCulture) };
            if (Chance(0.6))
            {
                arguments.Add("Coefficient = " + Constant());
            }
            else
            {
                learnable++;
            }

            if (Chance(0.6))
            {
                arguments.Add("Threshold = " + Constant());
            }
            else
            {
                learnable++;
            }

            terms.Add($"[{Pick("Below", "Above")}({string.Join(", ", arguments)})]");
        }

        string attributes = $"[Normalizer(Order = {order}, Affine = {(affine ? "true" : "false")}, Output = (NormalizerOutput){output})]\n"
            + string.Concat(terms.Select(t => t + "\n"));
        string name = Pick(Names) + (Chance(0.5) ? "" : names++.ToString(CultureInfo.InvariantCulture));
        string accessibility = inInterface ? Pick("public ", "") : Pick("public ", "internal ", "private ", "");
        string isStatic = Chance(0.03) ? "" : "static ";
        string generic = Chance(0.02) ? "<T>" : "";
        bool takesParameters = Chance(0.05) ? learnable == 0 : learnable > 0;

        foreach (string element in Chance(0.3) ? new[] { "float", "double" } : new[] { Chance(0.02) ? "Half" : Pick("float", "double") })
        {
            string scoped = Chance(0.15) ? "scoped " : "";
            string[] parameterNames = ParameterNames.OrderBy(_ => random.Next()).Take(4).ToArray();
            string signature = $"{scoped}ReadOnlySpan<{element}> {parameterNames[0]}, Span<{element}> {parameterNames[1]}, int {parameterNames[2]}"
                + (takesParameters ? $", {scoped}ReadOnlySpan<{element}> {parameterNames[3]}" : "");
            source.Append(attributes).Append($"{accessibility}{isStatic}partial void {name}{generic}({signature});\n\n");
        }

        // Now and then a member that takes one of the generated names.
        if (Chance(0.05))
        {
            string taken = name + Pick("Backward", "Parameters", "Module", "Function", "Gpu");
            source.Append(inInterface ? $"public static int {taken} => 0;\n\n" : $"public static int {taken};\n\n");
        }
    }

    /// <summary>Arguments named like what the generated code declares: kernel locals, the module's members, keywords.</summary>
    private static readonly string[] ArgumentNames =
    {
        "cap", "tau", "a", "b", "s", "u", "ds", "gs", "zero", "one", "i", "max", "sum", "e", "sigma", "masked", "chunk", "rowLength",
        "parameters", "value", "@in", "@event", "forward", "training", "to", "Parameters", "_parameters", "name", "θ", "Ünïcode", "x1",
    };

    private void WriteModulatorNormalizer(bool inInterface)
    {
        string name = Pick(Names) + (Chance(0.5) ? "" : names++.ToString(CultureInfo.InvariantCulture));
        string modulator = "Sigma" + names++.ToString(CultureInfo.InvariantCulture);
        string[] arguments = ArgumentNames.OrderBy(_ => random.Next()).Take(random.Next(0, 4)).ToArray();
        string expression = Expression(arguments, depth: 0);
        string defaults = string.Concat(arguments.Select(a => $", double {a}" + (Chance(0.04) ? "" : " = " + Constant())));
        bool takesParameters = Chance(0.05) ? arguments.Length == 0 : arguments.Length > 0;
        int output = random.Next(0, 2);
        string extra = Chance(0.05) ? Pick("Order = 1, ", "Affine = true, ") : "";
        string accessibility = inInterface ? Pick("public ", "") : Pick("public ", "internal ", "private ", "");
        foreach (string element in Chance(0.4) ? new[] { "float", "double" } : new[] { Pick("float", "double") })
        {
            string signature = $"ReadOnlySpan<{element}> x, Span<{element}> y, int rowLength" + (takesParameters ? $", ReadOnlySpan<{element}> parameters" : "");
            source.Append($"[Normalizer({extra}Modulator = nameof({modulator}), Output = (NormalizerOutput){output})]\n")
                .Append($"{accessibility}static partial void {name}({signature});\n\n");
        }

        string body = Chance(0.2) ? $"{{ return {expression}; }}" : $"=> {expression};";
        source.Append($"{(inInterface ? "public " : "")}{(Chance(0.03) ? "" : "static ")}double {modulator}(double x{defaults}) {body}\n\n");
    }

    /// <summary>A random σ: every construct of the expression language, and now and then one outside it.</summary>
    private string Expression(string[] arguments, int depth)
    {
        if (depth > 4 || Chance(0.25))
        {
            return random.Next(4) switch
            {
                0 when arguments.Length > 0 => Pick(arguments),
                1 => Pick("0", "1", "2", "0.5", "-3", "1e-3", "7", "Math.PI", "Math.E"),
                _ => "x",
            };
        }

        string Sub() => Expression(arguments, depth + 1);
        return random.Next(12) switch
        {
            0 => $"{Sub()} + {Sub()}",
            1 => $"{Sub()} - {Sub()}",
            2 => $"{Sub()} * {Sub()}",
            3 => $"({Sub()}) / ({Sub()})",
            4 => $"-({Sub()})",
            5 => $"Math.{Pick("Exp", "Log", "Tanh", "Sqrt", "Abs")}({Sub()})",
            6 => $"Math.{Pick("Max", "Min")}({Sub()}, {Sub()})",
            7 => $"Math.Pow({Sub()}, {Pick("2", "3", "-1", "-2", "0", "1", "8")})",
            8 => $"({Sub()} {Pick("<", "<=", ">", ">=")} {Sub()} ? {Sub()} : {Sub()})",
            9 when Chance(0.1) => Pick($"Math.Sin({Sub()})", $"{Sub()} % 2", $"Math.Pow(x, 0.5)", "double.NaN", $"(x == 1 ? {Sub()} : x)"),
            _ => $"({Sub()})",
        };
    }

    private string Constant()
    {
        double value = Chance(0.03) ? Pick(double.NaN, double.PositiveInfinity, double.NegativeInfinity) : Pick(Constants);
        return double.IsNaN(value) ? "double.NaN"
            : double.IsPositiveInfinity(value) ? "double.PositiveInfinity"
            : double.IsNegativeInfinity(value) ? "double.NegativeInfinity"
            : value.ToString("R", CultureInfo.InvariantCulture);
    }

    private bool Chance(double probability) => random.NextDouble() < probability;

    private T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];
}
