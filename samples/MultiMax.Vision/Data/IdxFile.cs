using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace MultiMax.Vision.Data;

/// <summary>
/// Reads an IDX file of unsigned bytes (the MNIST family's format), gzip-compressed or not: a magic number
/// <c>00 00 08 D</c> (unsigned bytes, D dimensions), D big-endian 32-bit sizes, then the data, row-major.
/// Every defect is an <see cref="InvalidDataException"/> that names the file and says what was expected.
/// </summary>
public sealed record IdxFile(int[] Dimensions, byte[] Data)
{
    /// <summary>The type code of unsigned bytes, the only one the MNIST files use.</summary>
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/>, which must have <paramref name="dimensions"/> dimensions.</summary>
    public static IdxFile Read(string path, int dimensions)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        }

        using FileStream file = File.OpenRead(path);
        return Read(file, path, dimensions);
    }

    /// <summary>Reads an IDX stream; <paramref name="name"/> is what messages call it.</summary>
    public static IdxFile Read(Stream stream, string name, int dimensions)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        // gzip starts with 1f 8b; an IDX file of bytes starts with 00 00 08.
        long start = stream.Position;
        int first = stream.ReadByte(), second = stream.ReadByte();
        stream.Position = start;
        bool gzip = first == 0x1f && second == 0x8b;
        using Stream content = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        return ReadIdx(content, name, dimensions);
    }

    private static IdxFile ReadIdx(Stream content, string name, int dimensions)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(content, magic, name, "the magic number");
        if (magic[0] != 0 || magic[1] != 0 || magic[2] != UnsignedByte || magic[3] != dimensions)
        {
            throw new InvalidDataException(
                $"'{name}' is not an IDX file of unsigned bytes with {dimensions} dimensions: its magic number is " +
                $"0x{Convert.ToHexString(magic)}, expected 0x000008{dimensions:X2}.");
        }

        var sizes = new int[dimensions];
        Span<byte> size = stackalloc byte[4];
        long length = 1;
        for (int d = 0; d < dimensions; d++)
        {
            ReadExactly(content, size, name, $"the size of dimension {d + 1}");
            sizes[d] = BinaryPrimitives.ReadInt32BigEndian(size);
            if (sizes[d] < 0)
            {
                throw new InvalidDataException($"'{name}' gives dimension {d + 1} the negative size {sizes[d]}.");
            }

            length *= sizes[d];
        }

        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"'{name}' promises {length} bytes of data, more than one array holds.");
        }

        var data = new byte[length];
        int read = Fill(content, data, name);
        if (read < data.Length)
        {
            throw new InvalidDataException(
                $"'{name}' is truncated: its header promises {string.Join(" × ", sizes)} = {length} bytes of data, but it holds {read}.");
        }

        return new IdxFile(sizes, data);
    }

    private static void ReadExactly(Stream content, Span<byte> buffer, string name, string what)
    {
        if (Fill(content, buffer, name) < buffer.Length)
        {
            throw new InvalidDataException($"'{name}' is truncated: it ends inside the IDX header, in {what}.");
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the data ends; gzip's own complaints get the file's name.</summary>
    private static int Fill(Stream content, Span<byte> buffer, string name)
    {
        try
        {
            return content.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{name}' is not a readable gzip file: {e.Message}", e);
        }
    }
}
