namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// cfsession's own exit codes (documented in docs/cli.md). <c>run</c> otherwise exits with the child's code;
/// these follow sysexits.h so they rarely collide with a command's own codes.
/// </summary>
internal enum ExitCodes
{
    Success = 0,
    /// <summary><c>verify</c>: the trace and the journal differ in a way nothing explains (like diff's 1).</summary>
    Differences = 1,
    /// <summary>The command line was wrong: unknown option, missing argument, malformed --evidence.</summary>
    Usage = 64,
    /// <summary>The data was wrong: for example ending a session that has already ended.</summary>
    DataError = 65,
    /// <summary>No such session (unknown id, no current session).</summary>
    NoSession = 66,
    /// <summary>Tracing is unavailable: EventPipe disabled (DOTNET_EnableDiagnostics=0), no process to attach to, ETW off Windows, no trace written.</summary>
    TraceUnavailable = 69,
    /// <summary>An unexpected internal error (details with --verbose).</summary>
    Internal = 70,
    /// <summary>The journal could not be written (unwritable or full data directory).</summary>
    JournalUnavailable = 74,
    /// <summary><c>sync</c> and <c>--team</c> queries: the team store cannot be reached or went away; nothing is lost, the next sync retries (EX_TEMPFAIL).</summary>
    TeamStoreUnavailable = 75,
    /// <summary>The team store refused the login or the rows (not a member of the team's role) (EX_NOPERM).</summary>
    TeamStoreNotPermitted = 77,
    /// <summary>
    /// A configuration cfsession refuses (EX_CONFIG): no team store configured, its schema needs <c>sync --migrate</c>,
    /// its address file is readable by others, or its TLS certificate does not verify; <c>mcp --http</c>'s token file
    /// missing, empty or readable by others, or its port cannot be bound.
    /// </summary>
    Configuration = 78,
    /// <summary>The command exists but could not be executed (shell convention).</summary>
    CommandNotExecutable = 126,
    /// <summary>The command was not found (shell convention).</summary>
    CommandNotFound = 127,
}
