namespace MultiMax.Generator.Model;

/// <summary>What a compilation offers an optional backend (TorchSharp, ILGPU): a value, so it caches incrementally.</summary>
internal enum BackendSupport
{
    /// <summary>The backend's library is not referenced: nothing to emit, nothing to say.</summary>
    None,

    /// <summary>The third-party library is referenced, but not the MultiMax runtime package the emitted code calls.</summary>
    LibraryOnly,

    /// <summary>The MultiMax runtime package for the backend is referenced (and with it the library).</summary>
    Available,
}
