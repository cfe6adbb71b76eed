using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MultiMax.CompilerServices;

// The single-precision exponential the kernels inline, written once for both register widths: the same operations in
// the same order, so a lane gets the same bits at either width.
public static partial class VectorMath
{
    /// <summary>Below this, exp rounds to 0 in single precision (and a smaller n would not fit the scaling).</summary>
    private const float MinimumArgument = -104f;

    /// <summary>Above this, exp overflows to +∞ in single precision.</summary>
    private const float MaximumArgument = 89f;

    /// <summary>
    /// The exponential of an argument already clamped to [<see cref="MinimumArgument"/>, <see cref="MaximumArgument"/>]
    /// (a NaN goes through): within 2 ulp of exp. Cody–Waite reduction <c>x = n·ln 2 + r</c>, |r| ≤ ln 2 / 2, with ln 2
    /// split in two so that <c>n·ln 2</c> is subtracted exactly; then <c>exp r = 1 + r + r²·P(r)</c> with Moshier's
    /// degree-5 minimax polynomial (Cephes <c>expf</c>); then the scaling by 2ⁿ, rounded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpOfClamped<TLanes, TVector>(TVector clamped)
        where TLanes : ISingleLanes<TVector>
        where TVector : struct
    {
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer n and leaves n in the sum's low mantissa bits.
        TVector roundingShift = TLanes.Create(12_582_912f);
        TVector n = TLanes.Subtract(TLanes.MultiplyAdd(clamped, TLanes.Create(1.44269504088896341f), roundingShift), roundingShift);
        TVector r = TLanes.MultiplyAdd(n, TLanes.Create(-0.693359375f), clamped);
        r = TLanes.MultiplyAdd(n, TLanes.Create(2.12194440e-4f), r);

        TVector p = TLanes.MultiplyAdd(TLanes.Create(1.9875691500e-4f), r, TLanes.Create(1.3981999507e-3f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(8.3334519073e-3f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(4.1665795894e-2f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(1.6666665459e-1f));
        p = TLanes.MultiplyAdd(p, r, TLanes.Create(5.0000001201e-1f));
        TVector expR = TLanes.MultiplyAdd(p, TLanes.Multiply(r, r), TLanes.Add(r, TLanes.Create(1f)));
        return TLanes.ScaleByPowerOfTwo(expR, n);
    }

    /// <summary>The float lanes <see cref="ExpOfClamped"/> runs on, each member one instruction or a few.</summary>
    private interface ISingleLanes<TVector>
        where TVector : struct
    {
        static abstract TVector Create(float value);

        static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

        static abstract TVector Multiply(TVector a, TVector b);

        static abstract TVector Add(TVector a, TVector b);

        static abstract TVector Subtract(TVector a, TVector b);

        /// <summary><c>value·2ⁿ</c> for integral <paramref name="n"/> in [−150, 128], rounded once.</summary>
        static abstract TVector ScaleByPowerOfTwo(TVector value, TVector n);
    }

    /// <summary><see cref="Vector{T}"/>'s float lanes, scaling by 2ⁿ as <typeparamref name="TScaling"/> does.</summary>
    private readonly struct NativeSingleLanes<TScaling> : ISingleLanes<Vector<float>>
        where TScaling : IPowerOfTwoScaling
    {
        public static Vector<float> Create(float value) => new(value);

        public static Vector<float> MultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> c) => Vector.FusedMultiplyAdd(a, b, c);

        public static Vector<float> Multiply(Vector<float> a, Vector<float> b) => a * b;

        public static Vector<float> Add(Vector<float> a, Vector<float> b) => a + b;

        public static Vector<float> Subtract(Vector<float> a, Vector<float> b) => a - b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> ScaleByPowerOfTwo(Vector<float> value, Vector<float> n) => TScaling.Scale(value, n);
    }

    /// <summary>The one step in which <see cref="Vector{T}"/>'s exponentials differ: how <c>value·2ⁿ</c> is built.</summary>
    private interface IPowerOfTwoScaling
    {
        static abstract Vector<float> Scale(Vector<float> value, Vector<float> n);
    }

    /// <summary>Subnormal results kept (<see cref="ScaleByHalves(Vector{float}, Vector{float})"/>), as exp gives them.</summary>
    private readonly struct KeepingSubnormals : IPowerOfTwoScaling
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Scale(Vector<float> value, Vector<float> n) => ScaleByHalves(value, n);
    }

    /// <summary>Subnormal results flushed to 0 (<see cref="ScaleFlushingSubnormals"/>), for <see cref="ExpNonPositiveFlushed"/>.</summary>
    private readonly struct FlushingSubnormals : IPowerOfTwoScaling
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Scale(Vector<float> value, Vector<float> n) => ScaleFlushingSubnormals(value, n);
    }

    private readonly struct WideSingleLanes : ISingleLanes<Vector512<float>>
    {
        public static Vector512<float> Create(float value) => Vector512.Create(value);

        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

        public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

        public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

        // One instruction (VSCALEFPS) where there is one.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> value, Vector512<float> n) =>
            Avx512F.IsSupported ? Avx512F.Scale(value, n) : ScaleByHalves(value, n);
    }
}
