using System;
using System.Globalization;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using MultiMax.CompilerServices;
using MultiMax.Gpu.CompilerServices;

namespace MultiMax.Gpu;

/// <summary>
/// An ILGPU context and accelerator to run generated <c>&lt;Name&gt;Gpu</c> kernels on: a CUDA device when there is
/// one (ILGPU's preferred device), else ILGPU's CPU accelerator (an emulator: correct, slow). Dispose it to release both.
/// </summary>
/// <example>
/// Host arrays in, host array out:
/// <code>
/// using var device = GpuDevice.Create();
/// float[] probabilities = device.Normalize(GpuNormalizers.MultiMax2Gpu.Forward, scores, rowLength, parameters);
/// </code>
/// Fused attention and the fused output loss, likewise:
/// <code>
/// float[] output = device.Attention(GpuNormalizers.MultiMax2Gpu.Attention, query, key, value, shape, parameters, causal: true);
/// double loss = device.CrossEntropy(GpuNormalizers.MultiMax2Gpu.CrossEntropy, hidden, weight, bias, targets, lossShape, parameters);
/// </code>
/// Data that stays on the device:
/// <code>
/// using var x = device.Accelerator.Allocate1D(scores);
/// GpuNormalizers.SoftMaxGpu.Forward(device.Stream, x.View, x.View, rowLength);
/// </code>
/// </example>
public sealed class GpuDevice : IDisposable
{
    private GpuDevice(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    /// <summary>The ILGPU context, with the algorithms library enabled (the kernels use its XMath exp, log and max).</summary>
    public Context Context { get; }

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The accelerator's default stream.</summary>
    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary>Whether this is a real GPU rather than the CPU emulator.</summary>
    public bool IsGpu => Accelerator.AcceleratorType != AcceleratorType.CPU;

    /// <summary>
    /// What the device is, for logs: the GPU's name, kind and memory (e.g. "NVIDIA H100 80GB HBM3 (Cuda, 79.1 GiB)"),
    /// or that it is ILGPU's CPU accelerator, which emulates a GPU.
    /// </summary>
    public override string ToString() =>
        IsGpu
            ? string.Create(CultureInfo.InvariantCulture, $"{Accelerator.Name} ({Accelerator.AcceleratorType}, {Accelerator.MemorySize / (1024.0 * 1024 * 1024):0.0} GiB)")
            : $"ILGPU CPU accelerator (a GPU emulated on the CPU: warps of {Accelerator.WarpSize}, up to {Accelerator.MaxNumThreadsPerGroup} threads per group)";

    /// <summary>
    /// A CUDA device (ILGPU's preferred one), or the CPU accelerator where there is none (or when <paramref name="preferCpu"/>).
    /// OpenCL is left out: the drivers on common Linux distributions lack the generic address space ILGPU needs.
    /// </summary>
    public static GpuDevice Create(bool preferCpu = false)
    {
        Context context = Context.Create(builder => builder.Cuda().CPU().EnableAlgorithms());
        try
        {
            Device device = context.GetPreferredDevice(preferCPU: preferCpu);
            return new GpuDevice(context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Whether ILGPU finds a CUDA device on this machine (what <see cref="Create"/> would pick).</summary>
    public static bool IsCudaAvailable()
    {
        using Context context = Context.Create(builder => builder.Cuda());
        return context.GetCudaDevices().Count > 0;
    }

    /// <summary>ILGPU's CPU accelerator with small groups: what the tests run the kernels on.</summary>
    public static GpuDevice CreateCpu()
    {
        Context context = Context.Create(builder => builder.CPU(CPUDeviceKind.Default).EnableAlgorithms());
        return new GpuDevice(context, context.CreateCPUAccelerator(0));
    }

    /// <summary>
    /// Copies <paramref name="x"/> to the device, runs <paramref name="forward"/> (a generated <c>&lt;Name&gt;Gpu.Forward</c>)
    /// on every row, and returns the result. For data that stays on the device, call the generated method on views.
    /// </summary>
    /// <exception cref="ArgumentException">A length is inconsistent (checked before anything is copied).</exception>
    public T[] Normalize<T>(GpuForward<T> forward, T[] x, int rowLength)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(x);
        if (GpuNormalizerRunner.CheckRows(x.Length, rowLength) == 0)
        {
            return []; // ILGPU cannot dispose an empty buffer cleanly: allocate none
        }

        using MemoryBuffer1D<T, Stride1D.Dense> data = Accelerator.Allocate1D(x);
        forward(Stream, data.View, data.View, rowLength);
        return data.GetAsArray1D(Stream);
    }

    /// <inheritdoc cref="Normalize{T}(GpuForward{T}, T[], int)"/>
    public T[] Normalize<T>(GpuForwardWithParameters<T> forward, T[] x, int rowLength, T[] parameters)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (GpuNormalizerRunner.CheckRows(x.Length, rowLength) == 0)
        {
            return [];
        }

        using MemoryBuffer1D<T, Stride1D.Dense> data = Accelerator.Allocate1D(x);
        using MemoryBuffer1D<T, Stride1D.Dense> learnable = Accelerator.Allocate1D(parameters);
        forward(Stream, data.View, data.View, rowLength, learnable.View);
        return data.GetAsArray1D(Stream);
    }

    /// <summary>
    /// Copies the inputs to the device, runs <paramref name="attention"/> (a generated <c>&lt;Name&gt;Gpu.Attention</c>)
    /// and returns the output, [batch, heads, queries, headSize]. For data that stays on the device, call the generated
    /// method on views.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape (checked before anything is launched).</exception>
    public T[] Attention<T>(
        GpuAttentionWithParameters<T> attention, T[] query, T[] key, T[] value, AttentionShape shape, T[] parameters,
        bool[]? keyPaddingMask = null, bool causal = false, T? scale = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(attention);
        ArgumentNullException.ThrowIfNull(parameters);
        using DeviceArray<T> learnable = new(Accelerator, parameters);
        return Attention(
            (stream, q, k, v, o, l, s, m, c, sc) => attention(stream, q, k, v, o, l, s, learnable.View, m, c, sc),
            query, key, value, shape, keyPaddingMask, causal, scale);
    }

    /// <inheritdoc cref="Attention{T}(GpuAttentionWithParameters{T}, T[], T[], T[], AttentionShape, T[], bool[], bool, T?)"/>
    public T[] Attention<T>(
        GpuAttention<T> attention, T[] query, T[] key, T[] value, AttentionShape shape,
        bool[]? keyPaddingMask = null, bool causal = false, T? scale = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(attention);
        CheckAttentionInputs(query, key, value, shape, keyPaddingMask?.Length ?? 0, nameof(keyPaddingMask));
        using DeviceArray<T> q = new(Accelerator, query), k = new(Accelerator, key), v = new(Accelerator, value);
        using DeviceArray<T> output = new(Accelerator, shape.QueryLength), logSumExp = new(Accelerator, shape.LogSumExpLength);
        using DeviceArray<byte> mask = new(Accelerator, PaddingBytes(keyPaddingMask));
        attention(Stream, q.View, k.View, v.View, output.View, logSumExp.View, shape, mask.View, causal, scale);
        return output.ToArray(Stream);
    }

    /// <summary>
    /// Copies the inputs and <paramref name="options"/>' host spans (padding, bias, sinks) to the device, runs
    /// <paramref name="attention"/> (a generated <c>&lt;Name&gt;Gpu.Attention</c> overload that takes
    /// <see cref="GpuAttentionOptions{T}"/>) and returns the output, [batch, heads, queries, headSize]: grouped-query
    /// heads (the shape's <see cref="AttentionShape.KeyValueHeads"/>), a causal mask or window at either alignment, a
    /// bias and sinks, as the span operators take them.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, or an option does not fit it (checked before anything is launched).</exception>
    public T[] Attention<T>(
        GpuAttentionWithParametersAndOptions<T> attention, T[] query, T[] key, T[] value, AttentionShape shape, T[] parameters, AttentionOptions<T> options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(attention);
        ArgumentNullException.ThrowIfNull(parameters);
        using DeviceArray<T> learnable = new(Accelerator, parameters);
        return Attention((stream, q, k, v, o, l, s, o2) => attention(stream, q, k, v, o, l, s, learnable.View, o2), query, key, value, shape, options);
    }

    /// <inheritdoc cref="Attention{T}(GpuAttentionWithParametersAndOptions{T}, T[], T[], T[], AttentionShape, T[], AttentionOptions{T})"/>
    public T[] Attention<T>(GpuAttentionWithOptions<T> attention, T[] query, T[] key, T[] value, AttentionShape shape, AttentionOptions<T> options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(attention);
        CheckAttentionInputs(query, key, value, shape, options.KeyPaddingMask.Length, "options.KeyPaddingMask"); // the other options: the kernels' own checks
        using DeviceArray<T> q = new(Accelerator, query), k = new(Accelerator, key), v = new(Accelerator, value);
        using DeviceArray<T> output = new(Accelerator, shape.QueryLength), logSumExp = new(Accelerator, shape.LogSumExpLength);
        using DeviceArray<byte> mask = new(Accelerator, PaddingBytes(options.KeyPaddingMask));
        using DeviceArray<T> bias = new(Accelerator, options.Bias.ToArray()), sinks = new(Accelerator, options.Sinks.ToArray());
        attention(Stream, q.View, k.View, v.View, output.View, logSumExp.View, shape, new GpuAttentionOptions<T>
        {
            KeyPaddingMask = mask.View, Causal = options.Causal, Alignment = options.Alignment, Window = options.Window,
            Bias = bias.View, BiasShape = options.BiasShape, Sinks = sinks.View, Scale = options.Scale,
        });
        return output.ToArray(Stream);
    }

    /// <summary>
    /// Copies the inputs to the device and returns the mean loss of <paramref name="loss"/> (a generated
    /// <c>&lt;Name&gt;Gpu.CrossEntropy</c>) over the tokens whose target is not <paramref name="ignoreIndex"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not fit the shape, or a target is neither a class nor the ignore index.</exception>
    public double CrossEntropy<T>(
        GpuCrossEntropyWithParameters<T> loss, T[] hidden, T[] weight, T[]? bias, long[] targets, CrossEntropyShape shape, T[] parameters,
        long ignoreIndex = -100)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(parameters);
        using DeviceArray<T> learnable = new(Accelerator, parameters);
        return CrossEntropy((stream, h, w, b, t, s, i) => loss(stream, h, w, b, t, s, learnable.View, i), hidden, weight, bias, targets, shape, ignoreIndex);
    }

    /// <inheritdoc cref="CrossEntropy{T}(GpuCrossEntropyWithParameters{T}, T[], T[], T[], long[], CrossEntropyShape, T[], long)"/>
    public double CrossEntropy<T>(
        GpuCrossEntropy<T> loss, T[] hidden, T[] weight, T[]? bias, long[] targets, CrossEntropyShape shape, long ignoreIndex = -100)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(targets);
        using DeviceArray<T> h = new(Accelerator, hidden), w = new(Accelerator, weight), b = new(Accelerator, bias ?? []);
        using DeviceArray<long> t = new(Accelerator, targets);
        return loss(Stream, h.View, w.View, b.View, t.View, shape, ignoreIndex);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }

