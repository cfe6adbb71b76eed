using System.Linq;
using BenchmarkDotNet.Running;
using MultiMax.Benchmarks;

// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --filter '*Gpu*'     (on a machine with a CUDA device: rows, fused attention and loss)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --filter '*FirstCall*'   (its own jobs: first calls in fresh processes, and warm)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-memory fused 4096   (peak memory, one process per measurement)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --loss-memory fused 32768       (likewise, for the output-layer loss)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-profile 1024|8x4096 60 [batch heads headSize [bias]]   (a steady loop to run under perf)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --attention-first-calls 200 [jit]     (a fresh process's first attention calls; jit: what its JIT compiled in call 1)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --tile-jit-cost [Derivative,MaskedSigma,…]   (what each attention loop costs the JIT, alone, in that order)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --model-shape-ratios 100 [vision]   (quick interleaved medians at the model shapes)
// dotnet run -c Release --project tests/MultiMax.Benchmarks -- --ptx-report      (every GPU kernel's PTX instructions and shared memory, no GPU needed)
//
// The span benchmarks run out of process, as BenchmarkDotNet prefers. TorchBenchmarks run in this process: the
// project BenchmarkDotNet generates for an out-of-process run does not import Directory.Build.targets, so its copy of
// libLibTorchSharp.so would miss the libstdc++ step and fail to load on Debian 12; this process's copy has it.
if (args is ["--attention-memory", string path, ..])
{
    AttentionMemory.Run(path, args.Length > 2 ? int.Parse(args[2]) : 4096);
    return;
}

if (args is ["--attention-profile", ..])
{
    int Argument(int index, int fallback) => args.Length > index ? int.Parse(args[index]) : fallback;
    // n, or queries x keys ("8x4096": a decode step against a cache).
    string[] extents = args.Length > 1 ? args[1].Split('x') : ["1024"];
    AttentionProfile.Run(int.Parse(extents[^1]), Argument(2, 60), Argument(3, 1), Argument(4, 8), Argument(5, 64), args.Length > 6 && args[6] == "bias",
        queries: extents.Length > 1 ? int.Parse(extents[0]) : null);
    return;
}

if (args is ["--attention-first-calls", ..])
{
    AttentionFirstCalls.Run(args.Length > 1 && int.TryParse(args[1], out int calls) ? calls : 200, jitTimeline: args.Contains("jit"));
    return;
}

if (args is ["--tile-jit-cost", ..])
{
    TileJitCost.Run(args.Length > 1 ? args[1] : null);
    return;
}

if (args is ["--model-shape-ratios", ..])
{
    ModelShapeRatios.Run(args.Length > 1 ? int.Parse(args[1]) : 100, args.Length > 2 ? args[2] : null);
    return;
}

if (args is ["--ptx-report", ..])
{
    PtxReport.Run();
    return;
}

if (args is ["--loss-memory", string lossPath, ..])
{
    CrossEntropyMemory.Run(lossPath, args.Length > 2 ? int.Parse(args[2]) : 32768);
    return;
}

BenchmarkSwitcher.FromTypes(new[] { typeof(ForwardBenchmarks), typeof(ModulatorBenchmarks), typeof(FirstCallBenchmarks), typeof(BaselineBenchmarks), typeof(ExpBenchmarks), typeof(GpuBenchmarks), typeof(GpuAttentionBenchmarks), typeof(GpuCrossEntropyBenchmarks) }).Run(args);
BenchmarkSwitcher.FromTypes(new[] { typeof(TorchBenchmarks), typeof(AttentionBenchmarks), typeof(DecodeAttentionBenchmarks), typeof(ModelShapeAttentionBenchmarks), typeof(GroupedQueryBenchmarks), typeof(SlidingWindowBenchmarks), typeof(BiasAndSinkBenchmarks), typeof(CrossEntropyBenchmarks) })
    .Run(args.Contains("--inProcess") ? args : args.Append("--inProcess").ToArray());
