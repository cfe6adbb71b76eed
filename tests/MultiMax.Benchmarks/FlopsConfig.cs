using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MultiMax.Benchmarks;

/// <summary>Adds the throughput column to <see cref="GpuAttentionBenchmarks"/>.</summary>
public sealed class FlopsConfig : ManualConfig
{
    public FlopsConfig() => AddColumn(new FlopsColumn());
}

/// <summary>
/// Achieved GFLOP/s of a fused attention benchmark (<see cref="GpuAttentionBenchmarks.Flops"/> over its mean time), or
/// for the copy its bandwidth in GB/s (bytes read and written over its mean time).
/// </summary>
public sealed class FlopsColumn : IColumn
{
    public string Id => "Throughput";

    public string ColumnName => "Throughput";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Attention: GFLOP/s, counting 4·b·h·n²·d forward and 2.5 times that backward; copy: GB/s read and written";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (nanoseconds is not > 0)
        {
            return "-";
        }

        string shape = (string)benchmarkCase.Parameters[nameof(GpuAttentionBenchmarks.Shape)];
        double seconds = nanoseconds.Value * 1e-9;
        return GpuAttentionBenchmarks.Flops(benchmarkCase.Descriptor.WorkloadMethod.Name, shape) is { } flops
            ? $"{flops / seconds / 1e9:F0} GFLOP/s"
            : $"{GpuAttentionBenchmarks.CopyBytes(shape) / seconds / 1e9:F0} GB/s";
    }
}
