using System.Linq;
using Microsoft.CodeAnalysis;
using MultiMax.Generator.Tests.Infrastructure;
using Xunit;

namespace MultiMax.Generator.Tests.Snapshots;

/// <summary>
/// Pins the ILGPU emitter's output (<c>&lt;Name&gt;Gpu</c>: host launchers and kernels) for one canonical declaration
/// per feature, in a compilation that references MultiMax.Gpu. Review a changed snapshot like code.
/// </summary>
public class GpuEmitterSnapshotTests
{
    [Fact]
    public void Order2FloatAndDoubleShareOneClass() => VerifyGpu(CanonicalDeclarations.Order2FloatAndDouble);

    [Fact]
    public void SoftMaxWithoutParameters() => VerifyGpu(CanonicalDeclarations.SoftMaxWithoutParameters);

    [Fact]
    public void CustomConstantsDoubleOnly() => VerifyGpu(CanonicalDeclarations.CustomConstantsDoubleOnly);

    [Fact]
    public void AffineLogOutputInternal() => VerifyGpu(CanonicalDeclarations.AffineLogOutputInternal);

    [Fact]
    public void NestedGenericTypeInGlobalNamespace() => VerifyGpu(CanonicalDeclarations.NestedGenericTypeInGlobalNamespace);

    [Fact]
    public void ModulatorSoftCapFloatAndDouble() => VerifyGpu(CanonicalDeclarations.SoftCapFloatAndDouble);

    [Fact]
    public void ModulatorPiecewiseDoubleOnly() => VerifyGpu(CanonicalDeclarations.PiecewiseDoubleOnly);

    private static void VerifyGpu(string source)
    {
        GeneratedSourceResult generated = Assert.Single(
            GeneratorHarness.GenerateValidWithGpu(source), s => s.HintName.Contains(".Gpu.", System.StringComparison.Ordinal));
        Snapshot.Verify(generated.SourceText.ToString());
    }
}
