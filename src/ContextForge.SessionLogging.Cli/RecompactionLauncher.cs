using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// After a <c>run</c> that stored a blob, and after a <c>shell</c> that wrote a stream file: starts
/// <c>cfsession __recompact --session ID</c> detached (through <c>sh -c '… &amp;'</c>, its stdio on /dev/null, at the
/// lowest CPU priority) and returns at once, so the blob the capture path stored without compression, or the shell's
/// raw stream, is compressed without waiting for <c>reindex</c> or <c>prune</c>, and the command never waits for it. <c>CFSESSION_RECOMPACT=off</c> turns it off (blobs and streams then stay uncompressed
/// until <c>reindex</c> or <c>prune</c>).
/// </summary>
internal static class RecompactionLauncher
{
    /// <summary>The environment variable that turns the background recompaction off (<c>off</c>).</summary>
    public const string Variable = "CFSESSION_RECOMPACT";

    public static bool IsWanted(CliContext context) =>
        !string.Equals(context.GetEnvironment(Variable), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts the background recompaction; false (and nothing started) when this process is not cfsession itself or off Unix.</summary>
    public static bool Start(DataDirectory data, string sessionId) =>
        DetachedCfsession.Start(data, "cfsession-recompact", Commands.RecompactCommand.Name + " --session \"$CFSESSION_RECOMPACT_ID\"", ("CFSESSION_RECOMPACT_ID", sessionId));
}
