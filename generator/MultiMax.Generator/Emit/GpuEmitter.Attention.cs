using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;

namespace MultiMax.Generator.Emit;

internal static partial class GpuEmitter
{
    private const string AttentionRunner = "global::MultiMax.Gpu.CompilerServices.GpuAttentionRunner";
    private const string AttentionTiles = "global::MultiMax.Gpu.CompilerServices.GpuAttentionTiles";
    private const string Tiles = "global::MultiMax.Gpu.CompilerServices.GpuTiles";
    private const string AttentionPass = "global::MultiMax.Gpu.CompilerServices.GpuAttentionPass";
    private const string MaskView = "global::ILGPU.ArrayView<byte>";
    private const string Group = "global::ILGPU.Group";
    private const string XMath = "global::ILGPU.Algorithms.XMath";

    /// <summary>
    /// <c>Attention</c> and <c>AttentionBackward</c>: the span operators <c>&lt;Name&gt;Attention</c>/<c>…Backward</c> on
    /// device views, with the same checks before anything is launched.
    /// </summary>
    private static void WriteAttentionHosts(SourceWriter writer, NormalizerSpec spec, ElementType type)
    {
        string view = View(type), t = type.Keyword(), suffix = Suffix(type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        string parametersArgument = spec.HasParameters ? "parameters" : "default";
        string settings = $"{MaskView} keyPaddingMask = default, bool causal = false, {t}? scale = null";
        string spanOperator = Identifiers.Escape(spec.MethodName + "Attention");

        writer.Line("/// <summary>");
        writer.Line($"/// Fused scaled-dot-product attention weighted by <see cref=\"{DeclarationCode.ForwardCref(spec)}\"/>, as <c>{spanOperator}</c> computes it");
        writer.Line("/// on spans, asynchronously on <paramref name=\"stream\"/>: for every query <c>output = Σ_j p_j·value_j</c> with");
        writer.Line("/// <c>p = SoftMax(σ(scale·query·keyᵀ))</c> over its visible keys. Tiles of queries, keys and values live in shared memory;");
        writer.Line("/// nothing of size queries × keys is ever allocated.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: false);
        writer.Line("/// <param name=\"output\">Receives [batch, heads, queries, headSize]; a query with no visible key gets 0.</param>");
        writer.Line("/// <param name=\"logSumExp\">Receives [batch, heads, queries]: log Σ exp σ per query (−∞ with no visible key), for the backward.</param>");
        DeclarationCode.WriteAttentionSettingDocs(writer, "a nonzero byte (ILGPU views hold no <c>bool</c>)");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input; nothing is launched then.</exception>");
        using (writer.Block($"public static void Attention(global::ILGPU.Runtime.AcceleratorStream stream, {view} query, {view} key, {view} value, {view} output, {view} logSumExp, global::MultiMax.AttentionShape shape, {parameters}{settings})"))
        {
            writer.Line("global::System.ArgumentNullException.ThrowIfNull(stream);");
            writer.Line($"var settings = {AttentionRunner}.CheckForward(query, key, value, output, logSumExp, shape, {parametersArgument}, ParameterCount, keyPaddingMask, causal, scale);");
            writer.Line("if (shape.LogSumExpLength == 0) return; // no query (with a head size of 0 the log-sum-exp still is written)");
            writer.Line($"var (launch, tiles) = {AttentionRunner}.Plan<{t}>(stream.Accelerator, settings, {AttentionPass}.Forward, ParameterCount);");
            string kernel = $"AttentionForward{suffix}Kernel";
            writer.Line($"var forward = {Runner}.Load(stream.Accelerator, {kernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {view}, {view}, {MaskView}, {(spec.HasParameters ? view + ", " : "")}{AttentionTiles}>(accelerator, {kernel}));");
            writer.Line($"forward(stream, launch, query, key, value, output, logSumExp, keyPaddingMask, {(spec.HasParameters ? "parameters, " : "")}tiles);");
        }

        writer.Line();
        writer.Line($"/// <summary>The backward pass of <c>Attention</c>: recomputes each tile's weights from <paramref name=\"logSumExp\"/>{(spec.HasParameters ? ", and overwrites <paramref name=\"parameterGradients\"/> (this waits for the stream)" : " (this waits for the stream)")}.</summary>");
        writer.Line("/// <param name=\"stream\">The stream to launch on; its accelerator holds the views.</param>");
        DeclarationCode.WriteAttentionInputDocs(writer, spec, groupedHeads: false);
        writer.Line("/// <param name=\"output\">The forward's output.</param>");
        writer.Line("/// <param name=\"logSumExp\">The forward's log-sum-exp.</param>");
        writer.Line("/// <param name=\"outputGradient\">The gradient of the loss with respect to <paramref name=\"output\"/>.</param>");
        writer.Line("/// <param name=\"queryGradient\">Receives the gradient with respect to <paramref name=\"query\"/>.</param>");
        writer.Line("/// <param name=\"keyGradient\">Receives the gradient with respect to <paramref name=\"key\"/>.</param>");
        writer.Line("/// <param name=\"valueGradient\">Receives the gradient with respect to <paramref name=\"value\"/>.</param>");
        if (spec.HasParameters)
        {
            writer.Line("/// <param name=\"parameterGradients\">Overwritten with the parameter gradients, summed over every score; the same bits on every run.</param>");
        }

        DeclarationCode.WriteAttentionSettingDocs(writer, "a nonzero byte (ILGPU views hold no <c>bool</c>)");
        writer.Line("/// <exception cref=\"global::System.ArgumentException\">A length does not fit the shape, or an output overlaps an input or another output; nothing is launched then.</exception>");
        string parameterGradients = spec.HasParameters ? $"{view} parameterGradients, " : "";
        using (writer.Block($"public static void AttentionBackward(global::ILGPU.Runtime.AcceleratorStream stream, {view} query, {view} key, {view} value, {view} output, {view} logSumExp, {view} outputGradient, {view} queryGradient, {view} keyGradient, {view} valueGradient, global::MultiMax.AttentionShape shape, {parameters}{parameterGradients}{settings})"))
        {
            writer.Line("global::System.ArgumentNullException.ThrowIfNull(stream);");
            writer.Line($"var settings = {AttentionRunner}.CheckBackward(query, key, value, output, logSumExp, outputGradient, queryGradient, keyGradient, valueGradient, shape, {parametersArgument}, {(spec.HasParameters ? "parameterGradients" : "default")}, ParameterCount, keyPaddingMask, causal, scale);");
            writer.Line("var accelerator = stream.Accelerator;");
            writer.Line($"var (keyLaunch, keyTiles) = {AttentionRunner}.Plan<{t}>(accelerator, settings, {AttentionPass}.KeysAndValues, ParameterCount);");
            writer.Line($"var (queryLaunch, queryTiles) = {AttentionRunner}.Plan<{t}>(accelerator, settings, {AttentionPass}.Queries, ParameterCount);");
            writer.Line();
            writer.Line("// Three passes and no atomics, so every gradient has the same bits on every run: D = rowsum(dO ∘ O) per query;");
            writer.Line("// one group per block of keys for dK, dV" + (spec.HasParameters ? " and its share of the parameter sums" : "") + "; one group per block of queries for dQ.");
            string keysKernel = $"AttentionKeys{suffix}Kernel", queriesKernel = $"AttentionQueries{suffix}Kernel";
            string keyParameters = spec.HasParameters ? $"{view}, global::ILGPU.ArrayView<double>, " : "";
            writer.Line("// Both kernels compiled before the first launch: a failed compile writes nothing.");
            writer.Line($"var keys = {Runner}.Load(accelerator, {keysKernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {view}, {view}, {view}, {view}, {view}, {MaskView}, {keyParameters}{AttentionTiles}>(accelerator, {keysKernel}));");
            writer.Line($"var queries = {Runner}.Load(accelerator, {queriesKernel}, static accelerator => global::ILGPU.Runtime.KernelLoaders.LoadKernel<{view}, {view}, {view}, {view}, {view}, {view}, {view}, {MaskView}, {(spec.HasParameters ? view + ", " : "")}{AttentionTiles}>(accelerator, {queriesKernel}));");
            writer.Line($"using var scratch = new global::MultiMax.Gpu.CompilerServices.GpuAttentionScratch<{t}>(accelerator, settings, keyLaunch.GridDim.X, ParameterCount);");
            writer.Line($"{AttentionRunner}.OutputDots(stream, outputGradient, output, scratch, shape.HeadSize);");
            writer.Line($"keys(stream, keyLaunch, query, key, value, outputGradient, logSumExp, scratch.Delta, keyGradient, valueGradient, keyPaddingMask, {(spec.HasParameters ? "parameters, scratch.Partials, " : "")}keyTiles);");
            writer.Line($"if (shape.QueryLength > 0) queries(stream, queryLaunch, query, key, value, outputGradient, logSumExp, scratch.Delta, queryGradient, keyPaddingMask, {(spec.HasParameters ? "parameters, " : "")}queryTiles);");

            if (spec.HasParameters)
            {
                writer.Line($"{Runner}.SumPartials(stream, scratch.Partials, scratch.KeyGroups, parameterGradients);");
            }

            writer.Line("// The scratch is freed when this method returns: wait for the kernels that use it.");
            writer.Line("stream.Synchronize();");
        }
    }

    /// <summary>The three attention kernels of one element type and the σ′·gσ helper the query pass calls.</summary>
    private static void WriteAttentionKernels(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        WriteScoreGradient(writer, printer);
        writer.Line();
        WriteAttentionForwardKernel(writer, spec, printer);
        writer.Line();
        WriteAttentionKeysKernel(writer, spec, printer);
        writer.Line();
        WriteAttentionQueriesKernel(writer, spec, printer);
    }

    /// <summary>ds = σ′(s)·gσ of one score, for the query pass: the key pass sums the parameter gradients.</summary>
    private static void WriteScoreGradient(SourceWriter writer, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword();
        Local s = new("s"), gs = new("gs");
        string symbols = string.Concat(math.DerivativeSymbols.Select(symbol => $", {t} {symbol.Name}"));
        using (writer.Block($"private static {t} ScoreGradient{Suffix(math.Type)}({t} {s}, {t} {gs}{symbols})"))
        {
            if (math.Gradients.Count > 0)
            {
                writer.Line("// The parameter sums are the key pass's; here they are left unused.");
                writer.Line("double " + string.Join(", ", math.Gradients.Select(g => g.AccumulatorStem + " = 0")) + ";");
            }

            Local ds = printer.WriteInputGradient(writer, s, gs, gs, g => new Local(g.AccumulatorStem), "scoreGradient");
            writer.Line($"return {ds};");
        }
    }

    private static string ScoreGradient(ModulatorPrinter printer, string s, string gs) =>
        $"ScoreGradient{Suffix(printer.Math.Type)}({s}, {gs}{string.Concat(printer.Math.DerivativeSymbols.Select(symbol => $", {symbol.Name}"))})";

    /// <summary>The locals every attention kernel starts with: its lane, the head size, the tile size and the scale.</summary>
    private static void WriteAttentionPreamble(SourceWriter writer, string t)
    {
        writer.Line($"int lane = {Group}.IdxX, lanes = {Group}.DimX, headSize = tiles.HeadSize, block = tiles.Block;");
        writer.Line("// Tile rows are an odd number of elements apart: lanes that read one column of consecutive rows hit distinct banks.");
        writer.Line("int stride = headSize | 1;");
        writer.Line($"{t} scoreScale = ({t})tiles.Scale;");
    }

    /// <summary>
    /// Whether key <c>kj</c> is visible to query <c>qi</c>: causally, and not padding. Reads the kernel's <c>qi</c>,
    /// <c>kj</c>, <c>paddingStart</c>, <c>keyPaddingMask</c> and <c>tiles</c>.
    /// </summary>
    private const string Visible =
        "(tiles.Causal == 0 || kj <= qi) && (tiles.Padded == 0 || keyPaddingMask[paddingStart + kj] == 0)";

    /// <summary>
    /// The loop over key tiles of a query-block kernel: a tile past the causal limit is never visited, and one whose
    /// keys are all padding is skipped by every lane alike (<c>BarrierOr</c>, which is also the barrier that keeps
    /// the previous tile until every lane is done with it); the key and value tiles are then loaded, with zeros for
    /// padding keys' rows: a padding key is never read, so a NaN there reaches nothing (P·V and ds·K multiply by them).
    /// </summary>
    private static SourceWriter.Scope OpenKeyTileLoop(SourceWriter writer)
    {
        writer.Line("int visibleKeys = tiles.Causal != 0 && firstQuery + queries < tiles.Keys ? firstQuery + queries : tiles.Keys;");
        var loop = writer.Block("for (int firstKey = 0; firstKey < visibleKeys; firstKey += block)");
        writer.Line("int keys = visibleKeys - firstKey < block ? visibleKeys - firstKey : block;");
        writer.Line("bool anyKey = tiles.Padded == 0;");
        writer.Line("for (int j = lane; j < keys && !anyKey; j += lanes) anyKey = keyPaddingMask[paddingStart + firstKey + j] == 0;");
        writer.Line($"if (!{Group}.BarrierOr(anyKey)) continue; // every key of the tile is padding: skipped, not computed and masked");
        using (writer.Block("for (int e = lane; e < keys * headSize; e += lanes)"))
        {
            writer.Line("bool padding = tiles.Padded != 0 && keyPaddingMask[paddingStart + firstKey + e / headSize] != 0;");
            writer.Line("keyTile[e + e / headSize * (stride - headSize)] = padding ? 0 : key[keyStart + (long)firstKey * headSize + e];");
            writer.Line("valueTile[e + e / headSize * (stride - headSize)] = padding ? 0 : value[keyStart + (long)firstKey * headSize + e];");
        }

        writer.Line($"{Group}.Barrier();");
        return loop;
    }

    /// <summary>Where a query-block kernel's head, queries and keys start.</summary>
    private static void WriteQueryBlockGeometry(SourceWriter writer)
    {
        writer.Line("int head = global::ILGPU.Grid.IdxX / tiles.QueryBlocks;");
        writer.Line("int firstQuery = global::ILGPU.Grid.IdxX % tiles.QueryBlocks * block;");
        writer.Line("int queries = tiles.Queries - firstQuery < block ? tiles.Queries - firstQuery : block;");
        writer.Line("long queryStart = ((long)head * tiles.Queries + firstQuery) * headSize, keyStart = (long)head * tiles.Keys * headSize;");
        writer.Line("long paddingStart = (long)(head / tiles.Heads) * tiles.Keys;");
    }

    private static void WriteAttentionForwardKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per (head, block of queries), streaming tiles of keys and values: σ(scale·q·kᵀ), a running maximum m and");
        writer.Line("/// sum l of exp(σ − m) per query — the online SoftMax over σ, not over the scores (σ need not be monotone) — and");
        writer.Line("/// O += P·V with earlier tiles rescaled by exp(m_old − m_new). Stores L = m + log l for the backward.");
        writer.Line("/// </summary>");
        using (writer.Block($"private static void AttentionForward{Suffix(math.Type)}Kernel({view} query, {view} key, {view} value, {view} output, {view} logSumExp, {MaskView} keyPaddingMask, {parameters}{AttentionTiles} tiles)"))
        {
            WriteAttentionPreamble(writer, t);
            WriteQueryBlockGeometry(writer);
            WriteParameterLocals(writer, printer, math.SigmaSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            writer.Line();
            writer.Line("// Shared: the block's queries and output rows, a key and a value tile, σ then P of the tile; per query m, l and the rescaling.");
            writer.Line($"var shared = global::ILGPU.SharedMemory.GetDynamic<{t}>();");
            writer.Line("var queryTile = shared.SubView(0, block * stride);");
            writer.Line("var keyTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var valueTile = shared.SubView(2 * block * stride, block * stride);");
            writer.Line("var outputTile = shared.SubView(3 * block * stride, block * stride);");
            writer.Line("var weights = shared.SubView(4 * block * stride, block * block);");
            writer.Line($"var rowMax = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            writer.Line($"var rowSum = global::ILGPU.SharedMemory.Allocate<double>({Tiles}.MaxBlock);");
            writer.Line($"var rowRescale = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            using (writer.Block("for (int e = lane; e < queries * headSize; e += lanes)"))
            {
                writer.Line("queryTile[e + e / headSize * (stride - headSize)] = query[queryStart + e];");
                writer.Line("outputTile[e] = 0;");
            }

            using (writer.Block("for (int i = lane; i < queries; i += lanes)"))
            {
                writer.Line($"rowMax[i] = {t}.NegativeInfinity;");
                writer.Line("rowSum[i] = 0;");
            }

            writer.Line();
            using (OpenKeyTileLoop(writer))
            {
                WriteTileProducts(writer, t, "queryTile", "keyTile", "weights", "headSize");
                writer.Line("// σ(scale·q·kᵀ) of every visible (query, key) pair; masked pairs are −∞ and never reach σ, and so is a");
                writer.Line("// score that comes out −∞ itself (q·k overflowing), as the materialized formula masks it.");
                using (writer.Block("for (int e = lane; e < queries * block; e += lanes)"))
                {
                    writer.Line("int i = e / block, j = e - i * block, qi = firstQuery + i, kj = firstKey + j;");
                    writer.Line($"{t} sv = scoreScale * weights[e];");
                    writer.Line($"weights[e] = j < keys && sv != {t}.NegativeInfinity && {Visible} ? {Sigma(printer, new Local("sv"))} : {t}.NegativeInfinity;");
                }

                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// One lane per query: the tile's max σ, the new running max, P = exp(σ − m_new) in place, and l rescaled.");
                writer.Line("// A NaN σ (or a NaN parameter with a visible key) makes the query NaN for good: the max is kept NaN explicitly,");
                writer.Line("// since XMath.Max drops a NaN on CUDA.");
                using (writer.Block("for (int i = lane; i < queries; i += lanes)"))
                {
                    writer.Line($"{t} tileMax = {t}.NegativeInfinity;");
                    writer.Line($"bool nan = {t}.IsNaN(rowMax[i]);");
                    using (writer.Block("for (int j = 0; j < keys; j++)"))
                    {
                        writer.Line($"{t} entry = weights[i * block + j];");
                        writer.Line($"nan |= {t}.IsNaN(entry);");
                        writer.Line($"tileMax = {XMath}.Max(tileMax, entry);");
                    }

                    if (poisoned is not null)
                    {
                        writer.Line($"nan |= {poisoned} && tileMax != {t}.NegativeInfinity;");
                    }

                    writer.Line($"{t} newMax = nan ? {t}.NaN : {XMath}.Max(rowMax[i], tileMax);");
                    using (writer.Block($"if (newMax == {t}.NegativeInfinity)"))
                    {
                        writer.Line("for (int j = 0; j < keys; j++) weights[i * block + j] = 0; // nothing visible yet: no weight");
                        writer.Line("rowRescale[i] = 1;");
                        writer.Line("continue;");
                    }

                    writer.Line($"{t} rescale = {XMath}.Exp(rowMax[i] - newMax);");
                    writer.Line("double tileSum = 0;");
                    using (writer.Block("for (int j = 0; j < keys; j++)"))
                    {
                        writer.Line($"{t} weight = {XMath}.Exp(weights[i * block + j] - newMax);");
                        writer.Line("weights[i * block + j] = weight;");
                        writer.Line("tileSum += weight;");
                    }

                    writer.Line("rowSum[i] = rowSum[i] * rescale + tileSum;");
                    writer.Line("rowMax[i] = newMax;");
                    writer.Line("rowRescale[i] = rescale;");
                }

                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// O = O·exp(m_old − m_new) + P·V.");
                WriteTileAccumulate(writer, t, "outputTile", "weights", transposed: false, "valueTile", "queries", "keys", "headSize", rescale: row => $"rowRescale[{row}]");
            }

            writer.Line($"{Group}.Barrier();");
            writer.Line();
            writer.Line("// O / l and L = m + log l; a query with no visible key gets O = 0 and L = −∞.");
            using (writer.Block("for (int e = lane; e < queries * headSize; e += lanes)"))
            {
                writer.Line("int i = e / headSize;");
                writer.Line($"output[queryStart + e] = rowMax[i] == {t}.NegativeInfinity ? 0 : outputTile[e] * ({t})(1 / rowSum[i]);");
            }

            using (writer.Block("for (int i = lane; i < queries; i += lanes)"))
            {
                writer.Line($"logSumExp[(long)head * tiles.Queries + firstQuery + i] = rowMax[i] == {t}.NegativeInfinity ? {t}.NegativeInfinity : rowMax[i] + ({t}){XMath}.Log(rowSum[i]);");
            }
        }
    }

    /// <summary>
    /// For the entry <c>e</c> of a (query, key) tile whose products q·k and dO·v are in <paramref name="scores"/> and
    /// <paramref name="outputDots"/>: the score <c>sv</c>, P and gσ = P·(dO·v − D), the part of the backward both passes
    /// recompute. Leaves <c>weight</c> and <c>gs</c> declared; <c>visible</c> says whether they are live. Reads the
    /// loop's <c>e</c> and the kernel's tile locals (<c>firstQuery</c>, <c>firstKey</c>, <c>keys</c>, <c>rowLogSumExp</c>,
    /// <c>rowDelta</c>, <c>scoreScale</c>, and what <see cref="Visible"/> reads).
    /// </summary>
    private static void WriteWeightGradient(SourceWriter writer, ModulatorPrinter printer, string t, string scores, string outputDots)
    {
        writer.Line("int i = e / block, j = e - i * block, qi = firstQuery + i, kj = firstKey + j;");
        writer.Line($"{t} weight = 0, gs = 0, sv = scoreScale * {scores}[e];");
        writer.Line($"bool visible = j < keys && sv != {t}.NegativeInfinity && rowLogSumExp[i] != {t}.NegativeInfinity && {Visible};");
        using (writer.Block("if (visible)"))
        {
            writer.Line($"weight = {XMath}.Exp({Sigma(printer, new Local("sv"))} - rowLogSumExp[i]);");
            writer.Line($"gs = weight * ({outputDots}[e] - rowDelta[i]);");
        }
    }

    /// <summary>Loads a block of queries, their output gradients, L and D into shared memory.</summary>
    private static void WriteQueryTileLoad(SourceWriter writer)
    {
        using (writer.Block("for (int e = lane; e < queries * headSize; e += lanes)"))
        {
            writer.Line("queryTile[e + e / headSize * (stride - headSize)] = query[queryStart + e];");
            writer.Line("outputGradientTile[e + e / headSize * (stride - headSize)] = outputGradient[queryStart + e];");
        }

        using (writer.Block("for (int i = lane; i < queries; i += lanes)"))
        {
            writer.Line("rowLogSumExp[i] = logSumExp[(long)head * tiles.Queries + firstQuery + i];");
            writer.Line("rowDelta[i] = delta[(long)head * tiles.Queries + firstQuery + i];");
        }
    }

    private static void WriteAttentionKeysKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, global::ILGPU.ArrayView<double> partials, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per (head, block of keys), over every block of queries that sees it: P = exp(σ − L) and gσ = P·(dO·v − D)");
        writer.Line("/// recomputed per tile, ds = σ′(s)·gσ, dV += Pᵀ·dO and dK += scale·dsᵀ·Q in shared memory" + (spec.HasParameters ? ", and this group's" : "."));
        if (spec.HasParameters)
        {
            writer.Line("/// share of Σ gσ·∂σ/∂θ, summed per lane in double and over the group in a fixed order, in its own slot of partials.");
        }

        writer.Line("/// </summary>");
        using (writer.Block($"private static void AttentionKeys{Suffix(math.Type)}Kernel({view} query, {view} key, {view} value, {view} outputGradient, {view} logSumExp, {view} delta, {view} keyGradient, {view} valueGradient, {MaskView} keyPaddingMask, {parameters}{AttentionTiles} tiles)"))
        {
            WriteAttentionPreamble(writer, t);
            writer.Line("int head = global::ILGPU.Grid.IdxX / tiles.KeyBlocks;");
            writer.Line("int firstKey = global::ILGPU.Grid.IdxX % tiles.KeyBlocks * block;");
            writer.Line("// The one group of a call with no head has no key: it writes its parameter slot alone.");
            writer.Line("int keys = head >= tiles.HeadCount ? 0 : tiles.Keys - firstKey < block ? tiles.Keys - firstKey : block;");
            writer.Line("long keyStart = (long)head * tiles.Keys * headSize, paddingStart = tiles.Heads == 0 ? 0 : (long)(head / tiles.Heads) * tiles.Keys;");
            WriteParameterLocals(writer, printer, math.DerivativeSymbols);
            Local? poisoned = WritePoisonFlag(writer, printer);
            foreach (ParameterGradient gradient in math.Gradients)
            {
                writer.Line($"double {Accumulator(gradient)} = 0;");
            }

            writer.Line();
            writer.Line("// Shared: the key and value tiles and their gradients, a block of queries and of output gradients, P and ds.");
            writer.Line($"var shared = global::ILGPU.SharedMemory.GetDynamic<{t}>();");
            writer.Line("var keyTile = shared.SubView(0, block * stride);");
            writer.Line("var valueTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var keyGradientTile = shared.SubView(2 * block * stride, block * stride);");
            writer.Line("var valueGradientTile = shared.SubView(3 * block * stride, block * stride);");
            writer.Line("var queryTile = shared.SubView(4 * block * stride, block * stride);");
            writer.Line("var outputGradientTile = shared.SubView(5 * block * stride, block * stride);");
            writer.Line("var weights = shared.SubView(6 * block * stride, block * block);");
            writer.Line("var scoreGradients = shared.SubView(6 * block * stride + block * block, block * block);");
            writer.Line($"var rowLogSumExp = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            writer.Line($"var rowDelta = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            using (writer.Block("for (int e = lane; e < keys * headSize; e += lanes)"))
            {
                writer.Line("keyTile[e + e / headSize * (stride - headSize)] = key[keyStart + (long)firstKey * headSize + e];");
                writer.Line("valueTile[e + e / headSize * (stride - headSize)] = value[keyStart + (long)firstKey * headSize + e];");
                writer.Line("keyGradientTile[e] = 0;");
                writer.Line("valueGradientTile[e] = 0;");
            }

            writer.Line();
            writer.Line("// A group whose keys are all padding has nothing to add: its gradients stay 0.");
            writer.Line("bool anyKey = keys > 0 && tiles.Padded == 0;");
            writer.Line("for (int j = lane; j < keys && !anyKey; j += lanes) anyKey = keyPaddingMask[paddingStart + firstKey + j] == 0;");
            writer.Line($"anyKey = {Group}.BarrierOr(anyKey);");
            writer.Line("// With a causal mask the first query that sees key j is query j.");
            using (writer.Block("for (int firstQuery = tiles.Causal != 0 ? firstKey : 0; anyKey && firstQuery < tiles.Queries; firstQuery += block)"))
            {
                writer.Line("int queries = tiles.Queries - firstQuery < block ? tiles.Queries - firstQuery : block;");
                writer.Line("long queryStart = ((long)head * tiles.Queries + firstQuery) * headSize;");
                writer.Line($"{Group}.Barrier(); // every lane is done with the previous block of queries");
                WriteQueryTileLoad(writer);
                writer.Line($"{Group}.Barrier();");
                writer.Line();
                WriteTileProducts(writer, t, "queryTile", "keyTile", "weights", "headSize");
                WriteTileProducts(writer, t, "outputGradientTile", "valueTile", "scoreGradients", "headSize");
                writer.Line("// P and ds = σ′(s)·gσ of every (query, key) pair of the tile, in place of the products; masked pairs and");
                writer.Line("// queries with no visible key get 0.");
                using (writer.Block("for (int e = lane; e < queries * block; e += lanes)"))
                {
                    WriteWeightGradient(writer, printer, t, "weights", "scoreGradients");
                    writer.Line($"{t} scoreGradient = 0;");
                    using (writer.Block("if (visible)"))
                    {
                        Local ds = printer.WriteInputGradient(writer, new Local("sv"), new Local("gs"), new Local("gs"), Accumulator, "dsi");
                        writer.Line($"scoreGradient = {ds};");
                    }

                    writer.Line("weights[e] = weight;");
                    writer.Line("scoreGradients[e] = scoreGradient;");
                }

                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// dV += Pᵀ·dO and dK += scale·dsᵀ·Q.");
                WriteTileAccumulate(writer, t, "valueGradientTile", "weights", transposed: true, "outputGradientTile", "keys", "queries", "headSize");
                WriteTileAccumulate(writer, t, "keyGradientTile", "scoreGradients", transposed: true, "queryTile", "keys", "queries", "headSize", factor: "scoreScale");
            }

            writer.Line($"{Group}.Barrier();");
            using (writer.Block("for (int e = lane; e < keys * headSize; e += lanes)"))
            {
                writer.Line("keyGradient[keyStart + (long)firstKey * headSize + e] = keyGradientTile[e];");
                writer.Line("valueGradient[keyStart + (long)firstKey * headSize + e] = valueGradientTile[e];");
            }

            if (!spec.HasParameters)
            {
                return;
            }

            writer.Line();
            writer.Line("// Sum each gradient over the group; lane 0 writes this group's slot (an Above threshold's negated). A NaN");
            writer.Line("// parameter σ reads makes every gradient NaN, as autograd of the formula does, even with nothing visible.");
            WriteParameterSlot(writer, spec, math, poisoned, "lane == 0", "(long)global::ILGPU.Grid.IdxX", "double.NaN", poisonEvery: true);
        }
    }

    private static void WriteAttentionQueriesKernel(SourceWriter writer, NormalizerSpec spec, ModulatorPrinter printer)
    {
        ModulatorMath math = printer.Math;
        string t = math.Type.Keyword(), view = View(math.Type);
        string parameters = spec.HasParameters ? $"{view} parameters, " : "";
        writer.Line("/// <summary>");
        writer.Line("/// One group per (head, block of queries), over every tile of keys it sees: ds = σ′(s)·gσ recomputed per tile and");
        writer.Line("/// dQ += scale·ds·K in shared memory. Written by one group per row, so no atomics: the same bits on every run.");
        writer.Line("/// </summary>");
        using (writer.Block($"private static void AttentionQueries{Suffix(math.Type)}Kernel({view} query, {view} key, {view} value, {view} outputGradient, {view} logSumExp, {view} delta, {view} queryGradient, {MaskView} keyPaddingMask, {parameters}{AttentionTiles} tiles)"))
        {
            WriteAttentionPreamble(writer, t);
            WriteQueryBlockGeometry(writer);
            WriteParameterLocals(writer, printer, math.DerivativeSymbols);
            writer.Line();
            writer.Line("// Shared: the block's queries, output gradients and query gradients, a key and a value tile; q·k then ds, and dO·v.");
            writer.Line($"var shared = global::ILGPU.SharedMemory.GetDynamic<{t}>();");
            writer.Line("var queryTile = shared.SubView(0, block * stride);");
            writer.Line("var outputGradientTile = shared.SubView(block * stride, block * stride);");
            writer.Line("var queryGradientTile = shared.SubView(2 * block * stride, block * stride);");
            writer.Line("var keyTile = shared.SubView(3 * block * stride, block * stride);");
            writer.Line("var valueTile = shared.SubView(4 * block * stride, block * stride);");
            writer.Line("var scoreGradients = shared.SubView(5 * block * stride, block * block);");
            writer.Line("var outputDots = shared.SubView(5 * block * stride + block * block, block * block);");
            writer.Line($"var rowLogSumExp = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            writer.Line($"var rowDelta = global::ILGPU.SharedMemory.Allocate<{t}>({Tiles}.MaxBlock);");
            WriteQueryTileLoad(writer);
            writer.Line("for (int e = lane; e < queries * headSize; e += lanes) queryGradientTile[e] = 0;");
            writer.Line();
            using (OpenKeyTileLoop(writer))
            {
                WriteTileProducts(writer, t, "queryTile", "keyTile", "scoreGradients", "headSize");
                WriteTileProducts(writer, t, "outputGradientTile", "valueTile", "outputDots", "headSize");
                writer.Line("// ds of every (query, key) pair of the tile, in place of q·k; masked pairs and queries with no visible key get 0.");
                using (writer.Block("for (int e = lane; e < queries * block; e += lanes)"))
                {
                    WriteWeightGradient(writer, printer, t, "scoreGradients", "outputDots");
                    writer.Line($"scoreGradients[e] = visible ? {ScoreGradient(printer, "sv", "gs")} : 0;");
                }

                writer.Line($"{Group}.Barrier();");
                writer.Line();
                writer.Line("// dQ += scale·ds·K.");
                WriteTileAccumulate(writer, t, "queryGradientTile", "scoreGradients", transposed: false, "keyTile", "queries", "keys", "headSize", factor: "scoreScale");
            }

            writer.Line($"{Group}.Barrier();");
            writer.Line("for (int e = lane; e < queries * headSize; e += lanes) queryGradient[queryStart + e] = queryGradientTile[e];");
        }
    }
}
