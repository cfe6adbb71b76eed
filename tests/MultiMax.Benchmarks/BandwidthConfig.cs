using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MultiMax.Benchmarks;

/// <summary>Adds the bandwidth columns to <see cref="GpuBenchmarks"/>.</summary>
public sealed class BandwidthConfig : ManualConfig
{
    public BandwidthConfig()
    {
        AddColumn(new BandwidthColumn(relativeToCopy: false), new BandwidthColumn(relativeToCopy: true));
    }
}

/// <summary>
/// Bytes moved per second (GB/s, the minimum bytes each benchmark must move over its mean time), or that as a
/// fraction of the device-to-device copy's in the same run and shape.
/// </summary>
public sealed class BandwidthColumn(bool relativeToCopy) : IColumn
{
    public string Id => relativeToCopy ? "BandwidthOfCopy" : "Bandwidth";

    public string ColumnName => relativeToCopy ? "Of copy" : "GB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => relativeToCopy ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => relativeToCopy
        ? "Achieved bandwidth over the device-to-device copy's, same shape, same run"
        : "Minimum bytes moved (forward 8 B, forward+backward 24 B per float element) over the mean time";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? bandwidth = Bandwidth(summary, benchmarkCase);
        if (bandwidth is null)
        {
            return "-";
        }

        if (!relativeToCopy)
        {
            return $"{bandwidth.Value / 1e9:F1}";
        }

        BenchmarkCase? copy = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.WorkloadMethod.Name == nameof(GpuBenchmarks.Copy) && Shape(c) == Shape(benchmarkCase));
        double? copyBandwidth = copy is null ? null : Bandwidth(summary, copy);
        return copyBandwidth is null ? "-" : $"{bandwidth.Value / copyBandwidth.Value:P0}";
    }

    private static double? Bandwidth(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (nanoseconds is not > 0)
        {
            return null;
        }

        long bytes = GpuBenchmarks.Elements(Shape(benchmarkCase)) * GpuBenchmarks.BytesPerElement(benchmarkCase.Descriptor.WorkloadMethod.Name);
        return bytes / (nanoseconds.Value * 1e-9);
    }

    private static string Shape(BenchmarkCase benchmarkCase) => (string)benchmarkCase.Parameters[nameof(GpuBenchmarks.Shape)];
}
