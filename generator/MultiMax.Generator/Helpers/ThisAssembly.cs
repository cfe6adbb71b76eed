namespace MultiMax.Generator;

/// <summary>The generator's version, stamped into <c>[GeneratedCode]</c>: the package version from Directory.Build.props.</summary>
internal static class ThisAssembly
{
    public static readonly string Version = typeof(ThisAssembly).Assembly.GetName().Version!.ToString(3);
}
