using System.Text;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Routes <see cref="System.Console"/> output into the capture of the operation running on the current async
/// flow. Installed once per process (Console.Out and Console.Error are replaced by routing writers that always
/// write to the original streams), so overlapping captures on different threads each get their own output and
/// never restore each other's writers out of order.
/// </summary>
internal static class ConsoleRouter
{
    private static readonly AsyncLocal<TextWriter?> CurrentCapture = new();
    private static readonly object InstallGate = new();
    [ThreadStatic] private static bool t_suppress;
    // Console.SetOut wraps the writer in a synchronized one, so identity is checked against what Console returns.
    private static TextWriter? s_installedOut, s_installedError, s_originalOut;

    /// <summary>Makes sure System.Console writes through the router; returns the original stdout writer.</summary>
    public static TextWriter Install()
    {
        lock (InstallGate)
        {
            if (!ReferenceEquals(Console.Out, s_installedOut))
            {
                s_originalOut = Console.Out;
                Console.SetOut(new RoutingWriter(s_originalOut));
                s_installedOut = Console.Out;
            }
            if (!ReferenceEquals(Console.Error, s_installedError))
            {
                Console.SetError(new RoutingWriter(Console.Error));
                s_installedError = Console.Error;
            }
            return s_originalOut!;
        }
    }

    /// <summary>Sends this async flow's console output to <paramref name="capture"/>; returns the previous target.</summary>
    public static TextWriter? Enter(TextWriter capture)
    {
        var previous = CurrentCapture.Value;
        CurrentCapture.Value = capture;
        return previous;
    }

    /// <summary>Restores the previous target of this async flow.</summary>
    public static void Exit(TextWriter? previous) => CurrentCapture.Value = previous;

    /// <summary>
    /// Runs <paramref name="write"/> without recording what it sends to System.Console: the recording console
    /// already records that output itself, so a display that writes to System.Console must not add it twice.
    /// </summary>
    public static void WithoutCapture(Action write)
    {
        bool before = t_suppress;
        t_suppress = true;
        try { write(); }
        finally { t_suppress = before; }
    }

    private sealed class RoutingWriter(TextWriter original) : TextWriter
    {
        public TextWriter Original { get; } = original;

        public override Encoding Encoding => Original.Encoding;

        private static TextWriter? Target => t_suppress ? null : CurrentCapture.Value;

        public override void Write(char value)
        {
            Original.Write(value);
            Target?.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            Original.Write(buffer, index, count);
            Target?.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            Original.Write(buffer);
            Target?.Write(buffer);
        }

        public override void Write(string? value)
        {
            Original.Write(value);
            Target?.Write(value);
        }

        public override void WriteLine(string? value)
        {
            Original.WriteLine(value);
            if (Target is { } target)
            {
                target.Write(value);
                target.Write(CoreNewLine);
            }
        }

        public override void Flush() => Original.Flush();
    }
}
