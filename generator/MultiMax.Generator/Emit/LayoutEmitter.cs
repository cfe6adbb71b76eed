using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits <c>&lt;Name&gt;Parameters</c> once per normalizer name: the length of its <c>parameters</c> span and what each
/// value is, so a caller can size and fill it without reading the generated kernels. A pure function of the model.
/// </summary>
internal static class LayoutEmitter
{
    public static string Emit(OverloadGroup group)
    {
        NormalizerSpec spec = group.Modulator;
        var writer = new SourceWriter();
        var math = new ModulatorMath(spec);
        FileHeader.Write(writer, spec, math, $"the parameter layout of {DeclarationCode.QualifiedName(spec)}", "each row");
        IReadOnlyList<(string Name, string Meaning)> layout = Layout(spec);

        using (DeclarationCode.OpenContainers(writer, spec))
        {
            writer.Line($"/// <summary>The layout of the <c>parameters</c> of <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/> (and of its parameter gradients).</summary>");
            if (layout.Count > 0)
            {
                writer.Line("/// <remarks>");
                writer.Line("/// <list type=\"table\">");
                writer.Line("/// <listheader><term>Index and name</term><description>What it is</description></listheader>");
                for (int k = 0; k < layout.Count; k++)
                {
                    writer.Line($"/// <item><term>{k}: <c>{layout[k].Name}</c></term><description>{layout[k].Meaning}</description></item>");
                }

                writer.Line("/// </list>");
                writer.Line("/// </remarks>");
            }

            writer.Line(DeclarationCode.GeneratedCodeAttribute);
            using (writer.Block($"{DeclarationCode.AccessibilityPrefix(spec)}static class {Identifiers.Escape(spec.MethodName + "Parameters")}"))
            {
                writer.Line($"/// <summary>The length of <c>parameters</c> and <c>parameterGradients</c>{(layout.Count == 0 ? ": nothing is learnable" : "")}.</summary>");
                writer.Line($"public const int Count = {layout.Count};");
                writer.Line();
                writer.Line("/// <summary>");
                if (spec.Modulator is { } modulator)
                {
                    writer.Line($"/// Each value's name, in layout order, as {modulator.MethodName} declares it and the TorchSharp module owns it.");
                }
                else
                {
                    writer.Line("/// Each value's name, in layout order, as the TorchSharp module owns it: <c>ts[k]</c> (the learnable coefficients),");
                    writer.Line("/// <c>ranges[k]</c> (the learnable thresholds), then <c>scale</c> and <c>shift</c>.");
                }

                writer.Line("/// </summary>");
                string names = string.Join(", ", layout.Select(entry => $"\"{entry.Name}\""));
                writer.Line($"public static global::System.Collections.Generic.IReadOnlyList<string> Names {{ get; }} = global::System.Array.AsReadOnly(new string[] {{ {names} }});");
            }
        }

        return writer.ToString();
    }

    /// <summary>Coefficients in term order, thresholds in term order, then scale and shift: the parser's layout.</summary>
    private static IReadOnlyList<(string Name, string Meaning)> Layout(NormalizerSpec spec)
    {
        if (spec.Modulator is { } modulator)
        {
            return modulator.Parameters
                .Select(p => (p.Name, $"the learnable argument {p.Name} of {modulator.MethodName}, initially {Literals.Display(p.Initial)}"))
                .ToList();
        }

        var entries = new SortedDictionary<int, (string, string)>();
        int coefficients = 0, thresholds = 0;
        for (int t = 0; t < spec.Terms.Count; t++)
        {
            ModulatorTerm term = spec.Terms[t];
            string u = spec.IsAffine ? "x'" : "x";
            string describe = $"term {t}, {term.Side}({term.Power}): " + (term.Side == TermSide.Below ? $"a·max(b − {u}, 0)" : $"c·max({u} − d, 0)") + (term.Power == 1 ? "" : "^" + term.Power);
            if (term.Coefficient.IsLearnable)
            {
                entries[term.Coefficient.ParameterIndex] = ($"ts[{coefficients++}]", $"the coefficient {(term.Side == TermSide.Below ? "a" : "c")} of {describe}");
            }

            if (term.Threshold.IsLearnable)
            {
                entries[term.Threshold.ParameterIndex] = ($"ranges[{thresholds++}]", $"the threshold {(term.Side == TermSide.Below ? "b" : "d")} of {describe}");
            }
        }

        if (spec.IsAffine)
        {
            entries[spec.ScaleIndex] = ("scale", "the affine scale s of x' = s·x + t, applied before σ");
            entries[spec.ShiftIndex] = ("shift", "the affine shift t of x' = s·x + t");
        }

        return entries.Values.ToList();
    }
}
