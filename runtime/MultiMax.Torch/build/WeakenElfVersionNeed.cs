// An MSBuild task, compiled by RoslynCodeTaskFactory from MultiMax.Torch.targets.
//
// libLibTorchSharp.so (TorchSharp 0.107) lists GLIBCXX_3.4.32 (GCC 13) among the versions it needs, for one symbol,
// std::ios_base_library_init(), that it never calls. Distributions whose libstdc++ stops at GLIBCXX_3.4.30
// (Debian 12, Ubuntu 22.04) then refuse to load it. Marking that one requirement weak (VER_FLG_WEAK in the
// Elf64_Vernaux entry of .gnu.version_r) lets the dynamic loader accept a libstdc++ that lacks the version.
// Only the copy in the build's output folder is rewritten, never the package cache.
#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenElfVersionNeed : Task
{
    const uint SectionTypeVersionNeed = 0x6ffffffe; // SHT_GNU_verneed
    const ushort WeakFlag = 0x2;                     // VER_FLG_WEAK

    static readonly string[] SystemLibStdCxx =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    /// <summary>The shared libraries to rewrite when they need <see cref="Version"/>.</summary>
    [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The version requirement to mark weak, e.g. GLIBCXX_3.4.32.</summary>
    [Required] public string Version { get; set; } = "";

    /// <summary>auto: only when this machine's libstdc++ lacks the version; true: always; false: never.</summary>
    public string Mode { get; set; } = "auto";

    public override bool Execute()
    {
        if (Mode == "false" || Libraries.Length == 0) return true;
        if (Mode == "auto")
        {
            string? provider = FindSystemLibraryProviding(Version);
            if (provider != null)
            {
                Log.LogMessage(MessageImportance.Low, $"MultiMax.Torch: {provider} provides {Version}; libLibTorchSharp.so left as shipped.");
                return true;
            }
        }

        foreach (ITaskItem item in Libraries)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] image = File.ReadAllBytes(path);
                switch (MarkWeak(image, Version))
                {
                    case Outcome.Patched:
                        // Write a new file and move it over the old one: the old one may be a hard link into the
                        // package cache, which must stay as shipped.
                        string temporary = path + ".multimax-tmp";
                        File.WriteAllBytes(temporary, image);
                        File.Delete(path);
                        File.Move(temporary, path);
                        Log.LogMessage(MessageImportance.High, $"MultiMax.Torch: marked the {Version} requirement of {path} weak so that it loads with this system's libstdc++.");
                        break;
                    case Outcome.AlreadyWeak:
                        Log.LogMessage(MessageImportance.Low, $"MultiMax.Torch: the {Version} requirement of {path} is already weak.");
                        break;
                    case Outcome.NotNeeded:
                        Log.LogMessage(MessageImportance.Low, $"MultiMax.Torch: {path} does not need {Version}; left as shipped.");
                        break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                Log.LogWarning($"MultiMax.Torch: could not rewrite {path} ({e.Message}); TorchSharp may fail to load on this system.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    enum Outcome { NotNeeded, AlreadyWeak, Patched }

    static string? FindSystemLibraryProviding(string version)
    {
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string candidate in SystemLibStdCxx)
        {
            if (File.Exists(candidate) && IndexOf(File.ReadAllBytes(candidate), needle) >= 0) return candidate;
        }
        return null;
    }

    /// <summary>Sets VER_FLG_WEAK on every Elf64_Vernaux entry named <paramref name="version"/>.</summary>
    static Outcome MarkWeak(byte[] image, string version)
    {
        // ELF64, little-endian only: the libraries this applies to are linux-x64 builds.
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F'
            || image[4] != 2 || image[5] != 1)
            throw new FormatException("not a little-endian ELF64 file");

        long sectionTable = (long)U64(image, 0x28);
        int sectionSize = U16(image, 0x3a), sectionCount = U16(image, 0x3c);
        var outcome = Outcome.NotNeeded;
        for (int s = 0; s < sectionCount; s++)
        {
            long header = sectionTable + (long)s * sectionSize;
            if (U32(image, header + 4) != SectionTypeVersionNeed) continue;

            long strings = (long)U64(image, sectionTable + (long)U32(image, header + 40) * sectionSize + 24); // sh_link → .dynstr offset
            long need = (long)U64(image, header + 24);                                                       // sh_offset
            for (uint remaining = U32(image, header + 44); remaining > 0; remaining--)                     // sh_info: entry count
            {
                long aux = need + U32(image, need + 8);                                                      // vn_aux
                for (int count = U16(image, need + 2); count > 0; count--)                                 // vn_cnt
                {
                    if (CString(image, strings + U32(image, aux + 8)) == version)                           // vna_name
                    {
                        ushort flags = U16(image, aux + 4);                                                  // vna_flags
                        if ((flags & WeakFlag) != 0) { if (outcome == Outcome.NotNeeded) outcome = Outcome.AlreadyWeak; }
                        else { BitConverter.GetBytes((ushort)(flags | WeakFlag)).CopyTo(image, aux + 4); outcome = Outcome.Patched; }
                    }
                    uint nextAux = U32(image, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint nextNeed = U32(image, need + 12);
                if (nextNeed == 0) break;
                need += nextNeed;
            }
        }
        return outcome;
    }

    static ushort U16(byte[] b, long at) => BitConverter.ToUInt16(b, checked((int)at));
    static uint U32(byte[] b, long at) => BitConverter.ToUInt32(b, checked((int)at));
    static ulong U64(byte[] b, long at) => BitConverter.ToUInt64(b, checked((int)at));

    static string CString(byte[] b, long at)
    {
        int start = checked((int)at), end = Array.IndexOf(b, (byte)0, start);
        return Encoding.ASCII.GetString(b, start, (end < 0 ? b.Length : end) - start);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
