using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins <c>&lt;Name&gt;Parameters</c>, the span side's public parameter layout, emitted once per normalizer name.
/// Review a changed snapshot like code.
/// </summary>
public class LayoutEmitterSnapshotTests
{
    [Fact]
    public void Order2FloatAndDoubleShareOneLayout() => VerifyLayout(CanonicalDeclarations.Order2FloatAndDouble);

    [Fact]
    public void SoftMaxHasAnEmptyLayout() => VerifyLayout(CanonicalDeclarations.SoftMaxWithoutParameters);

    [Fact]
    public void CustomConstantsDoubleOnly() => VerifyLayout(CanonicalDeclarations.CustomConstantsDoubleOnly);

    [Fact]
    public void AffineLogOutputInternal() => VerifyLayout(CanonicalDeclarations.AffineLogOutputInternal);

    [Fact]
    public void ModulatorSoftCapFloatAndDouble() => VerifyLayout(CanonicalDeclarations.SoftCapFloatAndDouble);

    [Fact]
    public void ModulatorCappedMultiMaxFloat() => VerifyLayout(CanonicalDeclarations.CappedMultiMaxFloat);

    private static void VerifyLayout(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValid(source), s => s.HintName.Contains(".Parameters.", System.StringComparison.Ordinal));
        Snapshot.Verify(generated.SourceText.ToString());
    }
}
