using System;

namespace MultiMax;

/// <summary>
/// Gives the partial class it marks the TorchSharp and ILGPU faces of every <see cref="NormalizerAttribute"/> method
/// of <see cref="DeclaringType"/> — typically a class in a referenced library — without a second declaration and a
/// second copy of the CPU kernels: <c>&lt;Name&gt;Function</c> and <c>&lt;Name&gt;Module</c> (in projects that reference
/// MultiMax.Torch) and <c>&lt;Name&gt;Gpu</c> (MultiMax.Gpu) are generated in the marked class and run the span operators
/// <c>DeclaringType.&lt;Name&gt;</c> and <c>&lt;Name&gt;Backward</c> that already exist.
/// </summary>
/// <example>
/// <code>
/// [NormalizersFrom(typeof(MultiMax.Normalizers))]   // MultiMax2Module, MultiMax2Gpu, … beside your own code
/// public static partial class MyLayers { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class NormalizersFromAttribute : Attribute
{
    /// <param name="declaringType">The type whose <see cref="NormalizerAttribute"/> methods to give this class's backends.</param>
    public NormalizersFromAttribute(Type declaringType) => DeclaringType = declaringType;

    /// <summary>The type that declares the normalizers, and whose span operators the generated classes call.</summary>
    public Type DeclaringType { get; }
}
