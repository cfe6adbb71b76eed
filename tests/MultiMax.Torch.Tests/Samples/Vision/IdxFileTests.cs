using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using MultiMax.Vision.Data;
using TorchSharp;
using Xunit;

namespace MultiMax.Torch.Tests.Samples.Vision;

/// <summary>The IDX reader on small files written here: plain and gzip, and every way a file can be wrong.</summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("idx-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>An IDX file of unsigned bytes: magic 00 00 08 D, the sizes big-endian, then the data.</summary>
    private static byte[] Idx(int[] sizes, byte[] data, byte typeCode = 0x08)
    {
        var bytes = new byte[4 + 4 * sizes.Length + data.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)sizes.Length;
        for (int d = 0; d < sizes.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), sizes[d]);
        }

        data.CopyTo(bytes, 4 + 4 * sizes.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsTheSizesAndTheDataPlainOrGzipped(bool gzip)
    {
        byte[] data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(7 * i)).ToArray();
        byte[] file = Idx(new[] { 2, 3, 4 }, data);
        IdxFile idx = IdxFile.Read(Write("images.idx", gzip ? Gzip(file) : file), dimensions: 3);
        Assert.Equal(new[] { 2, 3, 4 }, idx.Dimensions);
        Assert.Equal(data, idx.Data);
    }

    [Fact]
    public void AWrongMagicNumberIsNamed()
    {
        string path = Write("labels.idx", Idx(new[] { 3 }, new byte[] { 1, 2, 3 }, typeCode: 0x0D));
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path, dimensions: 1));
        Assert.Contains(path, error.Message);
        Assert.Contains("0x00000D01", error.Message);
        Assert.Contains("expected 0x00000801", error.Message);
    }

    [Fact]
    public void AFileOfOtherDimensionsIsRejected()
    {
        string path = Write("labels.idx", Idx(new[] { 3 }, new byte[] { 1, 2, 3 }));
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path, dimensions: 3));
        Assert.Contains("with 3 dimensions", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataSaysHowMuchIsMissing(bool gzip)
    {
        byte[] file = Idx(new[] { 2, 2, 2 }, new byte[8])[..^3];
        string path = Write("images.idx", gzip ? Gzip(file) : file);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path, dimensions: 3));
        Assert.Contains("truncated", error.Message);
        Assert.Contains("2 × 2 × 2 = 8 bytes", error.Message);
        Assert.Contains("holds 5", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(9)]
    public void ATruncatedHeaderIsRejected(int length)
    {
        string path = Write("images.idx", Idx(new[] { 1, 1, 1 }, new byte[] { 5 })[..length]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path, dimensions: 3));
        Assert.Contains("truncated", error.Message);
        Assert.Contains("header", error.Message);
    }

    [Fact]
    public void ACorruptGzipFileIsNamed()
    {
        byte[] gzip = Gzip(Idx(new[] { 64 }, new byte[64]));
        for (int i = 12; i < gzip.Length - 8; i++)
        {
            gzip[i] ^= 0x5A;
        }

        string path = Write("labels.idx.gz", gzip);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path, dimensions: 1));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        string path = Path.Combine(folder, "absent.gz");
        var error = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path, dimensions: 1));
        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public void ImagesAndLabelsMustAgree()
    {
        Write("images.gz", Gzip(Idx(new[] { 2, FashionMnist.Side, FashionMnist.Side }, new byte[2 * FashionMnist.Side * FashionMnist.Side])));
        Write("three-labels.gz", Gzip(Idx(new[] { 3 }, new byte[] { 0, 1, 2 })));
        Write("bad-labels.gz", Gzip(Idx(new[] { 2 }, new byte[] { 0, 10 })));
        Write("two-labels.gz", Gzip(Idx(new[] { 2 }, new byte[] { 9, 3 })));
        Assert.Contains("holds 2 images but", Assert.Throws<InvalidDataException>(() => FashionMnist.Read(folder, "images.gz", "three-labels.gz")).Message);
        Assert.Contains("the label 10", Assert.Throws<InvalidDataException>(() => FashionMnist.Read(folder, "images.gz", "bad-labels.gz")).Message);

        ImageSet set = FashionMnist.Read(folder, "images.gz", "two-labels.gz");
        Assert.Equal(new long[] { 2, FashionMnist.Side, FashionMnist.Side }, set.Images.shape);
        Assert.Equal(new long[] { 9, 3 }, set.Labels.data<long>().ToArray());
        // Grey level 0, standardized with the dataset's mean and deviation.
        Assert.Equal(-0.2860 / 0.3530, set.Images[0, 0, 0].ToDouble(), 5);
        Assert.Equal(FashionMnist.FileNames, FashionMnist.Missing(folder));
    }
}
