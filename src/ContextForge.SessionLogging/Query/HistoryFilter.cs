using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Query;

/// <summary>What history and search filter on; every criterion is optional and they combine with AND.</summary>
public sealed record HistoryFilter
{
    /// <summary>Only events at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events at or before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>The event kinds: <see cref="SessionKeywords.Session"/> (SessionStart/End), <see cref="SessionKeywords.Terminal"/> (operations), <see cref="SessionKeywords.Achievement"/>. Default: all three.</summary>
    public SessionKeywords Keywords { get; init; } = SessionKeywords.Session | SessionKeywords.Terminal | SessionKeywords.Achievement;

    /// <summary>A session (correlation) id or a prefix of one.</summary>
    public string? Session { get; init; }

    /// <summary>The session name contains this text.</summary>
    public string? Name { get; init; }

    /// <summary>The session type is exactly this.</summary>
    public string? Type { get; init; }

    /// <summary>Substring of the command line; a leading <c>^</c> anchors it as a prefix.</summary>
    public string? Command { get; init; }

    /// <summary>The working directory (a full path) or any directory below it.</summary>
    public string? Cwd { get; init; }

    /// <summary>Recorded on this host.</summary>
    public string? Host { get; init; }

    /// <summary>Only failed operations (<see cref="OperationOutcome.IsFailed"/>).</summary>
    public bool Failed { get; init; }

    /// <summary>Only operations that exited with this code.</summary>
    public long? ExitCode { get; init; }

    /// <summary>Only achievements of this type.</summary>
    public string? AchievementType { get; init; }

    /// <summary>At most this many results, newest first; 0 (or less) for all.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Skip this many results first (paging: the next page starts at <c>Offset + Limit</c>).</summary>
    public int Offset { get; init; }
}

/// <summary>What the session list filters on; every criterion is optional and they combine with AND.</summary>
public sealed record SessionFilter
{
    /// <summary>Only sessions that started at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>The session name contains this text.</summary>
    public string? Name { get; init; }

    /// <summary>The session type is exactly this.</summary>
    public string? Type { get; init; }

    /// <summary>Recorded on this host.</summary>
    public string? Host { get; init; }

    /// <summary>Only sessions with at least one failed operation.</summary>
    public bool Failed { get; init; }

    /// <summary>At most this many sessions, newest start first; 0 (or less) for all.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Skip this many sessions first (paging).</summary>
    public int Offset { get; init; }
}
