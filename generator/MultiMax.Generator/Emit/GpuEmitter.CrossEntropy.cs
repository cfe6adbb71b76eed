using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string LossRunner = "global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyRunner";
    private const string LossTiles = "global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyTiles";
    private const string LossPass = "global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyPass";
    private const string TargetView = "global::ILGPU.ArrayView<long>";

    /// <summary>
    /// <c>CrossEntropy</c> and <c>CrossEntropyBackward</c>: the span operators <c>&lt;Name&gt;CrossEntropy</c>/<c>…Backward</c>
    /// on device views, with the same checks before anything is launched.
    /// </summary>
    private static void WriteCrossEntropyHosts(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type), t = type.Keyword(), suffix = Suffix(type);
        string inputs = $"global::ILGPU.Runtime.AcceleratorStream stream, {view} hidden, {view} weight, {view} bias, {TargetView} targets, global::MultiMax.CrossEntropyShape shape"
            + (spec.HasParameters ? $", {view} parameters" : "");
        string parametersArgument = spec.HasParameters ? "parameters" : "default";
        string parametersView = spec.HasParameters ? $"{view}, " : "";
        string parametersPassed = spec.HasParameters ? "parameters, " : "";
        string spanOperator = Identifiers.Escape(spec.MethodName + "CrossEntropy");
        string statisticsKernel = $"CrossEntropyStatistics{suffix}Kernel";
        string statisticsLoad = $"{Runner}.Load(accelerator, {statisticsKernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {TargetView}, {parametersView}{view}, {view}, global::ILGPU.ArrayView<double>, {LossTiles}>(accelerator, {statisticsKernel}))";
        string statisticsCall = $"(stream, statisticsLaunch, hidden, weight, bias, targets, {parametersPassed}scratch.RowMaxima, scratch.RowLogSums, scratch.Losses, statisticsTiles);";

        writer.Line("/// <summary>");
        writer.Line($"/// The fused output-layer loss with <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>'s σ, as <c>{spanOperator}</c> computes it on spans:");
        writer.Line("/// the mean, over the tokens whose target is not <paramref name=\"ignoreIndex\"/>, of <c>−log SoftMax(σ(hidden·weightᵀ + bias))[target]</c>.");
        writer.Line("/// Tiles of hidden states and weight rows live in shared memory; nothing of size tokens × vocab is ever allocated.");
        writer.Line("/// Copies the targets to the host to check them, and waits for the stream.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        writer.Line("/// <returns>The mean loss; 0 when every target is ignored, NaN when a parameter σ reads is NaN.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or a target is neither a class nor the ignore index; nothing is launched then.</exception>");
        using (writer.Block($"public static double CrossEntropy({inputs}, long ignoreIndex = -100)"))
        {
            writer.Line($"var settings = {LossRunner}.CheckLoss(stream, hidden, weight, bias, targets, shape, {parametersArgument}, ParameterCount, ignoreIndex);");
            writer.Line("if (settings.Counted == 0) return 0; // the mean over no tokens");
            writer.Line("var accelerator = stream.Accelerator;");
            writer.Line($"var (statisticsLaunch, statisticsTiles) = {LossRunner}.Plan<{t}>(accelerator, settings, {LossPass}.Statistics, ParameterCount);");
            writer.Line($"using var scratch = new global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyScratch<{t}>(accelerator, settings, 0, ParameterCount);");
            writer.Line($"var statistics = {statisticsLoad};");
            writer.Line($"statistics{statisticsCall}");
            writer.Line($"return {LossRunner}.MeanLoss(stream, scratch, settings);");
        }

        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// The loss of <c>CrossEntropy</c> and its gradients (those of the mean: multiply them by the upstream gradient of the");
        writer.Line("/// loss). Parameter gradients are summed in double in a fixed order: the same bits on every run. Waits for the stream.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteCrossEntropyInputDocs(writer, spec);
        writer.Line("/// <param name=\"hiddenGradient\">Receives [tokens, dim]; an ignored token's row is 0.</param>");
        writer.Line("/// <param name=\"weightGradient\">Receives [vocab, dim].</param>");
        writer.Line("/// <param name=\"biasGradient\">Receives [vocab]; empty when <paramref name=\"bias\"/> is.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the gradients of σ's parameters.</param>");
        }

        writer.Line("/// <returns>The mean loss, as <c>CrossEntropy</c> returns it.</returns>");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, a target is neither a class nor the ignore index, or an output overlaps an input or another output; nothing is launched then.</exception>");
        string gradients = $"{view} hiddenGradient, {view} weightGradient, {view} biasGradient" + (spec.HasParameters ? $", {view} parameterGradients" : "");
        string parameterGradientsArgument = spec.HasParameters ? "parameterGradients" : "default";
        using (writer.Block($"public static double CrossEntropyBackward({inputs}, {gradients}, long ignoreIndex = -100)"))
        {
            writer.Line($"var settings = {LossRunner}.CheckLossAndGradients(stream, hidden, weight, bias, targets, shape, {parametersArgument}, ParameterCount, hiddenGradient, weightGradient, biasGradient, {parameterGradientsArgument}, ignoreIndex);");
            using (writer.Block("if (settings.Counted == 0)"))
            {
                writer.Line($"{LossRunner}.ClearGradients(stream, hiddenGradient, weightGradient, biasGradient, {parameterGradientsArgument});");
                writer.Line("return 0; // the mean over no tokens, and every gradient 0");
            }

            writer.Line("var accelerator = stream.Accelerator;");
            writer.Line($"var (statisticsLaunch, statisticsTiles) = {LossRunner}.Plan<{t}>(accelerator, settings, {LossPass}.Statistics, ParameterCount);");
            writer.Line($"var (classLaunch, classTiles) = {LossRunner}.Plan<{t}>(accelerator, settings, {LossPass}.Classes, ParameterCount);");
            writer.Line($"var (tokenLaunch, tokenTiles) = {LossRunner}.Plan<{t}>(accelerator, settings, {LossPass}.Tokens, ParameterCount);");
            writer.Line();
            writer.Line("// Three passes and no atomics: per token max σ and log Σ (and its loss); one group per block of classes for dW, db");
            writer.Line("// and its share of the parameter sums; one group per block of tokens for dh. The same bits on every run.");
            string classesKernel = $"CrossEntropyClasses{suffix}Kernel", tokensKernel = $"CrossEntropyTokens{suffix}Kernel";
            string partialsView = spec.HasParameters ? "global::ILGPU.ArrayView<double>, " : "";
            writer.Line("// Every kernel compiled before the first launch: a failed compile writes nothing.");
            writer.Line($"var statistics = {statisticsLoad};");
            writer.Line($"var classes = {Runner}.Load(accelerator, {classesKernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {TargetView}, {parametersView}{view}, {view}, {view}, {view}, {partialsView}{LossTiles}>(accelerator, {classesKernel}));");
            writer.Line($"var tokens = {Runner}.Load(accelerator, {tokensKernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {TargetView}, {parametersView}{view}, {view}, {view}, {LossTiles}>(accelerator, {tokensKernel}));");
            writer.Line($"using var scratch = new global::MultiMax.Gpu.CompilerServices.GpuCrossEntropyScratch<{t}>(accelerator, settings, classLaunch.GridDim.X, ParameterCount);");
            writer.Line($"statistics{statisticsCall}");
            writer.Line($"classes(stream, classLaunch, hidden, weight, bias, targets, {parametersPassed}scratch.RowMaxima, scratch.RowLogSums, weightGradient, biasGradient, {(spec.HasParameters ? "scratch.Partials, " : "")}classTiles);");
            writer.Line($"tokens(stream, tokenLaunch, hidden, weight, bias, targets, {parametersPassed}scratch.RowMaxima, scratch.RowLogSums, hiddenGradient, tokenTiles);");
            if (spec.HasParameters)
            {
                writer.Line($"{Runner}.SumPartials(stream, scratch.Partials, scratch.ClassGroups, parameterGradients);");
            }

            writer.Line($"return {LossRunner}.MeanLoss(stream, scratch, settings); // waits for the stream: the scratch is freed after");
        }
    }

    /// <summary>The three loss kernels of one element type.</summary>
    private static void WriteCrossEntropyKernels(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        WriteCrossEntropyStatisticsKernel(writer, spec, printer);
        writer.Line();
        WriteCrossEntropyClassesKernel(writer, spec, printer);
        writer.Line();
        WriteCrossEntropyTokensKernel(writer, spec, printer);
    }

    /// <summary>The locals every loss kernel starts with, and the shared view its tiles are cut from.</summary>
    private static void WriteCrossEntropyPreamble(SourceWriter writer, string t)
    {
        writer.Line($"int lane = {Group}.IdxX, lanes = {Group}.DimX, dim = tiles.Dim, block = tiles.Block;");
        writer.Line("// Tile rows are an odd number of elements apart: lanes that read one column of consecutive rows hit distinct banks.");
        writer.Line("int stride = dim | 1;");
        writer.Line($"var shared = global::ILGPU.SharedMemory.GetDynamic<{t}>();");
    }

    /// <summary>Where a token-block kernel's tokens start.</summary>
    private static void WriteTokenBlock(SourceWriter writer)
    {
        writer.Line("int firstToken = global::ILGPU.Grid.IdxX * block;");
        writer.Line("int tokens = tiles.Tokens - firstToken < block ? tiles.Tokens - firstToken : block;");
    }

    /// <summary>Loads rows [first, first + count) of a [rows, dim] view into a padded tile.</summary>
    private static void WriteRowTileLoad(SourceWriter writer, string tile, string source, string first, string count)
    {
        writer.Line($"for (int e = lane; e < {count} * dim; e += lanes) {tile}[e + e / dim * (stride - dim)] = {source}[(long){first} * dim + e];");
    }

    /// <summary>z = h_i·w_j (+ b_v) of the tile entry e, from the product <paramref name="products"/> holds.</summary>
    private static void WriteLogit(SourceWriter writer, string t, string products)
    {
        writer.Line($"{t} z = {products}[e];");
        writer.Line("if (tiles.HasBias != 0) z += bias[v];");
    }

    /// <summary>Loads a block of tokens' max σ, log Σ and target into static shared memory.</summary>
    private static void WriteTokenStatisticsLoad(SourceWriter writer)
    {
        using (writer.Block("for (int i = lane; i < tokens; i += lanes)"))
        {
            writer.Line("rowMax[i] = rowMaxima[firstToken + i];");
            writer.Line("rowLogSum[i] = rowLogSums[firstToken + i];");
            writer.Line("rowTarget[i] = targets[firstToken + i];");
        }
    }

    private static void WriteTokenStatisticsShared(SourceWriter writer, string t)
    {
        writer.Line($"var rowMax = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
        writer.Line($"var rowLogSum = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
        writer.Line($"var rowTarget = global::ILGPU.SharedMemory.Allocate<long>({Tiles}.MaxBlock);");
    }

    /// <summary>
    /// dz of the tile entry (i, j) into <c>gradients[e]</c>: σ′(z)·gσ with gσ = w·(P − [class = target]) and
    /// P = exp(σ − max − log Σ); a masked logit or an ignored token gets 0. With <paramref name="accumulator"/> the
    /// parameter sums are added inline; without, the σ′ helper is called.
    /// </summary>
    private static void WriteLogitGradient(SourceWriter writer, ModulatorPrinter printer, string t, System.Func<ParameterGradient, Local>? accumulator)
    {
        WriteTileProducts(writer, t, "hiddenTile", "weightTile", "gradients", "dim");
        writer.Line("// dz = σ′(z)·gσ of every (token, class) pair, in place of h·w: gσ = w·(P − [class = target]) with");
        writer.Line("// P = exp(σ − m − log l); a masked logit or an ignored token gets 0.");
        using (writer.Block("for (int e = lane; e < tokens * block; e += lanes)"))
        {
            writer.Line("int i = e / block, j = e - i * block, v = firstClass + j;");
            writer.Line($"{t} gradient = 0;");
            using (writer.Block("if (j < classes && rowTarget[i] != tiles.IgnoreIndex)"))
            {
                WriteLogit(writer, t, "gradients");
                using (writer.Block($"if (z != {t}.NegativeInfinity)"))
                {
                    writer.Line($"{t} probability = {XMath}.Exp({Sigma(printer, new Local("z"))} - rowMax[i] - rowLogSum[i]);");
                    writer.Line($"{t} gs = tokenWeight * (v == rowTarget[i] ? probability - 1 : probability);");
                    if (accumulator is null)
                    {
                        writer.Line($"gradient = {ScoreGradient(printer, "z", "gs")};");
                    }
                    else
                    {
                        Local dz = printer.WriteInputGradient(writer, new Local("z"), new Local("gs"), new Local("gs"), accumulator, "dz");
                        writer.Line($"gradient = {dz};");
                    }
                }
            }

            writer.Line("gradients[e] = gradient;");
        }
    }

    private static void WriteCrossEntropyStatisticsKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per block of tokens, streaming tiles of weight rows: σ(z) of every (token, class), a running maximum m and");
        writer.Line("/// sum l of exp(σ − m) per token (over σ, not z: σ need not be monotone), and σ at the target. Writes m, log l and");
        writer.Line("/// the token's loss (m − σ(z_target)) + log l, in that order so that a large m does not round log l away.");
        writer.Line("/// </summary>");
        using (writer.Block($"private static void CrossEntropyStatistics{Suffix(math.Type)}Kernel({view} hidden, {view} weight, {view} bias, {TargetView} targets, {parameters}{view} rowMaxima, {view} rowLogSums, global::ILGPU.ArrayView<double> losses, {LossTiles} tiles)"))
        {
            WriteCrossEntropyPreamble(writer, t);
            WriteTokenBlock(writer);
            WriteParameterLocals(writer, printer, math.SigmaSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            writer.Line();
            writer.Line("// Shared: the block's hidden states, a tile of weight rows, σ of the tile; per token m, l, its target and σ there.");
            writer.Line("var hiddenTile = shared.SubView(0, block * stride);");
            writer.Line("var weightTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var logits = shared.SubView(2 * block * stride, block * block);");
            writer.Line($"var rowMax = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            writer.Line($"var rowSum = global::ILGPU.SharedMemory.Allocate<double>({Tiles}.MaxBlock);");
            writer.Line($"var targetSigma = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            writer.Line($"var rowTarget = global::ILGPU.SharedMemory.Allocate<long>({Tiles}.MaxBlock);");
            WriteRowTileLoad(writer, "hiddenTile", "hidden", "firstToken", "tokens");
            using (writer.Block("for (int i = lane; i < tokens; i += lanes)"))
            {
                writer.Line($"rowMax[i] = {t}.NegativeInfinity;");
                writer.Line("rowSum[i] = 0;");
                writer.Line($"targetSigma[i] = {t}.NegativeInfinity;");
                writer.Line("rowTarget[i] = targets[firstToken + i];");
            }

            writer.Line();
            using (writer.Block("for (int firstClass = 0; firstClass < tiles.Vocab; firstClass += block)"))
            {
                writer.Line("int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;");
                writer.Line($"{Group}.Barrier(); // every lane is done with the previous tile");
                WriteRowTileLoad(writer, "weightTile", "weight", "firstClass", "classes");
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                WriteTileProducts(writer, t, "hiddenTile", "weightTile", "logits", "dim");
                writer.Line("// σ(z) of every (token, class) pair, z = h·w (+ b); a logit of −∞ (a forbidden class) is masked and never reaches σ.");
                using (writer.Block("for (int e = lane; e < tokens * block; e += lanes)"))
                {
                    writer.Line("int i = e / block, j = e - i * block, v = firstClass + j;");
                    writer.Line($"{t} sigma = {t}.NegativeInfinity;");
                    using (writer.Block("if (j < classes)"))
                    {
                        WriteLogit(writer, t, "logits");
                        writer.Line($"if (z != {t}.NegativeInfinity) sigma = {Sigma(printer, new Local("z"))};");
                        writer.Line("if (v == rowTarget[i]) targetSigma[i] = sigma;");
                    }

                    writer.Line("logits[e] = sigma;");
                }

                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// One lane per token: the online max and sum over σ. A NaN σ (or a NaN parameter) keeps the max NaN explicitly,");
                writer.Line("// since XMath.Max drops a NaN on CUDA.");
                using (writer.Block("for (int i = lane; i < tokens; i += lanes)"))
                {
                    writer.Line($"{t} tileMax = {t}.NegativeInfinity;");
                    writer.Line($"bool nan = {t}.IsNaN(rowMax[i]);");
                    using (writer.Block("for (int j = 0; j < classes; j++)"))
                    {
                        writer.Line($"nan |= {t}.IsNaN(logits[i * block + j]);");
                        writer.Line($"tileMax = {XMath}.Max(tileMax, logits[i * block + j]);");
                    }

                    if (poisoned is not null)
                    {
                        writer.Line($"nan |= {poisoned} && tileMax != {t}.NegativeInfinity;");
                    }

                    writer.Line($"{t} newMax = nan ? {t}.NaN : {XMath}.Max(rowMax[i], tileMax);");
                    writer.Line($"if (newMax == {t}.NegativeInfinity) continue; // nothing visible yet");
                    writer.Line("double tileSum = 0;");
                    writer.Line($"for (int j = 0; j < classes; j++) tileSum += {XMath}.Exp(logits[i * block + j] - newMax);");
                    writer.Line($"rowSum[i] = rowSum[i] * {XMath}.Exp(rowMax[i] - newMax) + tileSum;");
                    writer.Line("rowMax[i] = newMax;");
                }
            }

            writer.Line($"{Group}.Barrier();");
            writer.Line();
            writer.Line("// Per token: m and log l for the gradient passes, and the loss (0 for an ignored token).");
            using (writer.Block("for (int i = lane; i < tokens; i += lanes)"))
            {
                writer.Line("double logSum = global::ILGPU.Algorithms.XMath.Log(rowSum[i]);");
                writer.Line("rowMaxima[firstToken + i] = rowMax[i];");
                writer.Line($"rowLogSums[firstToken + i] = ({t})logSum;");
                writer.Line("losses[firstToken + i] = rowTarget[i] == tiles.IgnoreIndex ? 0 : (double)rowMax[i] - (double)targetSigma[i] + logSum;");
            }
        }
    }

    private static void WriteCrossEntropyClassesKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        string partials = spec.HasParameters ? "global::ILGPU.ArrayView<double> partials, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per block of classes, over every block of tokens: dz = σ′(z)·w·(P − onehot) recomputed per tile,");
        writer.Line("/// dW += dzᵀ·h and db += Σ dz in shared memory" + (spec.HasParameters ? ", and this group's share of Σ gσ·∂σ/∂θ in its own slot of partials." : "."));
        writer.Line("/// </summary>");
        using (writer.Block($"private static void CrossEntropyClasses{Suffix(math.Type)}Kernel({view} hidden, {view} weight, {view} bias, {TargetView} targets, {parameters}{view} rowMaxima, {view} rowLogSums, {view} weightGradient, {view} biasGradient, {partials}{LossTiles} tiles)"))
        {
            WriteCrossEntropyPreamble(writer, t);
            writer.Line($"{t} tokenWeight = ({t})1 / tiles.Counted; // each counted token's weight in the mean");
            writer.Line("int firstClass = global::ILGPU.Grid.IdxX * block;");
            writer.Line("int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;");
            WriteParameterLocals(writer, printer, math.DerivativeSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            foreach (ParameterGradient gradient in math.Gradients)
            {
                writer.Line($"double {Accumulator(gradient)} = 0;");
            }

            writer.Line();
            writer.Line("// Shared: the block's weight rows and their gradient, a tile of hidden states, dz of the tile; per token m, log l, target.");
            writer.Line("var weightTile = shared.SubView(0, block * stride);");
            writer.Line("var weightGradientTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var hiddenTile = shared.SubView(2 * block * stride, block * stride);");
            writer.Line("var gradients = shared.SubView(3 * block * stride, block * block);");
            WriteTokenStatisticsShared(writer, t);
            writer.Line($"var biasGradientTile = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            WriteRowTileLoad(writer, "weightTile", "weight", "firstClass", "classes");
            writer.Line("for (int e = lane; e < classes * dim; e += lanes) weightGradientTile[e] = 0;");
            writer.Line("for (int j = lane; j < classes; j += lanes) biasGradientTile[j] = 0;");
            writer.Line();
            using (writer.Block("for (int firstToken = 0; firstToken < tiles.Tokens; firstToken += block)"))
            {
                writer.Line("int tokens = tiles.Tokens - firstToken < block ? tiles.Tokens - firstToken : block;");
                writer.Line($"{Group}.Barrier(); // every lane is done with the previous block of tokens");
                WriteRowTileLoad(writer, "hiddenTile", "hidden", "firstToken", "tokens");
                WriteTokenStatisticsLoad(writer);
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                WriteLogitGradient(writer, printer, t, Accumulator);
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// dW += dzᵀ·h; db += Σ dz, one lane per class.");
                WriteTileAccumulate(writer, t, "weightGradientTile", "gradients", transposed: true, "hiddenTile", "classes", "tokens", "dim");

                using (writer.Block("for (int j = lane; j < classes; j += lanes)"))
                {
                    writer.Line($"{t} sum = 0;");
                    writer.Line("for (int i = 0; i < tokens; i++) sum += gradients[i * block + j];");
                    writer.Line("biasGradientTile[j] += sum;");
                }
            }

            writer.Line($"{Group}.Barrier();");
            string nan = poisoned is null ? "" : $"{poisoned} ? {t}.NaN : ";
            if (poisoned is not null)
            {
                writer.Line("// A NaN parameter σ reads makes every gradient NaN, as autograd of the formula does.");
            }

            writer.Line($"for (int e = lane; e < classes * dim; e += lanes) weightGradient[(long)firstClass * dim + e] = {nan}weightGradientTile[e];");
            writer.Line($"if (tiles.HasBias != 0) for (int j = lane; j < classes; j += lanes) biasGradient[firstClass + j] = {nan}biasGradientTile[j];");
            if (!spec.HasParameters)
            {
                return;
            }

            writer.Line();
            writer.Line("// Sum each gradient over the group; lane 0 writes this group's slot (an Above threshold's negated).");
            WriteParameterSlot(writer, spec, math, poisoned, "lane == 0", "(long)global::ILGPU.Grid.IdxX", "double.NaN", poisonEvery: true);
        }
    }

    private static void WriteCrossEntropyTokensKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per block of tokens, over every tile of classes: dz recomputed per tile and dh += dz·W in shared memory.");
        writer.Line("/// Written by one group per row, so no atomics: the same bits on every run.");
        writer.Line("/// </summary>");
        using (writer.Block($"private static void CrossEntropyTokens{Suffix(math.Type)}Kernel({view} hidden, {view} weight, {view} bias, {TargetView} targets, {parameters}{view} rowMaxima, {view} rowLogSums, {view} hiddenGradient, {LossTiles} tiles)"))
        {
            WriteCrossEntropyPreamble(writer, t);
            writer.Line($"{t} tokenWeight = ({t})1 / tiles.Counted; // each counted token's weight in the mean");
            WriteTokenBlock(writer);
            WriteParameterLocals(writer, printer, math.DerivativeSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            writer.Line();
            writer.Line("// Shared: the block's hidden states and their gradient, a tile of weight rows, dz of the tile; per token m, log l, target.");
            writer.Line("var hiddenTile = shared.SubView(0, block * stride);");
            writer.Line("var hiddenGradientTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var weightTile = shared.SubView(2 * block * stride, block * stride);");
            writer.Line("var gradients = shared.SubView(3 * block * stride, block * block);");
            WriteTokenStatisticsShared(writer, t);
            WriteRowTileLoad(writer, "hiddenTile", "hidden", "firstToken", "tokens");
            writer.Line("for (int e = lane; e < tokens * dim; e += lanes) hiddenGradientTile[e] = 0;");
            WriteTokenStatisticsLoad(writer);
            writer.Line();
            using (writer.Block("for (int firstClass = 0; firstClass < tiles.Vocab; firstClass += block)"))
            {
                writer.Line("int classes = tiles.Vocab - firstClass < block ? tiles.Vocab - firstClass : block;");
                writer.Line($"{Group}.Barrier(); // every lane is done with the previous tile");
                WriteRowTileLoad(writer, "weightTile", "weight", "firstClass", "classes");
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                WriteLogitGradient(writer, printer, t, accumulator: null);
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// dh += dz·W.");
                WriteTileAccumulate(writer, t, "hiddenGradientTile", "gradients", transposed: false, "weightTile", "tokens", "classes", "dim");
            }

            writer.Line($"{Group}.Barrier();");
            string nan = poisoned is null ? "" : $"{poisoned} ? {t}.NaN : ";
            writer.Line($"for (int e = lane; e < tokens * dim; e += lanes) hiddenGradient[(long)firstToken * dim + e] = {nan}hiddenGradientTile[e];");
        }
    }
}
