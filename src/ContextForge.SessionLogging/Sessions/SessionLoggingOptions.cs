using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>Settings of a <see cref="SessionManager"/>.</summary>
public sealed class SessionLoggingOptions
{
    /// <summary>Where journals are written; null means <see cref="DataDirectory.Default"/>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>How hard each journal line is pushed to disk. Default: fsync per event.</summary>
    public JournalDurability Durability { get; set; } = JournalDurability.FsyncPerEvent;

    /// <summary>How often <see cref="JournalDurability.FsyncPerInterval"/> fsyncs a segment with unsynced lines. Default: 1 s.</summary>
    public TimeSpan FsyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether events are also emitted through the <c>ContextForge.SessionLogging</c> provider. Default: true.</summary>
    public bool EmitToProvider { get; set; } = true;

    /// <summary>The name recorded as the tool in provenance. Default: the library's name.</summary>
    public string ToolName { get; set; } = "ContextForge.SessionLogging";

    /// <summary>
    /// Receives one-line warnings that do not stop recording (a malformed <c>milestones.json</c>). Default: written
    /// to standard error prefixed with <c>cfsession: </c>; null silences them.
    /// </summary>
    public Action<string>? Warning { get; set; } = message => Console.Error.WriteLine("cfsession: " + message);
}
