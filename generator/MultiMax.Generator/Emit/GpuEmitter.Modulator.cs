using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string ModulatorInterface = "global::MultiMax.Gpu.CompilerServices.IGpuModulator";
    private const string Reduce = "global::MultiMax.Gpu.CompilerServices.GroupReduce";

    /// <summary>The nested struct that carries σ in <paramref name="type"/> into the runtime's generic kernels.</summary>
    private static string ModulatorName(ElementType type) => Suffix(type) + "Modulator";

    /// <summary>
    /// σ as the runtime's <c>IGpuModulator</c>: one lane's registers (the learnable values and what σ computes from them
    /// once, then each parameter's gradient share), σ, σ′·gσ with the shares, and the group's sum of the shares. The
    /// loops around it are the runtime's.
    /// </summary>
    private static void WriteModulator(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword();
        Symbol[] registers = math.DerivativeSymbols.ToArray();
        writer.Line($"/// <summary>σ in {t} for the runtime's generic kernels: one lane's learnable values and parameter-gradient sums.</summary>");
        using (writer.Block($"private struct {ModulatorName(math.Type)} : {ModulatorInterface}<{t}>"))
        {
            if (registers.Length > 0)
            {
                writer.Line("// The learnable values and what σ computes from them once per call, read into registers by Load.");
                writer.Line($"private {t} {string.Join(", ", registers.Select(symbol => symbol.Name))};");
            }

            string? poisoned = printer.AnyParameterIsNaN();
            if (poisoned is not null)
            {
                writer.Line("// Whether a learnable value σ reads is NaN, found once by Load (ILGPU does not merge repeated evaluations).");
                writer.Line("private bool poisoned;");
            }

            if (math.Gradients.Count > 0)
            {
                writer.Line("// This lane's share of each parameter's gradient, summed over the group by WriteParameterSums; and in double,");
                writer.Line("// by WriteFusedParameterSums.");
                writer.Line($"private {t} {string.Join(", ", math.Gradients.Select(Accumulator))};");
                writer.Line($"private double {string.Join(", ", math.Gradients.Select(FusedAccumulator))};");
            }

            writer.Line();
            writer.Line($"public static int ParameterCount => {spec.ParameterCount};");
            writer.Line();
            WriteLoad(writer, printer, registers, poisoned);
            writer.Line();
            writer.Line($"public readonly bool IsPoisoned => {(poisoned is null ? "false; // σ reads no learnable parameter" : "poisoned;")}");
            writer.Line();
            WriteSigma(writer, printer);
            writer.Line();
            WriteInputGradient(writer, printer, "InputGradient", Accumulator);
            writer.Line();
            WriteParameterSums(writer, spec, printer, fused: false);
            writer.Line();
            WriteInputGradient(writer, printer, "FusedGradient", FusedAccumulator);
            writer.Line();
            WriteParameterSums(writer, spec, printer, fused: true);
        }
    }

    private static Local Accumulator(ParameterGradient gradient) => new(gradient.AccumulatorStem);

    /// <summary>The double field that sums a parameter's gradient for the fused kernels: <c>fusedGradA0</c>.</summary>
    private static Local FusedAccumulator(ParameterGradient gradient) =>
        new("fused" + char.ToUpperInvariant(gradient.AccumulatorStem[0]) + gradient.AccumulatorStem.Substring(1));

    /// <summary>σ of one unmasked entry, constants folded in, the learnable values from this lane's registers.</summary>
    private static void WriteSigma(SourceWriter writer, ModulatorPrinter printer)
    {
        string t = printer.Math.Type.Keyword();
        var x = new Local("x");
        if (printer.Math.IsIdentity)
        {
            writer.Line($"public readonly {t} Sigma({t} {x}) => {x}; // σ is the identity");
            return;
        }

        using (writer.Block($"public readonly {t} Sigma({t} {x})"))
        {
            Local sigma = printer.WriteSigma(writer, x, "sigma");
            writer.Line($"return {sigma};");
        }
    }

    private static void WriteLoad(SourceWriter writer, ModulatorPrinter printer, Symbol[] registers, string? poisoned)
    {
        var parameters = new Local("parameters");
        string signature = $"public void Load({View(printer.Math.Type)} {parameters})";
        if (registers.Length == 0)
        {
            writer.Line($"{signature} {{ }} // σ reads no learnable parameter");
            return;
        }

        using (writer.Block(signature))
        {
            foreach (Symbol symbol in registers)
            {
                writer.Line($"{symbol.Name} = {printer.Definition(symbol, parameters)};");
            }

            if (poisoned is not null)
            {
                writer.Line($"poisoned = {poisoned};");
            }
        }
    }

    /// <summary>dx = σ′(x)·gσ, and gσ·∂σ/∂θ added to this lane's sums (<paramref name="accumulator"/>).</summary>
    private static void WriteInputGradient(SourceWriter writer, ModulatorPrinter printer, string name, System.Func<ParameterGradient, Local> accumulator)
    {
        string t = printer.Math.Type.Keyword();
        Local x = new("x"), gs = new("gs");
        if (printer.Math.IsIdentity)
        {
            writer.Line($"public {t} {name}({t} {x}, {t} {gs}) => {gs}; // σ is the identity");
            return;
        }

        using (writer.Block($"public {t} {name}({t} {x}, {t} {gs})"))
        {
            Local dx = printer.WriteInputGradient(writer, x, gs, gs, accumulator, "dx");
            writer.Line($"return {dx};");
        }
    }

    /// <summary>
    /// <c>WriteParameterSums</c> (the row kernels' shares, in the element type) or, when <paramref name="fused"/>,
    /// <c>WriteFusedParameterSums</c> (the fused kernels', in double): each share summed over the group, then the first
    /// lane writes them to slot <c>slot</c> of <c>partials</c>, an Above threshold's sum negated, 0 for a parameter σ does
    /// not depend on (the threshold of a term whose coefficient is a constant 0). Where a parameter σ reads is NaN the slot
    /// is NaN: for the parameters with gradients, as the row operators do, or for all, as the fused operators do.
    /// </summary>
    private static void WriteParameterSums(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer, bool fused)
    {
        ModulatorMath math = printer.Math;
        string element = fused ? "double" : math.Type.Keyword();
        string signature = $"public void Write{(fused ? "Fused" : "")}ParameterSums(global::ILGPU.ArrayView<{element}> partials, long slot)";
        if (!spec.HasParameters)
        {
            writer.Line($"{signature} {{ }} // no parameters");
            return;
        }

        System.Func<ParameterGradient, Local> accumulator = fused ? FusedAccumulator : Accumulator;
        bool poisoned = printer.AnyParameterIsNaN() is not null;
        using (writer.Block(signature))
        {
            foreach (ParameterGradient gradient in math.Gradients)
            {
                writer.Line($"{accumulator(gradient)} = {Reduce}.Sum({accumulator(gradient)});");
            }

            using (writer.Block("if (global::ILGPU.Group.IdxX == 0)"))
            {
                for (int k = 0; k < spec.ParameterCount; k++)
                {
                    ParameterGradient? gradient = math.Gradients.FirstOrDefault(g => g.ParameterIndex == k);
                    string value = gradient is null ? "0" : accumulator(gradient).Name;
                    if (poisoned && (gradient is not null || fused))
                    {
                        value = $"poisoned ? {element}.NaN : {value}";
                    }

                    writer.Line($"partials[slot * {spec.ParameterCount} + {k}] = {value};");
                }
            }
        }
    }
}
