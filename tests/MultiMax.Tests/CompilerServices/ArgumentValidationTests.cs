using System;
using System.Linq;
using MultiMax.Tests.Declarations;
using Xunit;

namespace MultiMax.Tests.CompilerServices;

/// <summary>Bad input is an ArgumentException naming the caller's argument, thrown before anything is written.</summary>
public class ArgumentValidationTests
{
    private const float Untouched = 12345f;

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void RowLengthMustBePositive(int rowLength) =>
        AssertRejected<ArgumentOutOfRangeException>("rowLength", y => MultiMax.Normalizers.MultiMax2(new float[8], y, rowLength, new float[8]));

    [Fact]
    public void InputMustHoldWholeRows() =>
        AssertRejected<ArgumentException>("x", y => MultiMax.Normalizers.MultiMax2(new float[6], y.Slice(0, 6), 4, new float[8]));

    [Fact]
    public void OutputLengthMustMatch() =>
        AssertRejected<ArgumentException>("y", y => MultiMax.Normalizers.MultiMax2(new float[8], y.Slice(0, 4), 4, new float[8]));

    [Theory]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(0)]
    public void ParameterCountMustMatch(int count) =>
        AssertRejected<ArgumentException>("parameters", y => MultiMax.Normalizers.MultiMax2(new float[8], y, 4, new float[count]));

    [Fact]
    public void MessagesUseTheDeclarationsOwnParameterNames()
    {
        var result = new float[8];
        ArgumentException e = Assert.Throws<ArgumentException>(() => Ops.Mixed(new float[8], result, 4, new float[3]));
        Assert.Equal("weights", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>("n", () => Ops.Mixed(new float[8], result, 0, new float[9]));
        Assert.All(result, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void OutputOverlappingInputAtAnOffsetIsRejected()
    {
        var buffer = Enumerable.Repeat(Untouched, 12).ToArray();
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            MultiMax.Normalizers.SoftMax(buffer.AsSpan(0, 8), buffer.AsSpan(4, 8), 4));
        Assert.Equal("y", e.ParamName);
        Assert.All(buffer, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void InPlaceGivesTheSameAsSeparateBuffers()
    {
        var random = new Random(2);
        float[] x = Enumerable.Range(0, 3 * 19).Select(_ => (float)(4 * random.NextDouble() - 2)).ToArray();
        float[] parameters = Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray();
        float[] separate = new float[x.Length], inPlace = (float[])x.Clone();
        MultiMax.Normalizers.MultiMax2(x, separate, 19, parameters);
        MultiMax.Normalizers.MultiMax2(inPlace, inPlace, 19, parameters);
        Assert.Equal(separate, inPlace);

        float[] dy = x.Select(v => v * 0.5f).ToArray(), dx = new float[x.Length], dxInPlace = (float[])dy.Clone();
        float[] dp = new float[8], dpInPlace = new float[8];
        MultiMax.Normalizers.MultiMax2Backward(x, separate, dy, dx, 19, parameters, dp);
        MultiMax.Normalizers.MultiMax2Backward(x, separate, dxInPlace, dxInPlace, 19, parameters, dpInPlace);
        Assert.Equal(dx, dxInPlace);
        Assert.Equal(dp, dpInPlace);
    }

    [Theory]
    [InlineData("dy")]
    [InlineData("dx")]
    [InlineData("y")]
    [InlineData("parameterGradients")]
    public void BackwardChecksEveryLength(string wrong)
    {
        float[] x = new float[8], parameters = new float[8];
        float[] y = new float[wrong == "y" ? 7 : 8], dy = new float[wrong == "dy" ? 4 : 8];
        float[] dx = Enumerable.Repeat(Untouched, wrong == "dx" ? 12 : 8).ToArray();
        float[] dp = Enumerable.Repeat(Untouched, wrong == "parameterGradients" ? 6 : 8).ToArray();
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() =>
            MultiMax.Normalizers.MultiMax2Backward(x, y, dy, dx, 4, parameters, dp));
        Assert.Equal(wrong, e.ParamName);
        Assert.All(dx, v => Assert.Equal(Untouched, v));
        Assert.All(dp, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void ParameterGradientsMayNotShareMemoryWithTheInputGradient()
    {
        float[] buffer = new float[16];
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            MultiMax.Normalizers.MultiMax2Backward(new float[8], new float[8], new float[8], buffer.AsSpan(0, 8), 4, new float[8], buffer.AsSpan(4, 8)));
        Assert.Equal("parameterGradients", e.ParamName);
    }

    /// <summary>
    /// Parameters inside the output were accepted, and a threaded forward then read parameters that another block had
    /// already overwritten (wrong rows in some runs): every output is checked against every input.
    /// </summary>
    [Fact]
    public void ForwardParametersMayNotLieInsideTheOutput()
    {
        const int rowLength = 64, rows = 1024; // threaded: 65 536 entries
        float[] buffer = Enumerable.Repeat(Untouched, rows * rowLength).ToArray();
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            MultiMax.Normalizers.MultiMax2(new float[rows * rowLength], buffer, rowLength, buffer.AsSpan(5000, 8)));
        Assert.Equal("y", e.ParamName); // the output is the argument that must move
        Assert.All(buffer, v => Assert.Equal(Untouched, v));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("y")]
    [InlineData("dy")]
    [InlineData("parameters")]
    public void BackwardOutputsMayNotShareMemoryWithTheInputs(string shared)
    {
        float[] buffer = Enumerable.Repeat(Untouched, 64).ToArray();
        float[] x = new float[8], y = new float[8], dy = new float[8], parameters = new float[8];
        float[] dx = Enumerable.Repeat(Untouched, 8).ToArray(), dp = Enumerable.Repeat(Untouched, 8).ToArray();
        Span<float> Pick(string name, float[] own, int offset) => shared == name ? buffer.AsSpan(offset, 8) : own;

        // The shared input and parameterGradients overlap; so do parameters and dx when "parameters" is shared.
        ArgumentException e = Assert.Throws<ArgumentException>(() => MultiMax.Normalizers.MultiMax2Backward(
            Pick("x", x, 0), Pick("y", y, 0), Pick("dy", dy, 0), shared == "parameters" ? buffer.AsSpan(4, 8) : dx, 4,
            Pick("parameters", parameters, 0), shared == "parameters" ? dp : buffer.AsSpan(4, 8)));
        Assert.Equal(shared == "parameters" ? "dx" : "parameterGradients", e.ParamName);
        Assert.All(buffer.AsSpan(8).ToArray(), v => Assert.Equal(Untouched, v));
        Assert.All(dx, v => Assert.Equal(Untouched, v));
        Assert.All(dp, v => Assert.Equal(Untouched, v));
    }

    private static void AssertRejected<TException>(string argument, SpanAction action)
        where TException : ArgumentException
    {
        float[] y = Enumerable.Repeat(Untouched, 8).ToArray();
        TException e = Assert.Throws<TException>(() => action(y));
        Assert.Equal(argument, e.ParamName);
        Assert.All(y, v => Assert.Equal(Untouched, v));
    }

    private delegate void SpanAction(Span<float> y);
}
