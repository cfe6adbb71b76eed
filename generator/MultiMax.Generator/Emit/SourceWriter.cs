using System;
using System.Text;

namespace MultiMax.Generator.Emit;

/// <summary>Writes indented C# source, line by line, with braces that close themselves.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder text = new();
    private int depth;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            text.Append(' ', depth * 4);
        }

        text.Append(line).Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the result closes it.</summary>
    public Scope Block(string header)
    {
        Line(header);
        Line("{");
        depth++;
        return new Scope(this);
    }

    public override string ToString() => text.ToString();

    public readonly struct Scope : IDisposable
    {
        private readonly SourceWriter writer;

        public Scope(SourceWriter writer) => this.writer = writer;

        public void Dispose()
        {
            writer.depth--;
            writer.Line("}");
        }
    }
}
