namespace ContextForge.SessionLogging.Capture;

/// <summary>What to run: the program, its arguments, the working directory and environment additions.</summary>
/// <param name="Program">The program, looked up on PATH like a shell does when it has no '/'.</param>
/// <param name="Arguments">The arguments, passed unchanged.</param>
/// <param name="WorkingDirectory">The child's working directory.</param>
/// <param name="Environment">Variables to set (or, with a null value, remove) in the child's environment.</param>
internal sealed record CommandSpec(
    string Program,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string?> Environment)
{
    /// <summary>The command line as a user would type it (arguments quoted where needed).</summary>
    public string CommandLine => CommandLineOf(Program, Arguments);

    /// <summary>A command line as a user would type it, from a program and its arguments.</summary>
    internal static string CommandLineOf(string program, IReadOnlyList<string> arguments) => string.Join(' ', new[] { program }.Concat(arguments).Select(ShellQuote));

    internal static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%^".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The child's full environment: this process's, with <see cref="Environment"/> applied.</summary>
    public IReadOnlyList<string> BuildEnvironmentBlock()
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        foreach (var (k, v) in Environment)
        {
            if (v is null) env.Remove(k); else env[k] = v;
        }
        return env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
    }
}

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">The exit code, or 128+signal when a signal ended it (as a shell reports it).</param>
/// <param name="Signal">The signal that ended the child, when one did.</param>
/// <param name="ProcessId">The child's process id.</param>
/// <param name="Mode">"pty" or "pipes".</param>
internal sealed record CommandOutcome(int ExitCode, int? Signal, int ProcessId, string Mode);

/// <summary>The command could not be started (not found, not executable, ...).</summary>
internal sealed class CommandStartException(string message, int exitCode) : Exception(message)
{
    /// <summary>127 when the command was not found, 126 when it could not be executed (shell convention).</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Runs a child process, shows its output live exactly as without the wrapper, and hands every byte of its
/// output to the captures. Stdin is passed through.
/// </summary>
internal interface ICommandRunner
{
    /// <summary>Runs the command to completion. Throws <see cref="CommandStartException"/> when it cannot start.</summary>
    /// <param name="command">What to run.</param>
    /// <param name="primary">Receives the pty stream (pty mode) or stdout (pipe mode).</param>
    /// <param name="stderr">Receives stderr in pipe mode; unused in pty mode, where both share the terminal.</param>
    /// <param name="cancellationToken">Cancels waiting (the child is signalled).</param>
    Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken);
}

/// <summary>
/// Sees a pty stream chunk by chunk, in order, on the thread that reads it, after the chunk was shown, and stores it
/// in the capture itself (<c>cfsession shell</c> cuts the stored stream into its commands' ranges there).
/// Must not throw, and should return quickly (it delays the next read).
/// </summary>
internal interface IPtyStreamObserver
{
    /// <summary>The next chunk, exactly as read, for <paramref name="capture"/> (every byte, in order).</summary>
    void Observe(ReadOnlySpan<byte> data, CapturedOutput capture);

    /// <summary>
    /// The pty's window size: once before the child starts, then after each change (SIGWINCH, on the signal's thread).
    /// </summary>
    void WindowSize(int columns, int rows);
}
