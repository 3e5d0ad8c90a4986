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

    /// <summary>
    /// Whether secrets are replaced with <c>[REDACTED:&lt;pattern&gt;]</c> before anything is written (journal fields,
    /// captured output, blobs, samples, provider events). Default: true. See docs/reliability.md for the patterns and
    /// <c>&lt;data root&gt;/redaction.json</c> for adding your own.
    /// </summary>
    public bool Redact { get; set; } = true;

    /// <summary>
    /// A gitleaks-format (v8 TOML) rules file to redact with, in addition to the built-in rules and
    /// <c>&lt;data root&gt;/redaction.json</c>; null (the default) reads <c>&lt;data root&gt;/redaction.toml</c> when it
    /// exists. A rule that cannot be used is reported in one line through <see cref="Warning"/> and the others apply
    /// (docs/redaction.md).
    /// </summary>
    public string? RedactionRulesFile { get; set; }

    /// <summary>
    /// The most bytes of each output stream of one operation that are stored; beyond it the stream is still shown and
    /// counted but not stored, and the capture records <c>output_truncated: true</c> with the true length in
    /// <c>output_received_length</c> (same for stderr). Null (the default): no cap, everything is stored.
    /// </summary>
    public long? MaxOutputBytes { get; set; }

    /// <summary>The name recorded as the tool in provenance. Default: the library's name.</summary>
    public string ToolName { get; set; } = "ContextForge.SessionLogging";

    /// <summary>
    /// Receives one-line warnings that do not stop recording (a malformed <c>milestones.json</c>). Every warning is
    /// also written to the <c>ContextForge.SessionLogging.Diagnostics</c> provider (<see cref="Telemetry.SelfDiagnostics"/>);
    /// the library never writes to the console itself. Default: null.
    /// </summary>
    public Action<string>? Warning { get; set; }

    /// <summary>
    /// Sinks of your own: each receives every event of every session this manager opens, after redaction and after the
    /// journal (so <see cref="Events.SessionEvent.Sequence"/> is set), in this order. A sink that throws has the event
    /// counted as dropped in its <see cref="Events.SinkStatistics"/>; the recording code never sees the exception.
    /// </summary>
    public IList<Events.ISessionEventSink> Sinks { get; } = [];

    /// <summary>
    /// Observers of your own: called for each event the journal stored, after every sink (the post-commit stage, where
    /// milestones run). An exception is reported through <see cref="Telemetry.SelfDiagnostics"/> and not passed on.
    /// </summary>
    public IList<Events.ISessionEventObserver> Observers { get; } = [];
}
