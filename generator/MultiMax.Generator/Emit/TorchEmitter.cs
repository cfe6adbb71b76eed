using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;

namespace MultiMax.Generator.Emit;

/// <summary>
/// Emits the TorchSharp face of one normalizer: <c>&lt;Name&gt;Function</c>, a custom autograd function whose forward
/// and backward run the generated span kernels on CPU tensors, and <c>&lt;Name&gt;Module</c>, which owns the learnable
/// parameters under the reference code's names. A pure function of the model.
/// </summary>
internal static class TorchEmitter
{
    private const string Tensor = "global::TorchSharp.torch.Tensor";
    private const string Runner = "global::MultiMax.Torch.CompilerServices.TorchNormalizerRunner";

    public static string Emit(OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        var writer = new SourceWriter();
        WriteHeader(writer, module);

        using (DeclarationCode.OpenContainers(writer, spec))
        {
            WriteFunction(writer, module);
            writer.Line();
            WriteModule(writer, module);
        }

        return writer.ToString();
    }

    private static void WriteHeader(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        string fused = string.Join(" and ", module.ElementTypes.Select(TorchDType));
        FileHeader.Write(writer, spec, new ModulatorMath(spec),
            $"TorchSharp autograd function and module for {DeclarationCode.Describe(spec)}", "the last axis",
            $"CPU {fused} tensors run the fused span kernels; other devices and dtypes the same formula as torch ops.");
    }

