using System.Collections.Generic;
using System.Linq;
using MultiMax.Tests.Declarations;
using MultiMax.Tests.Reference;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Support;

/// <summary>Every generated normalizer the tests run: the built-ins and the docs/attributes.md declarations.</summary>
public static class Catalog
{
    public static readonly IReadOnlyList<Normalizer> All = new Normalizer[]
    {
        new("SoftMax", () => new ParameterLayout(),
            (x, y, n, _) => BuiltIns.SoftMax(x, y, n), (x, y, g, d, n, _, _) => BuiltIns.SoftMaxBackward(x, y, g, d, n),
            (x, y, n, _) => BuiltIns.SoftMax(x, y, n), (x, y, g, d, n, _, _) => BuiltIns.SoftMaxBackward(x, y, g, d, n)),
        new("LogSoftMax", () => new ParameterLayout(log: true),
            (x, y, n, _) => BuiltIns.LogSoftMax(x, y, n), (x, y, g, d, n, _, _) => BuiltIns.LogSoftMaxBackward(x, y, g, d, n),
            (x, y, n, _) => BuiltIns.LogSoftMax(x, y, n), (x, y, g, d, n, _, _) => BuiltIns.LogSoftMaxBackward(x, y, g, d, n)),
        new("MultiMax1", () => new ParameterLayout(order: 1),
            BuiltIns.MultiMax1, BuiltIns.MultiMax1Backward, BuiltIns.MultiMax1, BuiltIns.MultiMax1Backward),
        new("LogMultiMax1", () => new ParameterLayout(order: 1, log: true),
            BuiltIns.LogMultiMax1, BuiltIns.LogMultiMax1Backward, BuiltIns.LogMultiMax1, BuiltIns.LogMultiMax1Backward),
        new("MultiMax2", () => new ParameterLayout(order: 2),
            BuiltIns.MultiMax2, BuiltIns.MultiMax2Backward, BuiltIns.MultiMax2, BuiltIns.MultiMax2Backward),
        new("LogMultiMax2", () => new ParameterLayout(order: 2, log: true),
            BuiltIns.LogMultiMax2, BuiltIns.LogMultiMax2Backward, BuiltIns.LogMultiMax2, BuiltIns.LogMultiMax2Backward),
        new("MultiMaxV2", () => new ParameterLayout(order: 1, affine: true),
            BuiltIns.MultiMaxV2, BuiltIns.MultiMaxV2Backward, BuiltIns.MultiMaxV2, BuiltIns.MultiMaxV2Backward),
        new("LogMultiMaxV2", () => new ParameterLayout(order: 1, affine: true, log: true),
            BuiltIns.LogMultiMaxV2, BuiltIns.LogMultiMaxV2Backward, BuiltIns.LogMultiMaxV2, BuiltIns.LogMultiMaxV2Backward),
        new("Ops.MultiMax2", () => new ParameterLayout(order: 2),
            ForwardFloat: Ops.MultiMax2, BackwardFloat: Ops.MultiMax2Backward),
        new("Ops.MultiMax3", () => new ParameterLayout(order: 3),
            ForwardFloat: Ops.MultiMax3, BackwardFloat: Ops.MultiMax3Backward),
        new("Ops.Custom", () => new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2),
            ForwardDouble: Ops.Custom, BackwardDouble: Ops.CustomBackward),
        new("Ops.Soft", () => new ParameterLayout(),
            ForwardFloat: (x, y, n, _) => Ops.Soft(x, y, n), BackwardFloat: (x, y, g, d, n, _, _) => Ops.SoftBackward(x, y, g, d, n)),
        new("Ops.Mixed", MixedLayout, Ops.Mixed, Ops.MixedBackward, Ops.Mixed, Ops.MixedBackward),
        new("Ops.Fixed",
            () => new ParameterLayout().With(Side.Below, 2, 0.5, 0.0).With(Side.Above, 1, -0.5, 1.0),
            ForwardDouble: (x, y, n, _) => Ops.Fixed(x, y, n), BackwardDouble: (x, y, g, d, n, _, _) => Ops.FixedBackward(x, y, g, d, n)),

        // σ written as C#.
        new("Ops.Capped", () => ParameterLayout.Of(ExpressionModulators.SoftCap), Ops.Capped, Ops.CappedBackward, Ops.Capped, Ops.CappedBackward),
        new("Ops.Tempered", () => ParameterLayout.Of(ExpressionModulators.Temperature), ForwardFloat: Ops.Tempered, BackwardFloat: Ops.TemperedBackward),
        new("Ops.Hinged", () => ParameterLayout.Of(ExpressionModulators.Hinge), ForwardDouble: Ops.Hinged, BackwardDouble: Ops.HingedBackward),
        new("Ops.CappedMultiMax2", () => ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            Ops.CappedMultiMax2, Ops.CappedMultiMax2Backward, Ops.CappedMultiMax2, Ops.CappedMultiMax2Backward),
        new("Ops.Kitchen", () => ParameterLayout.Of(ExpressionModulators.Everything, log: true), Ops.Kitchen, Ops.KitchenBackward, Ops.Kitchen, Ops.KitchenBackward),
        new("Ops.FixedCap", () => ParameterLayout.Of(ExpressionModulators.Fixed3),
            ForwardFloat: (x, y, n, _) => Ops.FixedCap(x, y, n), BackwardFloat: (x, y, g, d, n, _, _) => Ops.FixedCapBackward(x, y, g, d, n)),
    };

    public static IEnumerable<object[]> Float => All.Where(n => n.ForwardFloat is not null).Select(n => new object[] { n.Name });

    public static IEnumerable<object[]> Double => All.Where(n => n.ForwardDouble is not null).Select(n => new object[] { n.Name });

    /// <summary>Every normalizer once, whatever its element types: for tests of the reference, which is double throughout.</summary>
    public static IEnumerable<object[]> Names => All.Select(n => new object[] { n.Name });

    public static Normalizer Get(string name) => All.Single(n => n.Name == name);

    private static ParameterLayout MixedLayout() =>
        new ParameterLayout(order: 1, affine: true, log: true)
            .With(Side.Above, 3, -0.25, 0.0)
            .With(Side.Below, 2, threshold: 0.5)
            .With(Side.Above, 1, coefficient: 1.0)
            .With(Side.Below, 1, coefficient: 0.0);
}
