using System;

namespace MultiMax.CompilerServices;

/// <summary>
/// The argument checks every normalizer runs before it writes anything, so that bad input never leaves
/// partial results behind. Each failure is an <see cref="ArgumentException"/> naming the caller's argument.
/// </summary>
internal static class NormalizerArguments
{
    public static void CheckRows(int length, int rowLength, string lengthName, string rowLengthName)
    {
        if (rowLength <= 0)
        {
            throw new ArgumentOutOfRangeException(rowLengthName, rowLength, $"{rowLengthName} must be positive.");
        }

        if (length % rowLength != 0)
        {
            throw new ArgumentException(
                $"{lengthName} has {Count(length, "entry")}, which is not a whole number of rows of {rowLengthName} = {rowLength}.",
                lengthName);
        }
    }

    public static void CheckSameLength(int expected, int actual, string expectedName, string actualName)
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{actualName} has {Count(actual, "entry")} but {expectedName} has {expected}: they must be equal.", actualName);
        }
    }

    public static void CheckParameterCount(int expected, long actual, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{name} must hold exactly {Count(expected, "value")}, one per learnable parameter of the normalizer, but holds {actual}.",
                name);
        }
    }

    /// <summary>
    /// An output may be the very same buffer as an input (in-place work: every kernel reads entry i before it
    /// writes entry i) but must not overlap it at an offset, where a row would be overwritten before it is read.
    /// </summary>
    public static void CheckNoPartialOverlap<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, string inputName, string outputName)
    {
        if (input.Overlaps(output, out int offset) && offset != 0)
        {
            throw new ArgumentException(
                $"{outputName} overlaps {inputName} at an offset of {Count(offset, "element")}: pass the same span for in-place work, or separate buffers.",
                outputName);
        }
    }

    /// <summary>
    /// An output that is not the same shape as the input (y against parameters, anything against parameterGradients)
    /// may share no memory with it at all: a threaded kernel would read values another block already overwrote.
    /// </summary>
    public static void CheckNoOverlap<T>(ReadOnlySpan<T> other, ReadOnlySpan<T> output, string otherName, string outputName)
    {
        if (!output.IsEmpty && output.Overlaps(other))
        {
            throw new ArgumentException($"{outputName} overlaps {otherName}: it needs a buffer of its own.", outputName);
        }
    }

    /// <summary>A span's length against what a fused operator's shape needs, e.g. <c>batch × heads × queries × headSize</c>.</summary>
    public static void CheckLength(long actual, long expected, string name, string formula)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {Count(actual, "entry")} but the shape needs {formula} = {expected}.", name);
        }
    }

    /// <summary>Throws when <paramref name="written"/> shares memory with any of the others (empty ones share none).</summary>
    public static void CheckSeparate<T>(
        ReadOnlySpan<T> written, string writtenName,
        ReadOnlySpan<T> first, string firstName, ReadOnlySpan<T> second, string secondName,
        ReadOnlySpan<T> third, string thirdName, ReadOnlySpan<T> fourth, string fourthName)
    {
        CheckNoOverlap(first, written, firstName, writtenName);
        CheckNoOverlap(second, written, secondName, writtenName);
        CheckNoOverlap(third, written, thirdName, writtenName);
        CheckNoOverlap(fourth, written, fourthName, writtenName);
    }

    /// <summary>"1 entry", "8 values": messages read as English at every count.</summary>
    internal static string Count(long count, string noun) =>
        count == 1 ? $"1 {noun}" : noun.EndsWith("y", StringComparison.Ordinal) ? $"{count} {noun[..^1]}ies" : $"{count} {noun}s";
}
