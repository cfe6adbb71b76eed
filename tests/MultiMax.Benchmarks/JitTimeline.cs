using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace MultiMax.Benchmarks;

/// <summary>
/// Which methods the JIT compiled, on which thread, when, and for how long: the runtime's own JIT events
/// (MethodJittingStarted, then MethodLoadVerbose) read in process. <see cref="AttentionFirstCalls"/> prints it for the
/// first fused call when asked, to show where a fresh process's first call goes. A method's time runs from the start
/// of its compilation to its code being published, so it includes waiting for another thread's compilation of an
/// inlinee's class and any other thread's use of the core meanwhile; it is wall-clock time, not the JIT's CPU time.
/// The listener's own methods compile on the thread that delivers the events, which is left out.
/// </summary>
public sealed partial class JitTimeline : EventListener
{
    /// <summary>The JIT keyword of the runtime's event source.</summary>
    private const EventKeywords JitKeyword = (EventKeywords)0x10;

    private const int MethodLoadVerbose = 143, MethodJittingStarted = 145;

    private readonly ConcurrentDictionary<ulong, (DateTime Start, string Name)> compiling = new();
    private readonly ConcurrentQueue<Compilation> compiled = new();

    /// <summary>The thread that delivers the events (and compiles this listener's own methods), once known.</summary>
    private volatile int listenerThread = -1;

    /// <summary>One method's compilation: its name without namespaces or generic arguments, its thread, when, how long.</summary>
    public sealed record Compilation(string Method, int Thread, DateTime Start, double Milliseconds);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        listenerThread = CurrentThread();
        if (e.Payload is not { } payload)
        {
            return;
        }

        if (e.EventId == MethodJittingStarted)
        {
            compiling[Convert.ToUInt64(payload[0])] = (e.TimeStamp, ShortName($"{payload[4]}:{payload[5]}"));
        }
        else if (e.EventId == MethodLoadVerbose && compiling.TryRemove(Convert.ToUInt64(payload[0]), out var started))
        {
            compiled.Enqueue(new(started.Name, (int)e.OSThreadId, started.Start, (e.TimeStamp - started.Start).TotalMilliseconds));
        }
    }

    /// <summary>The compilations that started in [from, to), longest first.</summary>
    public IReadOnlyList<Compilation> Between(DateTime from, DateTime to) =>
        compiled.Where(c => c.Start >= from && c.Start < to && c.Thread != listenerThread).OrderByDescending(c => c.Milliseconds).ToList();

    /// <summary>The threads' totals, then the <paramref name="top"/> longest compilations with their start after <paramref name="from"/>.</summary>
    public void Print(DateTime from, DateTime to, int callingThread, int top)
    {
        IReadOnlyList<Compilation> all = Between(from, to);
        foreach (IGrouping<int, Compilation> thread in all.GroupBy(c => c.Thread).OrderByDescending(g => g.Sum(c => c.Milliseconds)))
        {
            string who = thread.Key == callingThread ? "calling thread" : $"thread {thread.Key}";
            Console.WriteLine($"  {who,-16} {thread.Count(),4} methods, {thread.Sum(c => c.Milliseconds),6:F1} ms from their compilations' starts to their code");
        }

        foreach (Compilation c in all.Take(top))
        {
            string who = c.Thread == callingThread ? "calling" : $"{c.Thread}";
            Console.WriteLine($"  {c.Milliseconds,6:F1} ms  at +{(c.Start - from).TotalMilliseconds,5:F0} ms  on {who,-8} {c.Method}");
        }
    }

    /// <summary>The operating system's id of the calling thread, as the events give it (-1 where it is not known here).</summary>
    public static int CurrentThread() => OperatingSystem.IsLinux() ? gettid() : OperatingSystem.IsWindows() ? GetCurrentThreadId() : -1;

    /// <summary><c>Type:Method</c> without namespaces, generic arguments and arities, and a generated file-local type's prefix.</summary>
    private static string ShortName(string name)
    {
        string previous;
        do
        {
            previous = name;
            name = InnermostBrackets().Replace(name, "");
        }
        while (name != previous);

        name = FileLocalPrefix().Replace(Arity().Replace(name, ""), "");
        int colon = name.IndexOf(':');
        string type = name[..colon];
        return type[(type.LastIndexOf('.') + 1)..] + name[colon..];
    }

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex InnermostBrackets();

    [GeneratedRegex(@"`\d+")]
    private static partial Regex Arity();

    [GeneratedRegex(@"<[^<>]*>[0-9A-F]+__")]
    private static partial Regex FileLocalPrefix();

    [DllImport("libc")]
    private static extern int gettid();

    [DllImport("kernel32")]
    private static extern int GetCurrentThreadId();
}
