using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// Where the MCP server's writes go (<c>log_achievement</c>, <c>record_milestone</c>, <c>run_command</c>): the call's
/// <c>session_id</c>, else the session named by <c>CFSESSION_ID</c> in the server's environment, else the server's own
/// session, opened at the first write and ended when the server exits (a server only read from leaves no empty session).
/// </summary>
internal sealed class WriteSessions(CliContext context, SessionManager manager) : IDisposable
{
    /// <summary>The type of the server's own session.</summary>
    public const string OwnSessionType = "mcp";

    private readonly object _gate = new();
    private Session? _own;

    /// <summary>The session a write goes to, and whether the caller disposes it after the write (a joined session).</summary>
    public (Session Session, bool DisposeAfter) For(string? sessionId)
    {
        if (context.CurrentSession(manager, sessionId) is { } id) return (manager.Join(id), true);
        lock (_gate)
        {
            _own ??= manager.Start("cfsession mcp", OwnSessionType);
            return (_own, false);
        }
    }

    /// <summary>
    /// Runs one write in the session it goes to (checked writable first), and lets a joined session go after it: the
    /// one way every write tool records.
    /// </summary>
    public async ValueTask<T> WriteAsync<T>(string? sessionId, Func<Session, ValueTask<T>> write)
    {
        if (manager.Data.CheckWritable() is { } problem) throw new IOException($"cannot write to {manager.Data.Root}: {problem}");
        var (session, disposeAfter) = For(sessionId);
        try
        {
            return await write(session).ConfigureAwait(false);
        }
        finally
        {
            if (disposeAfter) session.Dispose();
        }
    }

    /// <summary><see cref="WriteAsync{T}"/> for a write that does not wait.</summary>
    public T Write<T>(string? sessionId, Func<Session, T> write) =>
        WriteAsync(sessionId, session => ValueTask.FromResult(write(session))).AsTask().GetAwaiter().GetResult();

    /// <summary>Ends the server's own session, if a write opened it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _own?.Dispose();
            _own = null;
        }
    }
}
