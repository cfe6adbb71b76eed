using System.Collections.Immutable;
using System.Linq;
using MultiMax.Generator.Model;

namespace MultiMax.Generator;

public sealed partial class NormalizerGenerator
{
    /// <summary>Groups the float and double overloads of each normalizer name: backends that emit one class per name use it.</summary>
    internal static ImmutableArray<OverloadGroup> GroupOverloads(ImmutableArray<NormalizerSpec> specs) =>
        specs
            .GroupBy(spec => (spec.Namespace, spec.ContainingTypes, spec.MethodName))
            .Select(overloads =>
            {
                NormalizerSpec[] ordered = overloads.OrderBy(spec => spec.ElementType).ToArray();
                return new OverloadGroup(
                    ordered[0],
                    HasFloat: ordered.Any(spec => spec.ElementType == ElementType.Float),
                    HasDouble: ordered.Any(spec => spec.ElementType == ElementType.Double));
            })
            .ToImmutableArray();
}
