using System;

namespace MultiMax.Torch;

/// <summary>
/// Why the last backward through a generated autograd function (<c>&lt;Name&gt;Function</c>) failed. The native autograd
/// engine cannot carry a managed exception out of a backward, so the backward keeps it here and makes the engine fail
/// instead: <c>Tensor.backward()</c> then throws an <c>ExternalException</c> ("Function CSharpNode returned an invalid
/// gradient …"), and <see cref="Last"/> says what really went wrong — for example, that an input of the forward was
/// modified in place before the backward. (Editing a generated function's <em>output</em> in place is refused at once,
/// by PyTorch, with a message of its own.)
/// </summary>
public static class BackwardFailures
{
    private static volatile Failure? last;

    /// <summary>The last failure: the function's name and the exception its backward caught; null when none failed.</summary>
    public static Failure? Last => last;

    /// <summary>Forgets the last failure.</summary>
    public static void Clear() => last = null;

    internal static void Record(string function, Exception exception) => last = new Failure(function, exception);

    /// <summary>One failed backward.</summary>
    /// <param name="Function">The autograd function's name, e.g. <c>MultiMax2</c>.</param>
    /// <param name="Exception">What its backward caught.</param>
    public sealed record Failure(string Function, Exception Exception)
    {
        /// <inheritdoc/>
        public override string ToString() => $"The backward of {Function} failed: {Exception.Message}";
    }
}
