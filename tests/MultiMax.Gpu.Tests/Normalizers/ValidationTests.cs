using System;
using ILGPU;
using ILGPU.Runtime;
using MultiMax.Gpu.Tests.Support;
using Xunit;

namespace MultiMax.Gpu.Tests.Normalizers;

/// <summary>Inconsistent views are refused on the host with the argument's name, before any kernel runs or any output is written.</summary>
public sealed class ValidationTests : IDisposable
{
    private const float Untouched = 42f;
    private readonly GpuDevice device = TestDevice.Create();
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x, y, dy, dx, parameters, gradients;

    public ValidationTests()
    {
        Accelerator accelerator = device.Accelerator;
        x = accelerator.Allocate1D(new float[] { 1, 2, 3, 4, 5, 6 });
        y = accelerator.Allocate1D(new float[] { Untouched, Untouched, Untouched, Untouched, Untouched, Untouched });
        dy = accelerator.Allocate1D(new float[6]);
        dx = accelerator.Allocate1D(new float[] { Untouched, Untouched, Untouched, Untouched, Untouched, Untouched });
        parameters = accelerator.Allocate1D(new float[8]);
        gradients = accelerator.Allocate1D(new float[] { Untouched, Untouched, Untouched, Untouched, Untouched, Untouched, Untouched, Untouched });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ARowLengthThatIsNotPositiveIsRefused(int rowLength)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View, rowLength, parameters.View));
        Assert.Equal("rowLength", error.ParamName);
        AssertNothingWritten();
    }

    [Fact]
    public void ARowLengthThatDoesNotDivideXIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View, 4, parameters.View));
        Assert.Equal("x", error.ParamName);
        AssertNothingWritten();
    }

    /// <summary>Every output is checked against every input: in place is fine, any other shared memory is refused.</summary>
    [Fact]
    public void OutputsOverlappingInputsAreRefused()
    {
        using MemoryBuffer1D<float, Stride1D.Dense> shared = device.Accelerator.Allocate1D(new float[20]);
        ArrayView<float> view = shared.View;
        Assert.Equal("y", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, view.SubView(0, 6), view.SubView(3, 6), 3, parameters.View)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, view.SubView(0, 6), 3, view.SubView(4, 8))).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Backward(device.Stream, x.View, y.View, dy.View, view.SubView(0, 6), 3, view.SubView(2, 8), gradients.View)).ParamName);
        Assert.Equal("parameterGradients", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Backward(device.Stream, view.SubView(0, 6), y.View, dy.View, dx.View, 3, parameters.View, view.SubView(4, 8))).ParamName);
        Assert.Equal("parameterGradients", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Backward(device.Stream, x.View, y.View, dy.View, view.SubView(0, 6), 3, parameters.View, view.SubView(5, 8))).ParamName);
        AssertNothingWritten();

        // In place is fine: the same view as input and output.
        GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, view.SubView(0, 6), view.SubView(0, 6), 3, parameters.View);
        device.Stream.Synchronize();
    }

    [Fact]
    public void ForwardViewsOfTheWrongLengthAreRefused()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View.SubView(0, 3), 3, parameters.View)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() =>
            GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, x.View, y.View, 3, parameters.View.SubView(0, 4))).ParamName);
        AssertNothingWritten();
    }

    [Fact]
    public void BackwardViewsOfTheWrongLengthAreRefused()
    {
        ArrayView<float> short3 = dy.View.SubView(0, 3);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Backward(
            device.Stream, x.View, short3, dy.View, dx.View, 3, parameters.View, gradients.View)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Backward(
            device.Stream, x.View, y.View, short3, dx.View, 3, parameters.View, gradients.View)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Backward(
            device.Stream, x.View, y.View, dy.View, dx.View.SubView(0, 3), 3, parameters.View, gradients.View)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Backward(
            device.Stream, x.View, y.View, dy.View, dx.View, 3, parameters.View.SubView(0, 7), gradients.View)).ParamName);
        Assert.Equal("parameterGradients", Assert.Throws<ArgumentException>(() => GpuNormalizers.MultiMax2Gpu.Backward(
            device.Stream, x.View, y.View, dy.View, dx.View, 3, parameters.View, gradients.View.SubView(0, 4))).ParamName);
        AssertNothingWritten();
    }

    [Fact]
    public void ANullStreamIsRefused()
    {
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => GpuNormalizers.SoftMaxGpu.Forward(null!, x.View, y.View, 3)).ParamName);
    }

    [Fact]
    public void NoRowsWriteNothingButZeroTheParameterGradients()
    {
        ArrayView<float> empty = x.View.SubView(0, 0);
        GpuNormalizers.MultiMax2Gpu.Forward(device.Stream, empty, empty, 3, parameters.View);
        GpuNormalizers.MultiMax2Gpu.Backward(device.Stream, empty, empty, empty, empty, 3, parameters.View, gradients.View);
        device.Stream.Synchronize();
        Assert.All(gradients.GetAsArray1D(), g => Assert.Equal(0f, g));
    }

    public void Dispose()
    {
        foreach (MemoryBuffer buffer in new MemoryBuffer[] { x, y, dy, dx, parameters, gradients })
        {
            buffer.Dispose();
        }

        device.Dispose();
    }

    private void AssertNothingWritten()
    {
        device.Stream.Synchronize();
        Assert.All(y.GetAsArray1D(), v => Assert.Equal(Untouched, v));
        Assert.All(dx.GetAsArray1D(), v => Assert.Equal(Untouched, v));
        Assert.All(gradients.GetAsArray1D(), v => Assert.Equal(Untouched, v));
    }
}
