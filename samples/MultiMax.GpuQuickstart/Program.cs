using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using MultiMax;
using MultiMax.Gpu;
using MultiMax.GpuQuickstart;
using Spectre.Console;

// dotnet run -c Release --project samples/MultiMax.GpuQuickstart [-- --cpu]
using var device = GpuDevice.Create(preferCpu: args.Contains("--cpu"));
AnsiConsole.Write(new Rule("[bold]MultiMax.NET on ILGPU[/]"));
AnsiConsole.MarkupLine(device.IsGpu
    ? $"device: [green]{Markup.Escape(device.ToString())}[/]"
    : "device: [yellow]ILGPU's CPU accelerator[/] (no CUDA device here, or --cpu): the same kernels, emulated");

// Attention-shaped scores: 64 query rows over 197 keys, with the last 5 keys masked (−∞) in every row.
const int rows = 64, rowLength = 197;
var random = new Random(7);
float[] scores = Enumerable.Range(0, rows * rowLength)
    .Select(i => i % rowLength >= rowLength - 5 ? float.NegativeInfinity : (float)(2 * random.NextDouble() - 1))
    .ToArray();
float[] parameters = { 0.3f, -0.2f, 0.1f, -0.05f, -1f, 1f, -1.5f, 1.5f };

// 1. The built-in MultiMax2, host arrays in and out.
float[] probabilities = device.Normalize(GpuNormalizers.MultiMax2Gpu.Forward, scores, rowLength, parameters);
var cpuProbabilities = new float[scores.Length];
Normalizers.MultiMax2(scores, cpuProbabilities, rowLength, parameters);

// 2. This program's own declaration, forward and backward on device views, against its CPU kernels.
float[] sharpenParameters = { -0.4f, 0.3f };   // a < 0 and c > 0: small entries pushed down, large ones lifted
float[] upstream = scores.Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
(float[] y, float[] dx, float[] gradients) = SharpenOnDevice(device, scores, upstream, sharpenParameters);
var (cpuY, cpuDx, cpuGradients) = (new float[scores.Length], new float[scores.Length], new float[sharpenParameters.Length]);
Attention.Sharpen(scores, cpuY, rowLength, sharpenParameters);
Attention.SharpenBackward(scores, cpuY, upstream, cpuDx, rowLength, sharpenParameters, cpuGradients);

// 3. Fused attention with the same declaration: 2 heads of 96 causal queries over 96 keys, never a 96 × 96 matrix.
var shape = new AttentionShape(Batch: 1, Heads: 2, Queries: 96, Keys: 96, HeadSize: 32);
float[] Normal(long length) => Enumerable.Range(0, (int)length).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray();
float[] query = Normal(shape.QueryLength), key = Normal(shape.KeyLength), value = Normal(shape.KeyLength);
float[] attended = device.Attention(Attention.SharpenGpu.Attention, query, key, value, shape, sharpenParameters, causal: true);
var cpuAttended = new float[shape.QueryLength];
Attention.SharpenAttention(query, key, value, cpuAttended, new float[shape.LogSumExpLength], shape, sharpenParameters, causal: true);

var table = new Table().Border(TableBorder.Rounded).Title($"float, the device against the CPU kernels: rows {rows} × {rowLength}, attention 2 heads × 96 × 96");
table.AddColumn("");
table.AddColumn("max |device − CPU|", c => c.RightAligned());
table.AddRow("MultiMax2 forward", $"{MaxDifference(probabilities, cpuProbabilities):0.0e+0}");
table.AddRow("Sharpen forward", $"{MaxDifference(y, cpuY):0.0e+0}");
table.AddRow("Sharpen input gradient", $"{MaxDifference(dx, cpuDx):0.0e+0}");
table.AddRow("Sharpen parameter gradients", $"{MaxDifference(gradients, cpuGradients):0.0e+0}");
table.AddRow("Sharpen fused attention, causal", $"{MaxDifference(attended, cpuAttended):0.0e+0}");
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"row 0 sums to [yellow]{probabilities.Take(rowLength).Sum():F6}[/]; its masked keys get [yellow]{probabilities[rowLength - 1]}[/]");

static (float[] Y, float[] Dx, float[] Gradients) SharpenOnDevice(GpuDevice device, float[] x, float[] dy, float[] parameters)
{
    Accelerator accelerator = device.Accelerator;
    using MemoryBuffer1D<float, Stride1D.Dense> xs = accelerator.Allocate1D(x), dys = accelerator.Allocate1D(dy), ps = accelerator.Allocate1D(parameters);
    using MemoryBuffer1D<float, Stride1D.Dense> ys = accelerator.Allocate1D<float>(x.Length), dxs = accelerator.Allocate1D<float>(x.Length);
    using MemoryBuffer1D<float, Stride1D.Dense> gradients = accelerator.Allocate1D<float>(Attention.SharpenGpu.ParameterCount);
    Attention.SharpenGpu.Forward(device.Stream, xs.View, ys.View, rowLength, ps.View);
    Attention.SharpenGpu.Backward(device.Stream, xs.View, ys.View, dys.View, dxs.View, rowLength, ps.View, gradients.View);
    return (ys.GetAsArray1D(device.Stream), dxs.GetAsArray1D(device.Stream), gradients.GetAsArray1D(device.Stream));
}

static float MaxDifference(float[] a, float[] b) => a.Zip(b, (p, q) => MathF.Abs(p - q)).Max();
