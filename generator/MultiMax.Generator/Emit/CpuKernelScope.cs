using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Generator.Model;
using MultiMax.Generator.Modulator;
using MultiMax.Generator.Modulator.Dialects;

namespace MultiMax.Generator.Emit;

/// <summary>
/// The locals of one CPU kernel method and the loops over them. The method declares each local once, through this
/// scope, and every helper reads the handle it gets here: none spells a name it hopes another helper has declared.
/// </summary>
internal sealed class CpuKernelScope
{
    /// <summary>
    /// The entries whose lane sums are added up in the element type before they join a sum in double: a long row's
    /// sums then lose no more than one chunk's rounding (summed in float alone, a long row drifts visibly from 1).
    /// The benchmarked rows (197 and 4 096 entries) are one or four chunks.
    /// </summary>
    public const int ChunkLength = 1024;

    private Local? negativeInfinity;
    private Local? poisoned;

    public CpuKernelScope(SourceWriter writer, ModulatorMath math, LaneWidth width)
    {
        Writer = writer;
        Math = math;
        Width = width;
        Type = math.Type;
        T = Type.Keyword();
    }

    public SourceWriter Writer { get; }

    public ModulatorMath Math { get; }

    /// <summary>The SIMD register type this kernel is printed for.</summary>
    public LaneWidth Width { get; }

    /// <summary>The register type of the element type's lanes: <c>Vector&lt;float&gt;</c>, <c>Vector512&lt;float&gt;</c>….</summary>
    public string VectorType => Width.Type(T);

    /// <summary>The static class of the vector operations at this width: <c>Vector</c> or <c>Vector512</c>.</summary>
    public string Api => Width.Api;

    public ElementType Type { get; }

    /// <summary>The element type's keyword.</summary>
    public string T { get; }

    public Local Parameters { get; } = new("parameters");

    public Local Zero { get; } = new("zero");

    public Local NegativeInfinity => negativeInfinity ?? throw new InvalidOperationException("DeclareNegativeInfinity was not called.");

    /// <summary>Whether a learnable parameter σ reads is NaN; null when σ reads none (<see cref="DeclarePoisonFlag"/>).</summary>
    public Local? Poisoned => poisoned;

    public Local ChunkStart { get; } = new("chunk");

    public Local ChunkEnd { get; } = new("chunkEnd");

    /// <summary>The loop index of the vector and scalar loops.</summary>
    public Local Index { get; } = new("i");

    public Local RowStart { get; } = new("rowStart");

    // The row geometry: see WriteRowGeometry.
    public Local VectorEnd { get; } = new("vectorEnd");

    public Local HasTail { get; } = new("hasTail");

    public Local TailStart { get; } = new("tailStart");

    public Local TailLanes { get; } = new("tailLanes");

    public Local ScalarStart { get; } = new("scalarStart");

    /// <summary>σ in SIMD lanes; valid once <see cref="DeclareZero"/> ran.</summary>
    public ModulatorPrinter Lanes => new(Math, new VectorDialect(Type, Width, Zero));

    /// <summary>σ in scalars, for the entries past the last whole vector.</summary>
    public ModulatorPrinter Scalars => new(Math, new ScalarDialect(Type));

    public void DeclareZero() => Writer.Line($"var {Zero} = {Width.Zero(T)};");

    public void DeclareNegativeInfinity()
    {
        negativeInfinity = new Local("negativeInfinity");
        Writer.Line($"var {negativeInfinity} = {Width.Broadcast(T, T + ".NegativeInfinity")};");
    }

    /// <summary>
    /// Reads the learnable parameters once per block of rows, computes the invariants from them, and broadcasts both to
    /// the SIMD lanes: what σ reads in the forward; what σ′ and the gradients read (and σ's parameters) in the backward.
    /// </summary>
    public void WriteParameterLocals(bool backward)
    {
        if (Math.ParameterCount > 0)
        {
            Writer.Line("// Learnable parameters: read once per block of rows, broadcast to every SIMD lane.");
        }

        ModulatorPrinter scalars = Scalars;
        foreach (Symbol symbol in backward ? Math.DerivativeSymbols : Math.SigmaSymbols)
        {
            Writer.Line($"{T} {symbol.Name} = {scalars.Definition(symbol, Parameters)};");
            Writer.Line($"var {VectorDialect.Broadcast(symbol)} = {Width.Broadcast(T, symbol.Name)};");
        }
    }

    /// <summary>
    /// Declares <c>poisoned</c> when σ reads learnable parameters (<see cref="ModulatorPrinter.AnyParameterIsNaN"/>):
    /// a NaN among them makes σ NaN at every entry it is evaluated on, which the kernels turn into NaN rows explicitly.
    /// </summary>
    public void DeclarePoisonFlag()
    {
        if (Scalars.AnyParameterIsNaN() is not { } check)
        {
            return;
        }

        poisoned = new Local("poisoned");
        Writer.Line("// A NaN parameter makes σ NaN wherever it is evaluated: every row with an unmasked entry is NaN.");
        Writer.Line($"bool {poisoned} = {check};");
    }

