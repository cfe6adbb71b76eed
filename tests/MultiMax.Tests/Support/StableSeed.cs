namespace MultiMax.Tests.Support;

/// <summary>
/// A random seed derived from a test case's text, the same in every process: <c>GetHashCode</c> is no substitute,
/// since .NET randomizes string and type hash codes per process, which made each run draw different data.
/// </summary>
public static class StableSeed
{
    /// <summary>FNV-1a of the text, folded to 16 bits.</summary>
    public static int Of(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash ^ (hash >> 16)) & 0xFFFF;
    }
}