    private static void WriteFunction(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        string name = Identifiers.Escape(spec.MethodName + "Function");

        writer.Line($"/// <summary>");
        writer.Line($"/// <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/> as a TorchSharp autograd function, along the last axis of a tensor of any shape.");
        writer.Line($"/// Call <see cref=\"Apply\"/>: it picks the fused kernels or the torch-ops formula.");
        writer.Line($"/// </summary>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        using (writer.Block($"{DeclarationCode.AccessibilityPrefix(spec)}sealed class {name} : global::TorchSharp.torch.autograd.SingleTensorFunction<{name}>"))
        {
            writer.Line(!spec.HasParameters ? "/// <summary>No learnable parameters: <see cref=\"Apply\"/> takes the input alone.</summary>"
                : spec.Modulator is { } modulator ? $"/// <summary>The length of the parameters tensor: the learnable arguments of {modulator.MethodName}, in its order.</summary>"
                : "/// <summary>The length of the parameters tensor: learnable coefficients, then thresholds" + (spec.IsAffine ? ", then scale and shift" : "") + ".</summary>");
            writer.Line($"public const int ParameterCount = {spec.ParameterCount};");
            writer.Line();
            writer.Line("/// <inheritdoc/>");
            writer.Line($"public override string Name => \"{spec.MethodName}\";");
            writer.Line();
            WriteApply(writer, module);
            writer.Line();
            WriteForward(writer, module);
            writer.Line();
            WriteBackward(writer, module);
            writer.Line();
            WriteFormula(writer, spec);
        }
    }

    private static void WriteApply(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        string parameters = spec.HasParameters ? ", parameters" : "";
        writer.Line("/// <summary>Normalizes <paramref name=\"x\"/> along its last axis, differentiably.</summary>");
        writer.Line("/// <param name=\"x\">Any shape; float32 or float64 take the fused kernels on the CPU. −∞ entries are masked.</param>");
        if (spec.HasParameters)
        {
            writer.Line($"/// <param name=\"parameters\">{spec.ParameterCount} values in the layout of the span operator, in <paramref name=\"x\"/>'s dtype.</param>");
        }

        writer.Line("/// <exception cref=\"global::System.ArgumentException\">The parameters do not fit, or <paramref name=\"x\"/> is not floating point.</exception>");
        string signature = spec.HasParameters ? $"{Tensor} x, {Tensor} parameters" : $"{Tensor} x";
        using (writer.Block($"public static {Tensor} Apply({signature})"))
        {
            writer.Line(spec.HasParameters
                ? $"{Runner}.CheckArguments(x, parameters, ParameterCount);"
                : $"{Runner}.CheckArguments(x, null, 0);");
            writer.Line($"return {Runner}.CanFuse(x, fusesFloat: {Bool(module.HasFloat)}, fusesDouble: {Bool(module.HasDouble)})");
            writer.Line($"    ? apply(x{parameters})");
            writer.Line($"    : Formula(x{parameters});");
        }
    }

    private static void WriteForward(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        writer.Line("/// <inheritdoc/>");
        using (writer.Block($"public override {Tensor} forward(global::TorchSharp.torch.autograd.AutogradContext ctx, params object[] vars)"))
        {
            writer.Line($"{Tensor} x = ({Tensor})vars[0];");
            if (spec.HasParameters)
            {
                writer.Line($"{Tensor} parameters = ({Tensor})vars[1];");
            }

            string arguments = spec.HasParameters ? "x, parameters" : "x, null";
            // Qualified: a normalizer named Apply, Formula or x must not resolve to this class's members or the lambda's.
            string forward = DeclarationCode.Operator(spec, spec.MethodName);
            string call = spec.HasParameters ? $"{forward}(x, y, rowLength, parameters)" : $"{forward}(x, y, rowLength)";
            WriteDispatch(writer, module, $"{Tensor} y = ", type =>
                $"{Runner}.Forward<{type.Keyword()}>({arguments}, static (x, y, rowLength, parameters) => {call})");
            writer.Line("// x and the parameters as given, not contiguous copies: a double backward differentiates the formula through them.");
            writer.Line(spec.HasParameters
                ? "ctx.save_for_backward(new() { x, y, parameters });"
                : "ctx.save_for_backward(new() { x, y });");
            writer.Line($"return {Runner}.AsOutput(y);");
        }
    }

    private static void WriteBackward(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        string list = $"global::System.Collections.Generic.List<{Tensor}>";
        string backward = DeclarationCode.Operator(spec, spec.MethodName + "Backward");
        string call = spec.HasParameters
            ? $"{backward}(x, y, dy, dx, rowLength, parameters, parameterGradients)"
            : $"{backward}(x, y, dy, dx, rowLength)";
        writer.Line("/// <summary>");
        writer.Line("/// The fused span backward; under <c>create_graph</c>, autograd of <c>Formula</c> instead, so that the gradients");
        writer.Line("/// can be differentiated again. A failure never leaves this method (see <see cref=\"global::MultiMax.Torch.BackwardFailures\"/>).");
        writer.Line("/// </summary>");
        writer.Line($"public override {list} backward(global::TorchSharp.torch.autograd.AutogradContext ctx, {Tensor} dy) =>");
        writer.Line(spec.HasParameters
            ? $"    {Runner}.Backward(ctx, dy, Name, inputs: 2, static (x, parameters) => Formula(x, parameters!), static (x, y, dy, parameters) =>"
            : $"    {Runner}.Backward(ctx, dy, Name, inputs: 1, static (x, _) => Formula(x), static (x, y, dy, parameters) =>");
        string arguments = spec.HasParameters ? "x, y, dy, parameters" : "x, y, dy, null";
        string Kernel(ElementType type) =>
            $"{Runner}.Backward<{type.Keyword()}>({arguments}, static (x, y, dy, dx, rowLength, parameters, parameterGradients) => {call})";
        if (module.HasFloat && module.HasDouble)
        {
            writer.Line("        x.dtype == global::TorchSharp.torch.ScalarType.Float32");
            writer.Line($"            ? {Kernel(ElementType.Float)}");
            writer.Line($"            : {Kernel(ElementType.Double)});");
        }
        else
        {
            writer.Line($"        {Kernel(module.ElementTypes.Single())});");
        }
    }

    /// <summary>Writes <paramref name="target"/> = the kernel call for the tensor's dtype, one per fused element type.</summary>
    private static void WriteDispatch(SourceWriter writer, OverloadGroup module, string target, System.Func<ElementType, string> call)
    {
        if (!(module.HasFloat && module.HasDouble))
        {
            writer.Line($"{target}{call(module.ElementTypes.Single())};");
            return;
        }

        writer.Line($"{target}x.dtype == global::TorchSharp.torch.ScalarType.Float32");
        writer.Line($"    ? {call(ElementType.Float)}");
        writer.Line($"    : {call(ElementType.Double)};");
    }

    /// <summary>
    /// The same normalizer as separate torch ops, for what the span kernels do not cover (other devices, half
    /// precision): slower, but autograd differentiates it and it runs wherever torch does.
    /// </summary>
    private static void WriteFormula(SourceWriter writer, NormalizerSpec spec)
    {
        var math = new ModulatorMath(spec);
        var x = new Local("x");
        var parameters = new Local("parameters");
        var printer = new ModulatorPrinter(math, new TorchDialect(parameters));
        writer.Line("/// <summary>The same normalizer built from torch ops, differentiated by autograd: the path for other devices and dtypes.</summary>");
        string signature = spec.HasParameters ? $"{Tensor} {x}, {Tensor} {parameters}" : $"{Tensor} {x}";
        string arguments = spec.HasParameters ? $"{x}, {parameters}" : $"{x}";
        bool log = spec.Output == NormalizerOutputKind.LogProbabilities;
        writer.Line($"public static {Tensor} Formula({signature}) => Formula({arguments}, logarithm: {Bool(log)});");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// The formula with either output kind, whatever the declaration's: the fused operators need probabilities for");
        writer.Line("/// attention weights and log-probabilities for the loss, each computed directly, never one from the other.");
        writer.Line("/// </summary>");
        using (writer.Block($"public static {Tensor} Formula({signature}, bool logarithm)"))
        {
            writer.Line("using var scope = global::TorchSharp.torch.NewDisposeScope();");
            writer.Line($"return {Runner}.MaskedSoftMax(Modulate({arguments}), {x}.eq(double.NegativeInfinity), logarithm).MoveToOuterDisposeScope();");
        }

        writer.Line();
        writer.Line("/// <summary>σ alone as torch ops: −∞ where x is −∞ (masked). Fused attention's materialized path adds sinks to it, on σ's scale.</summary>");
        using (writer.Block($"public static {Tensor} Modulate({signature})"))
        {
            if (math.IsIdentity)
            {
                writer.Line($"return {x}.alias();");
                return;
            }

            writer.Line("using var scope = global::TorchSharp.torch.NewDisposeScope();");
            writer.Line($"{Tensor} masked = {x}.eq(double.NegativeInfinity);");
            writer.Line("// σ is never evaluated at a masked entry: σ(−∞) is NaN or ±∞ for most parameters.");
            var unmasked = new Local("xz");
            writer.Line($"{Tensor} {unmasked} = {x}.masked_fill(masked, 0);");
            Local sigma = printer.WriteSigma(writer, unmasked, "sigma");
            if (math.Expression is not null)
            {
                // As the kernels: σ may be finite at x = +∞ (cap·tanh(+∞/cap) = cap), or not read a NaN parameter in the branch
                // it takes; the row is NaN all the same. x − x is 0 for finite x and NaN otherwise; its gradient is 0.
                writer.Line($"{sigma} = {sigma} + ({unmasked} - {unmasked});");
                string read = string.Join(", ", math.ParameterSymbols.Select(p => $"{parameters}[{p.ParameterIndex}]"));
                if (read.Length > 0)
                {
                    writer.Line($"{sigma} = {sigma}.masked_fill(global::TorchSharp.torch.stack(new {Tensor}[] {{ {read} }}).isnan().any(), double.NaN);");
                }
            }

            writer.Line($"return {sigma}.masked_fill(masked, double.NegativeInfinity).MoveToOuterDisposeScope();");
        }
    }

    private static void WriteModule(SourceWriter writer, OverloadGroup module)
    {
        NormalizerSpec spec = module.Modulator;
        string name = Identifiers.Escape(spec.MethodName + "Module");
        int coefficients = spec.Terms.Count(t => t.Coefficient.IsLearnable);
        int thresholds = spec.Terms.Count(t => t.Threshold.IsLearnable);
        var owned = new List<(string Field, string Backing, string Initializer, string Summary, int Length)>();
        // A modulator's arguments keep their names; their backing fields are θ-prefixed, like their kernel locals, so
        // that none meets a TorchSharp member (_parameters, _to, …).
        for (int k = 0; k < (spec.Modulator?.Parameters.Count ?? 0); k++)
        {
            LearnableArgument argument = spec.Modulator!.Parameters[k];
            owned.Add((Identifiers.Escape(argument.Name), ModulatorMath.ExpressionLocal(spec.Modulator, k), $"global::TorchSharp.torch.ones(1).mul_({ElementType.Double.Literal(argument.Initial)})",
                $"The learnable argument <c>{argument.Name}</c> of {spec.Modulator!.MethodName}, initialised to its default {Literals.Display(argument.Initial)}.", 1));
        }

        if (coefficients > 0)
        {
            owned.Add(("ts", "_ts", $"{Runner}.TruncatedNormal({coefficients})", $"The {Count(coefficients, "learnable coefficient")}, in term order (the reference code's <c>ts</c>).", coefficients));
        }

        if (thresholds > 0)
        {
            owned.Add(("ranges", "_ranges", $"{Runner}.TruncatedNormal({thresholds})", $"The {Count(thresholds, "learnable threshold")}, in term order (the reference code's <c>ranges</c>).", thresholds));
        }

        if (spec.IsAffine)
        {
            owned.Add(("scale", "_scale", "global::TorchSharp.torch.ones(1)", "The affine scale s of x' = s·x + t, initialised to 1.", 1));
            owned.Add(("shift", "_shift", "global::TorchSharp.torch.zeros(1)", "The affine shift t of x' = s·x + t, initialised to 0.", 1));
        }

        writer.Line($"/// <summary>");
        writer.Line($"/// <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/> as a layer: normalizes the last axis of a float32 or float64 tensor of any shape,");
        writer.Line($"/// with autograd to the input{(owned.Count > 0 ? " and to every parameter it owns" : "")}.");
        writer.Line($"/// </summary>");
        writer.Line(DeclarationCode.GeneratedCodeAttribute);
        using (writer.Block($"{DeclarationCode.AccessibilityPrefix(spec)}sealed class {name} : global::TorchSharp.torch.nn.Module<{Tensor}, {Tensor}>, {FusedNormalizer}"))
        {
            foreach ((_, string backing, _, _, _) in owned)
            {
                writer.Line($"private global::TorchSharp.Modules.Parameter {backing};");
            }

            if (owned.Count > 0)
            {
                writer.Line();
            }

            // TorchSharp's convention (as in Linear.weight): the setter registers, so module.to(dtype or device),
            // which replaces parameters through their properties, keeps the registry and the property in step. A
            // replacement of another shape is refused there, naming the parameter, not later inside the formula.
            foreach ((string field, string backing, _, string summary, int length) in owned)
            {
                writer.Line($"/// <summary>{summary}</summary>");
                using (writer.Block($"public global::TorchSharp.Modules.Parameter {field}"))
                {
                    writer.Line($"get => {backing};");
                    writer.Line($"set {{ {Runner}.CheckParameter(value, {length}, nameof({name}) + \".\" + nameof({field})); {backing} = value; ConditionallyRegisterParameter(nameof({field}), value); }}");
                }

                writer.Line();
            }

            writer.Line(owned.Count == 0 ? "/// <summary>A layer without learnable parameters.</summary>"
                : spec.Modulator is { } modulator ? $"/// <summary>A layer whose parameters start at the defaults {modulator.MethodName} declares.</summary>"
                : "/// <summary>A layer initialised as the reference code does: coefficients and thresholds from a truncated normal with std 0.02, so it starts close to SoftMax.</summary>");
            using (writer.Block($"public {name}() : base(nameof({name}))"))
            {
                foreach ((string field, string backing, string initializer, _, _) in owned)
                {
                    writer.Line($"{backing} = new global::TorchSharp.Modules.Parameter({initializer});");
                    writer.Line($"register_parameter(nameof({field}), {backing});");
                }
            }

            writer.Line();
            string function = DeclarationCode.HostMember(spec, spec.MethodName + "Function");
            writer.Line("/// <inheritdoc/>");
            writer.Line(owned.Count == 0
                ? $"public override {Tensor} forward({Tensor} x) => {function}.Apply(x);"
                : $"public override {Tensor} forward({Tensor} x) => {function}.Apply(x, Parameters(x.dtype));");

            if (owned.Count > 0)
            {
                writer.Line();
                writer.Line("/// <summary>The parameters in the span operator's layout, which is exactly this concatenation; the cast is differentiable.</summary>");
                using (writer.Block($"private {Tensor} Parameters(global::TorchSharp.torch.ScalarType dtype)"))
                {
                    // this.: a modulator's argument may be named dtype or concatenated.
                    string fields = string.Join(", ", owned.Select(o => spec.Modulator is null ? o.Field : "this." + o.Field));
                    writer.Line($"using {Tensor} concatenated = global::TorchSharp.torch.cat(new {Tensor}[] {{ {fields} }});");
                    writer.Line("return concatenated.to(dtype);");
                }
            }

            WriteFusedNormalizer(writer, module, function, owned.Count > 0);
        }
    }

    private const string FusedNormalizer = "global::MultiMax.Torch.CompilerServices.IFusedNormalizer";

    /// <summary>
    /// What the fused operators (<c>FusedAttention</c>, <c>FusedCrossEntropy</c>) ask of the module: its parameters, its
    /// formula, and the generated span operators per element type, held in static fields so that a call allocates
    /// nothing for them.
    /// </summary>
    private static void WriteFusedNormalizer(SourceWriter writer, OverloadGroup module, string function, bool hasParameters)
    {
        NormalizerSpec spec = module.Modulator;
        writer.Line();
        writer.Line(hasParameters
            ? $"{Tensor}? {FusedNormalizer}.ParameterVector(global::TorchSharp.torch.ScalarType dtype) => Parameters(dtype);"
            : $"{Tensor}? {FusedNormalizer}.ParameterVector(global::TorchSharp.torch.ScalarType dtype) => null;");
        writer.Line();
        writer.Line(hasParameters
            ? $"{Tensor} {FusedNormalizer}.Formula({Tensor} x, {Tensor}? parameters, bool logarithm) => {function}.Formula(x, parameters!, logarithm);"
            : $"{Tensor} {FusedNormalizer}.Formula({Tensor} x, {Tensor}? parameters, bool logarithm) => {function}.Formula(x, logarithm);");
        writer.Line();
        writer.Line(hasParameters
            ? $"{Tensor} {FusedNormalizer}.Modulate({Tensor} x, {Tensor}? parameters) => {function}.Modulate(x, parameters!);"
            : $"{Tensor} {FusedNormalizer}.Modulate({Tensor} x, {Tensor}? parameters) => {function}.Modulate(x);");
        writer.Line();
        writer.Line($"bool {FusedNormalizer}.LogProbabilities => {(spec.Output == NormalizerOutputKind.LogProbabilities ? "true" : "false")};");
        string attention = DeclarationCode.Operator(spec, spec.MethodName + "Attention");
        string crossEntropy = DeclarationCode.Operator(spec, spec.MethodName + "CrossEntropy");
        foreach (ElementType type in new[] { ElementType.Float, ElementType.Double })
        {
            string prefix = type == ElementType.Float ? "Float" : "Double";
            WriteKernelProperty(writer, module, type, prefix + "Attention", "AttentionKernels",
                hasParameters
                    ? $"static (q, k, v, o, l, shape, p, options) => {attention}(q, k, v, o, l, shape, p, options)"
                    : $"static (q, k, v, o, l, shape, _, options) => {attention}(q, k, v, o, l, shape, options)",
                hasParameters
                    ? $"static (q, k, v, o, l, dO, dq, dk, dv, shape, p, dp, options, db, dc) => {attention}Backward(q, k, v, o, l, dO, dq, dk, dv, shape, p, dp, options, db, dc)"
                    : $"static (q, k, v, o, l, dO, dq, dk, dv, shape, _, _, options, db, dc) => {attention}Backward(q, k, v, o, l, dO, dq, dk, dv, shape, options, db, dc)");
            WriteKernelProperty(writer, module, type, prefix + "CrossEntropy", "CrossEntropyKernels",
                hasParameters
                    ? $"static (h, w, b, t, shape, p, ignore) => {crossEntropy}(h, w, b, t, shape, p, ignore)"
                    : $"static (h, w, b, t, shape, _, ignore) => {crossEntropy}(h, w, b, t, shape, ignore)",
                hasParameters
                    ? $"static (h, w, b, t, shape, p, dh, dw, db, dp, ignore) => {crossEntropy}Backward(h, w, b, t, shape, p, dh, dw, db, dp, ignore)"
                    : $"static (h, w, b, t, shape, _, dh, dw, db, _, ignore) => {crossEntropy}Backward(h, w, b, t, shape, dh, dw, db, ignore)");
        }
    }

    /// <summary>An <c>IFusedNormalizer</c> property with a pair of generated span operators, or null for an element type not declared.</summary>
    private static void WriteKernelProperty(
        SourceWriter writer, OverloadGroup module, ElementType type, string property, string record, string first, string second)
    {
        string kernels = $"global::MultiMax.Torch.CompilerServices.{record}<{type.Keyword()}>";
        writer.Line();
        if (!module.ElementTypes.Contains(type))
        {
            writer.Line($"{kernels}? {FusedNormalizer}.{property} => null;");
            return;
        }

        writer.Line($"private static readonly {kernels} {property}Kernels = new(");
        writer.Line($"    {first},");
        writer.Line($"    {second});");
        writer.Line();
        writer.Line($"{kernels}? {FusedNormalizer}.{property} => {property}Kernels;");
    }

    private static string Count(int count, string noun) => count == 1 ? $"{count} {noun}" : $"{count} {noun}s";

    private static string TorchDType(ElementType type) => type == ElementType.Float ? "float32" : "float64";

    private static string Bool(bool value) => value ? "true" : "false";

}
