using System.Collections.Generic;

namespace MultiMax.Generator.Model;

/// <summary>
/// One TorchSharp function and module: every overload of a normalizer shares them (float and double declarations
/// of one name must declare the same modulator, MMX0015), and each overload's element type gets the fused path.
/// </summary>
/// <param name="Modulator">One of the overloads; its terms, layout and output stand for all of them.</param>
/// <param name="FusesFloat">Whether a float overload exists: float32 tensors on the CPU run its span kernels.</param>
/// <param name="FusesDouble">Whether a double overload exists: float64 tensors on the CPU run its span kernels.</param>
internal sealed record TorchModuleSpec(NormalizerSpec Modulator, bool FusesFloat, bool FusesDouble)
{
    public IEnumerable<ElementType> FusedTypes
    {
        get
        {
            if (FusesFloat)
            {
                yield return ElementType.Float;
            }

            if (FusesDouble)
            {
                yield return ElementType.Double;
            }
        }
    }
}
