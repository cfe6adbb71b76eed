using MultiMax.Generator.Model;

namespace MultiMax.Generator.Emit;

/// <summary>
/// The SIMD register type a CPU row kernel is printed for. Each kernel is printed twice from the same model:
/// <see cref="Native"/> (<c>Vector&lt;T&gt;</c>, the width the runtime picks for portable code: 256 bits on x86-64, 128
/// on Arm64) and <see cref="Wide"/> (<c>Vector512&lt;T&gt;</c>), which the kernel runs where the hardware accelerates
/// it: <c>Vector&lt;T&gt;</c> stays at 256 bits on AVX-512 machines unless the process opts in.
/// </summary>
internal sealed class LaneWidth
{
    public static readonly LaneWidth Native = new("Vector", "Native", "Vector<{0}>", rowsFillAVector: false);

    public static readonly LaneWidth Wide = new("Vector512", "Wide", "Vector512<{0}>", rowsFillAVector: true);

    private readonly string typePattern;

    private LaneWidth(string api, string name, string typePattern, bool rowsFillAVector)
    {
        Api = api;
        Name = name;
        this.typePattern = typePattern;
        RowsFillAVector = rowsFillAVector;
    }

    /// <summary>The static class of the vector operations: <c>Vector</c> or <c>Vector512</c>.</summary>
    public string Api { get; }

    /// <summary>The suffix of the kernel methods printed at this width: <c>ForwardNative</c>, <c>ForwardWide</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether every row a kernel at this width runs holds at least one whole vector: the wide kernels run only those
    /// (shorter rows go to <see cref="Native"/>), so they have no scalar loops, and no calls whose clobbered registers
    /// would make the JIT spill the broadcast parameters around every row.
    /// </summary>
    public bool RowsFillAVector { get; }

    /// <summary>The register type of <paramref name="t"/>'s lanes.</summary>
    public string Type(string t) => string.Format(typePattern, t);

    /// <summary>The lane count, a JIT-time constant.</summary>
    public string Count(string t) => $"{Type(t)}.Count";

    public string Zero(string t) => $"{Type(t)}.Zero";

    public string One(string t) => $"{Type(t)}.One";

    /// <summary><paramref name="value"/> in every lane.</summary>
    public string Broadcast(string t, string value) => this == Native ? $"new {Type(t)}({value})" : $"{Api}.Create({value})";

    /// <summary>
    /// A mask of the lanes whose index is at least <paramref name="firstLane"/>, usable in
    /// <c>ConditionalSelect</c> on <paramref name="type"/>'s lanes (Vector's selects take an integer mask; Vector512's
    /// take one of the same element type).
    /// </summary>
    public string LanesFrom(ElementType type, string firstLane)
    {
        string index = type.LaneIndexKeyword();
        string from = this == Native ? Broadcast(index, firstLane) : $"{Api}.Create<{index}>({firstLane})";
        string mask = $"{Api}.GreaterThanOrEqual({Type(index)}.Indices, {from})";
        return this == Native ? mask : $"{mask}.As<{index}, {type.Keyword()}>()";
    }
}