    /// <summary>A key padding mask as the kernels take it: a nonzero byte where a key is padding (ILGPU views hold no <c>bool</c>).</summary>
    private static byte[] PaddingBytes(ReadOnlySpan<bool> padding)
    {
        var bytes = new byte[padding.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = padding[i] ? (byte)1 : (byte)0;
        }

        return bytes;
    }

    /// <summary>The shape and the host arrays, checked before anything is allocated for a call the kernels would refuse.</summary>
    private static void CheckAttentionInputs<T>(T[] query, T[] key, T[] value, AttentionShape shape, int maskLength, string maskName)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        AttentionRunner.CheckShape(shape, nameof(shape));
        NormalizerArguments.CheckLength(query.Length, shape.QueryLength, nameof(query), "batch × heads × queries × headSize");
        NormalizerArguments.CheckLength(key.Length, shape.KeyLength, nameof(key), "batch × kvHeads × keys × headSize");
        NormalizerArguments.CheckLength(value.Length, shape.KeyLength, nameof(value), "batch × kvHeads × keys × headSize");
        AttentionRunner.CheckMask(maskLength, shape, maskName);
    }

    /// <summary>
    /// A host array copied to the device, with a view of exactly its length: the buffer holds at least one element, since
    /// ILGPU does not release an empty buffer cleanly, and an empty array gives an empty view.
    /// </summary>
    private readonly struct DeviceArray<T> : IDisposable
        where T : unmanaged
    {
        private readonly MemoryBuffer1D<T, Stride1D.Dense> buffer;

        public DeviceArray(Accelerator accelerator, T[] data)
            : this(accelerator, data.Length)
        {
            if (data.Length > 0)
            {
                View.CopyFromCPU(data);
            }
        }

        public DeviceArray(Accelerator accelerator, long length)
        {
            buffer = accelerator.Allocate1D<T>(Math.Max(1, length));
            View = buffer.View.SubView(0, length);
        }

        public ArrayView<T> View { get; }

        public T[] ToArray(AcceleratorStream stream)
        {
            var data = new T[View.Length];
            if (data.Length > 0)
            {
                View.CopyToCPU(stream, data);
            }

            stream.Synchronize();
            return data;
        }

        public void Dispose() => buffer.Dispose();
    }
}
