using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string ModulatorInterface = "global::MultiMax.Gpu.CompilerServices.IGpuModulator";

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
            writer.Line($"public readonly {t} Sigma({t} x) => {Sigma(printer, new Local("x"))};");
            writer.Line();
            WriteInputGradient(writer, printer, "InputGradient", Accumulator);
            writer.Line();
            WriteParameterSums(writer, spec, printer);
            writer.Line();
            WriteInputGradient(writer, printer, "FusedGradient", FusedAccumulator);
            writer.Line();
            WriteFusedParameterSums(writer, spec, printer);
        }
    }

    private static Local Accumulator(ParameterGradient gradient) => new(gradient.AccumulatorStem);

    /// <summary>The double field that sums a parameter's gradient for the fused kernels: <c>fusedGradA0</c>.</summary>
    private static Local FusedAccumulator(ParameterGradient gradient) =>
        new("fused" + char.ToUpperInvariant(gradient.AccumulatorStem[0]) + gradient.AccumulatorStem.Substring(1));

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

    /// <summary>Each share summed over the group; the first lane writes the row's slot.</summary>
    private static void WriteParameterSums(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        Local partials = new("partials"), slot = new("slot");
        string signature = $"public void WriteParameterSums({View(printer.Math.Type)} {partials}, long {slot})";
        if (!spec.HasParameters)
        {
            writer.Line($"{signature} {{ }} // no parameters");
            return;
        }

        using (writer.Block(signature))
        {
            Local? poisoned = printer.AnyParameterIsNaN() is null ? null : new Local("poisoned");
            WriteParameterSlot(writer, spec, printer.Math, poisoned, "global::ILGPU.Group.IdxX == 0", slot.Name, $"{printer.Math.Type.Keyword()}.NaN", poisonEvery: false);
        }
    }

    /// <summary>Each double share summed over the group; the first lane writes the group's slot, all NaN when σ's parameters are poisoned.</summary>
    private static void WriteFusedParameterSums(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        Local partials = new("partials"), slot = new("slot");
        string signature = $"public void WriteFusedParameterSums(global::ILGPU.ArrayView<double> {partials}, long {slot})";
        if (!spec.HasParameters)
        {
            writer.Line($"{signature} {{ }} // no parameters");
            return;
        }

        using (writer.Block(signature))
        {
            Local? poisoned = printer.AnyParameterIsNaN() is null ? null : new Local("poisoned");
            WriteParameterSlot(writer, spec, printer.Math, poisoned, "global::ILGPU.Group.IdxX == 0", slot.Name, "double.NaN", poisonEvery: true, FusedAccumulator);
        }
    }
}
