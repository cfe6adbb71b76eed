using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace MultiMax.Benchmarks;

/// <summary>
/// What each loop of the fused attention costs the JIT on its own: in a fresh process, one thread compiles them one by
/// one (<see cref="RuntimeHelpers.PrepareMethod(RuntimeMethodHandle)"/>) for the float MultiMax2 declaration the Torch
/// module uses, in the order given, and prints the milliseconds each took. Without other threads competing for the
/// cores, these are the compilations that <see cref="JitTimeline"/> shows inside a first call, apart from waiting. A
/// one-time cost (the first use of a helper that several loops inline) lands on whichever loop comes first, so compare
/// orders: <c>dotnet run -c Release --project tests/MultiMax.Benchmarks -- --tile-jit-cost [Derivative,MaskedSigma,…]</c>.
/// The loops are internal, so they are found by name; a renamed loop is reported, not skipped.
/// </summary>
public static class TileJitCost
{
    public static void Run(string? order)
    {
        Assembly runtime = typeof(AttentionShape).Assembly;
        Type kernel = runtime.GetTypes().Single(type => type.Name.EndsWith("__MultiMax2Modulator", StringComparison.Ordinal) && type.FullName!.Contains("_Float_"));
        Type tiles = Internal(runtime, "AttentionTiles`2").MakeGenericType(kernel, typeof(float));
        Type lanes = Internal(runtime, "NativeLanes`1").MakeGenericType(typeof(float));
        Type tileMath = Internal(runtime, "TileMath");
        const BindingFlags Declared = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        var methods = new List<(string Name, MethodBase Method)>();
        methods.AddRange(kernel.GetMethods(Declared).Select(method => (method.Name, (MethodBase)method)));
        methods.AddRange(tiles.GetMethods(Declared).Where(method => !method.IsGenericMethodDefinition && !method.IsSpecialName).Select(method => (method.Name, (MethodBase)method)));
        foreach (MethodInfo method in tileMath.GetMethods(Declared).Where(method => method.IsGenericMethodDefinition))
        {
            // The products' row blocks at Vector<float>'s width, and the routines generic in the element type alone.
            Type[] arguments = method.GetGenericArguments().Length == 3 ? [lanes, typeof(Vector<float>), typeof(float)] : [typeof(float)];
            methods.Add((method.Name, method.MakeGenericMethod(arguments)));
        }

        // The loops named first, in that order, then the rest as reflection lists them.
        string[] first = order?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];
        foreach (string name in first.Where(name => methods.All(m => m.Name != name)))
        {
            Console.WriteLine($"no loop named {name}");
        }

        // A loop's place in the order asked for; the loops not named keep reflection's order after them (OrderBy is stable).
        int Rank(string name) => Array.IndexOf(first, name) is >= 0 and int at ? at : first.Length;

        double total = 0;
        foreach ((string name, MethodBase method) in methods.OrderBy(m => Rank(m.Name)))
        {
            long start = Stopwatch.GetTimestamp();
            RuntimeHelpers.PrepareMethod(method.MethodHandle, method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments().Select(t => t.TypeHandle).ToArray() : null);
            double milliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            total += milliseconds;
            Console.WriteLine($"{milliseconds,7:F2} ms  {method.DeclaringType!.Name.Split('`')[0].Split("__")[^1]}.{name}");
        }

        Console.WriteLine($"{total,7:F2} ms  in all");
    }

    private static Type Internal(Assembly assembly, string name) =>
        assembly.GetType("MultiMax.CompilerServices." + name) ?? throw new InvalidOperationException($"MultiMax.CompilerServices.{name} is gone: update {nameof(TileJitCost)}.");
}
