using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MultiMax.Benchmarks;

/// <summary>Adds the throughput column to <see cref="GpuAttentionBenchmarks"/> and <see cref="GpuCrossEntropyBenchmarks"/>.</summary>
public sealed class FlopsConfig : ManualConfig
{
    public FlopsConfig() => AddColumn(new FlopsColumn());
}

/// <summary>
/// Achieved GFLOP/s of a fused kernel benchmark (its class's <c>Flops</c> over the mean time), or for the copy its
/// bandwidth in GB/s (bytes read and written over the mean time).
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

    public string Legend => "GFLOP/s: attention counts 4·b·h·n²·d forward and 2.5 times that backward, the loss 2·t·d·v and 3 times that with gradients; copy: GB/s read and written";

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
        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        bool loss = benchmarkCase.Descriptor.Type == typeof(GpuCrossEntropyBenchmarks);
        double seconds = nanoseconds.Value * 1e-9;
        double? flops = loss ? GpuCrossEntropyBenchmarks.Flops(method, shape) : GpuAttentionBenchmarks.Flops(method, shape);
        double bytes = loss ? GpuCrossEntropyBenchmarks.CopyBytes(shape) : GpuAttentionBenchmarks.CopyBytes(shape);
        return flops is { } counted ? $"{counted / seconds / 1e9:F0} GFLOP/s" : $"{bytes / seconds / 1e9:F0} GB/s";
    }
}
