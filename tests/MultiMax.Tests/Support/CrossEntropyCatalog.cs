using System;
using System.Collections.Generic;
using System.Linq;
using MultiMax.Tests.Declarations;
using MultiMax.Tests.Reference;
using BuiltIns = global::MultiMax.Normalizers;

namespace MultiMax.Tests.Support;

/// <summary>A generated <c>&lt;Name&gt;CrossEntropy</c>, with an empty parameters span where the declaration has none.</summary>
public delegate double CrossEntropyLoss<T>(
    ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
    CrossEntropyShape shape, ReadOnlySpan<T> parameters, long ignoreIndex);

/// <summary>A generated <c>&lt;Name&gt;CrossEntropyBackward</c>, likewise.</summary>
public delegate double CrossEntropyGradients<T>(
    ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<long> targets,
    CrossEntropyShape shape, ReadOnlySpan<T> parameters,
    Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> parameterGradients, long ignoreIndex);

/// <summary>The fused output-layer loss of one declaration, in the element types it is declared for.</summary>
public sealed record CrossEntropyOperator(
    string Name, Func<ParameterLayout> Layout,
    CrossEntropyLoss<float>? LossFloat = null, CrossEntropyGradients<float>? GradientsFloat = null,
    CrossEntropyLoss<double>? LossDouble = null, CrossEntropyGradients<double>? GradientsDouble = null);

/// <summary>The generated loss operators the tests run: built-ins and user declarations (constants, affine, log output).</summary>
public static class CrossEntropyCatalog
{
    public static readonly IReadOnlyList<CrossEntropyOperator> All = new CrossEntropyOperator[]
    {
        new("SoftMax", () => new ParameterLayout(),
            (h, w, b, t, s, _, i) => BuiltIns.SoftMaxCrossEntropy(h, w, b, t, s, i),
            (h, w, b, t, s, _, dh, dw, db, _, i) => BuiltIns.SoftMaxCrossEntropyBackward(h, w, b, t, s, dh, dw, db, i),
            (h, w, b, t, s, _, i) => BuiltIns.SoftMaxCrossEntropy(h, w, b, t, s, i),
            (h, w, b, t, s, _, dh, dw, db, _, i) => BuiltIns.SoftMaxCrossEntropyBackward(h, w, b, t, s, dh, dw, db, i)),
        new("MultiMax2", () => new ParameterLayout(order: 2),
            (h, w, b, t, s, p, i) => BuiltIns.MultiMax2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => BuiltIns.MultiMax2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => BuiltIns.MultiMax2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("MultiMaxV2", () => new ParameterLayout(order: 1, affine: true),
            (h, w, b, t, s, p, i) => BuiltIns.MultiMaxV2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => BuiltIns.MultiMaxV2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => BuiltIns.MultiMaxV2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => BuiltIns.MultiMaxV2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Custom", () => new ParameterLayout().With(Side.Below, 1, 2.0, -1.0).With(Side.Above, 2),
            LossDouble: (h, w, b, t, s, p, i) => Ops.CustomCrossEntropy(h, w, b, t, s, p, i),
            GradientsDouble: (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.CustomCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Mixed", () => new ParameterLayout(order: 1, affine: true, log: true)
                .With(Side.Above, 3, -0.25, 0.0).With(Side.Below, 2, threshold: 0.5).With(Side.Above, 1, coefficient: 1.0).With(Side.Below, 1, coefficient: 0.0),
            (h, w, b, t, s, p, i) => Ops.MixedCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.MixedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => Ops.MixedCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.MixedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Fixed", () => new ParameterLayout().With(Side.Below, 2, 0.5, 0.0).With(Side.Above, 1, -0.5, 1.0),
            LossDouble: (h, w, b, t, s, _, i) => Ops.FixedCrossEntropy(h, w, b, t, s, i),
            GradientsDouble: (h, w, b, t, s, _, dh, dw, db, _, i) => Ops.FixedCrossEntropyBackward(h, w, b, t, s, dh, dw, db, i)),

        // σ written as C#: soft-capped logits (Gemma 2's final layer), a learnable temperature, a piecewise σ, a capped
        // MultiMax, every function.
        new("Ops.Capped", () => ParameterLayout.Of(ExpressionModulators.SoftCap),
            (h, w, b, t, s, p, i) => Ops.CappedCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.CappedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => Ops.CappedCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.CappedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Tempered", () => ParameterLayout.Of(ExpressionModulators.Temperature),
            LossFloat: (h, w, b, t, s, p, i) => Ops.TemperedCrossEntropy(h, w, b, t, s, p, i),
            GradientsFloat: (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.TemperedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Hinged", () => ParameterLayout.Of(ExpressionModulators.Hinge),
            LossDouble: (h, w, b, t, s, p, i) => Ops.HingedCrossEntropy(h, w, b, t, s, p, i),
            GradientsDouble: (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.HingedCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.CappedMultiMax2", () => ParameterLayout.Of(ExpressionModulators.CappedMultiMax),
            (h, w, b, t, s, p, i) => Ops.CappedMultiMax2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.CappedMultiMax2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => Ops.CappedMultiMax2CrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.CappedMultiMax2CrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
        new("Ops.Kitchen", () => ParameterLayout.Of(ExpressionModulators.Everything, log: true),
            (h, w, b, t, s, p, i) => Ops.KitchenCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.KitchenCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i),
            (h, w, b, t, s, p, i) => Ops.KitchenCrossEntropy(h, w, b, t, s, p, i),
            (h, w, b, t, s, p, dh, dw, db, dp, i) => Ops.KitchenCrossEntropyBackward(h, w, b, t, s, p, dh, dw, db, dp, i)),
    };

    public static IEnumerable<object[]> Float => All.Where(a => a.LossFloat is not null).Select(a => new object[] { a.Name });

    public static IEnumerable<object[]> Double => All.Where(a => a.LossDouble is not null).Select(a => new object[] { a.Name });

    public static CrossEntropyOperator Get(string name) => All.Single(a => a.Name == name);
}