    /// <summary>
    /// The vector loop over whole vectors, in chunks of <see cref="ChunkLength"/> entries: each chunk declares the lane
    /// sums of <paramref name="sums"/> at zero, runs <paramref name="body"/> per vector, and adds each lane sum to its
    /// total in double (through a call with <paramref name="sumsOutOfLine"/>, where there are many sums and chunks are
    /// long). Where rows have a tail vector, the last chunk runs <paramref name="tail"/> for it (its new lanes
    /// join that chunk's lane sums) before the sums are taken: a row of one chunk takes one sum across lanes per total.
    /// </summary>
    public void WriteChunkedVectorLoop(IReadOnlyList<(Local Lanes, Local Total)> sums, Action body, Action? tail = null, bool sumsOutOfLine = false)
    {
        // chunk + ChunkLength could overflow for a row near int.MaxValue entries; chunk + min(…) cannot.
        using (Writer.Block($"for (int {ChunkStart} = 0, {ChunkEnd}; {ChunkStart} < {VectorEnd}; {ChunkStart} = {ChunkEnd})"))
        {
            Writer.Line($"{ChunkEnd} = {ChunkStart} + Math.Min({ChunkLength}, {VectorEnd} - {ChunkStart});");
            if (sums.Count > 0)
            {
                Writer.Line($"{VectorType} {string.Join(", ", sums.Select(sum => $"{sum.Lanes} = {Zero}"))};");
            }

            using (Writer.Block($"for (int {Index} = {ChunkStart}; {Index} < {ChunkEnd}; {Index} += {Width.Count(T)})"))
            {
                body();
            }

            if (tail is not null)
            {
                // A tail implies a whole vector before it, so the last chunk always runs.
                using (Writer.Block($"if ({HasTail} && {ChunkEnd} == {VectorEnd})"))
                {
                    tail();
                }
            }

            foreach ((Local lanes, Local total) in sums)
            {
                Writer.Line(sumsOutOfLine ? $"VectorMath.AddAcross({lanes}, ref {total});" : $"{total} += VectorMath.SumAcross({lanes});");
            }
        }
    }

    /// <summary>
    /// Writes how every row is cut into SIMD work, the same for all rows of a call: whole vectors, then — when the
    /// row is longer than a vector but not a whole number of them — one last vector ending exactly at the row's end.
    /// It overlaps the whole vector before it; <see cref="TailLanes"/> marks its lanes that no whole vector covered, and
    /// only those enter a sum. Rows shorter than one vector are done by the scalar loops, at a width that has them.
    /// </summary>
    public void WriteRowGeometry(Local rowLength)
    {
        string count = Width.Count(T);
        Writer.Line($"int {VectorEnd} = {rowLength} - {rowLength} % {count};");
        Writer.Line(Width.RowsFillAVector
            ? $"bool {HasTail} = {VectorEnd} < {rowLength}; // every row holds a whole vector here"
            : $"bool {HasTail} = {rowLength} > {count} && {VectorEnd} < {rowLength};");
        Writer.Line($"int {TailStart} = {rowLength} - {count};");
        Writer.Line($"var {TailLanes} = {Width.LanesFrom(Type, $"{VectorEnd} - {TailStart}")};");
        if (!Width.RowsFillAVector)
        {
            Writer.Line($"int {ScalarStart} = {HasTail} ? {rowLength} : {VectorEnd};");
        }
    }

    /// <summary>The loop over rows: one row at a time, each span addressed by a reference to its row, <see cref="Row"/>.</summary>
    public SourceWriter.Scope RowLoop(Local x, Local rowLength, params Local[] spans)
    {
        SourceWriter.Scope loop = Writer.Block($"for (int {RowStart} = 0; {RowStart} < {x}.Length; {RowStart} += {rowLength})");
        foreach (Local span in spans)
        {
            Writer.Line($"ref {T} {Row(span)} = ref Unsafe.Add(ref MemoryMarshal.GetReference({span}), {RowStart});");
        }

        Writer.Line();
        return loop;
    }

    /// <summary>The reference to the current row of <paramref name="span"/>, declared by <see cref="RowLoop"/>.</summary>
    public static Local Row(Local span) => new(span.Name + "Row");

    /// <summary>The loop over whole vectors, for passes that sum nothing.</summary>
    public SourceWriter.Scope VectorLoop() => Writer.Block($"for (int {Index} = 0; {Index} < {VectorEnd}; {Index} += {Width.Count(T)})");

    /// <summary>
    /// The loop over the entries no vector covered — every entry of a row shorter than one vector — running
    /// <paramref name="body"/> per entry; nothing at a width whose rows always fill a vector.
    /// </summary>
    public void WriteScalarLoop(Local rowLength, Action body)
    {
        if (Width.RowsFillAVector)
        {
            return;
        }

        using (Writer.Block($"for (int {Index} = {ScalarStart}; {Index} < {rowLength}; {Index}++)"))
        {
            body();
        }
    }

    /// <summary>The vector of <paramref name="span"/>'s row at the loop index, or at <paramref name="at"/>.</summary>
    public string Load(Local span, Local? at = null) => $"{Api}.LoadUnsafe(ref {Row(span)}, (nuint){at ?? Index})";

    /// <summary>The entry of <paramref name="span"/>'s row at the loop index.</summary>
    public string Element(Local span) => $"Unsafe.Add(ref {Row(span)}, {Index})";

    /// <summary>Stores a vector into <paramref name="span"/>'s row at the loop index, or at <paramref name="at"/>.</summary>
    public string Store(string vector, Local span, Local? at = null) => $"{vector}.StoreUnsafe(ref {Row(span)}, (nuint){at ?? Index});";

    /// <summary>
    /// The tail vector of a pass that writes, loaded before its loop: with an output that is also an input (in place),
    /// the loop overwrites the lanes the tail shares with the last whole vector.
    /// </summary>
    public string Preload(Local span) => $"{HasTail} ? {Load(span, TailStart)} : {Width.Zero(T)}";
}
