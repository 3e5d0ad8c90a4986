namespace ContextForge.SessionLogging.Sessions;

/// <summary>No recorded session matches the given id or prefix.</summary>
public sealed class SessionNotFoundException : Exception
{
    /// <summary>Creates the exception for <paramref name="sessionId"/>.</summary>
    public SessionNotFoundException(string sessionId, string? detail = null)
        : base(Events.PrintableText.Escape(detail ?? $"no session '{sessionId}' in this data directory"))
    {
        SessionId = sessionId;
    }

    /// <summary>The id or prefix that matched nothing.</summary>
    public string SessionId { get; }
}
