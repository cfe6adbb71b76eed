using System.Collections.Generic;

namespace MultiMax.Generator.Model;

/// <summary>
/// The float and double overloads of one normalizer, which share one TorchSharp module and one GPU class (MMX0015
/// makes them declare the same modulator).
/// </summary>
/// <param name="Modulator">One of the overloads; its terms, layout and output stand for all of them.</param>
/// <param name="HasFloat">Whether a float overload exists.</param>
/// <param name="HasDouble">Whether a double overload exists.</param>
internal sealed record OverloadGroup(NormalizerSpec Modulator, bool HasFloat, bool HasDouble)
{
    /// <summary>The element types with an overload, float first.</summary>
    public IEnumerable<ElementType> ElementTypes
    {
        get
        {
            if (HasFloat)
            {
                yield return ElementType.Float;
            }

            if (HasDouble)
            {
                yield return ElementType.Double;
            }
        }
    }
}
