namespace MultiMax.Torch;

/// <summary>The built-in normalizers a layer can be built with (see <see cref="TorchNormalizers.Create"/>).</summary>
public enum NormalizerKind
{
    /// <summary>Plain SoftMax.</summary>
    SoftMax,

    /// <summary>First-order MultiMax (4 parameters).</summary>
    MultiMax1,

    /// <summary>Second-order MultiMax, the paper's default (8 parameters).</summary>
    MultiMax2,

    /// <summary>The authors' V2: affine map then first-order σ (6 parameters).</summary>
    MultiMaxV2,
}
