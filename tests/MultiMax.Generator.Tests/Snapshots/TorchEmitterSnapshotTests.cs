using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins the TorchSharp emitter's output (<c>&lt;Name&gt;Function</c> and <c>&lt;Name&gt;Module</c>) for one canonical
/// declaration per feature, in a compilation that references MultiMax.Torch. Review a changed snapshot like code.
/// </summary>
public class TorchEmitterSnapshotTests
{
    [Fact]
    public void Order2FloatAndDoubleShareOneModule() => VerifyTorch(CanonicalDeclarations.Order2FloatAndDouble);

    [Fact]
    public void SoftMaxWithoutParameters() => VerifyTorch(CanonicalDeclarations.SoftMaxWithoutParameters);

    [Fact]
    public void CustomConstantsDoubleOnly() => VerifyTorch(CanonicalDeclarations.CustomConstantsDoubleOnly);

    [Fact]
    public void AffineLogOutputInternal() => VerifyTorch(CanonicalDeclarations.AffineLogOutputInternal);

    [Fact]
    public void ModulatorSoftCapFloatAndDouble() => VerifyTorch(CanonicalDeclarations.SoftCapFloatAndDouble);

    [Fact]
    public void ModulatorPiecewiseDoubleOnly() => VerifyTorch(CanonicalDeclarations.PiecewiseDoubleOnly);

    [Fact]
    public void ModulatorCappedMultiMaxFloat() => VerifyTorch(CanonicalDeclarations.CappedMultiMaxFloat);

    private static void VerifyTorch(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValidWithTorch(source), s => s.HintName.Contains(".Torch.", System.StringComparison.Ordinal));
        Snapshot.Verify(generated.SourceText.ToString());
    }
}
