namespace MultiMax.Gpu;

/// <summary>
/// The built-in normalizers of <see cref="Normalizers"/> with their GPU forms: for each, the generator emits the nested
/// class <c>&lt;Name&gt;Gpu</c> here (<c>Forward</c> and <c>Backward</c> on ILGPU array views, float and double). The
/// span operators they mirror are <see cref="Normalizers"/>' own: declared once, compiled once.
/// </summary>
[NormalizersFrom(typeof(Normalizers))]
public static partial class GpuNormalizers
{
}
