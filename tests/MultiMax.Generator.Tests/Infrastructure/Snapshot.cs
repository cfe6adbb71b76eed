using ApprovalTests;

namespace MultiMax.Generator.Tests.Infrastructure;

/// <summary>
/// Approves generated text as a snapshot beside the test (<c>&lt;Class&gt;.&lt;Method&gt;.approved.&lt;ext&gt;</c>), with
/// what changes from build to build scrubbed: the generator's version becomes <c>{version}</c>, so a version bump
/// does not rewrite every approved file.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string text, string extension = ".cs") =>
        Approvals.VerifyWithExtension(Scrub(text), extension);

    public static string Scrub(string text) =>
        text.Replace($"\"MultiMax.Generator\", \"{ThisAssembly.Version}\"", "\"MultiMax.Generator\", \"{version}\"");
}
