using System;
using Xunit.Sdk;

namespace MultiMax.Tests.Support;

/// <summary>Element-wise comparison with an absolute and a relative tolerance, and a readable failure.</summary>
public static class Close
{
    public static void All(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double absolute, double relative, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool same = e.Equals(a) || Math.Abs(e - a) <= absolute + relative * Math.Abs(e);
            if (!same)
            {
                throw new XunitException($"{what}[{i}]: expected {e:R}, got {a:R} (difference {Math.Abs(e - a):E2})");
            }
        }
    }
}
