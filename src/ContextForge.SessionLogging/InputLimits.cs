namespace ContextForge.SessionLogging;

/// <summary>
/// The resource limits on every input a user or another process controls, in one place (docs/reliability.md,
/// "Resource limits", lists each with what happens beyond it and the test that proves it). Command-line input beyond
/// a limit is a one-line usage error (exit 64); data read from disk beyond a limit is reported and skipped, never
/// read whole into memory; a provider event beyond a limit is truncated with a visible marker and counted.
/// </summary>
internal static class InputLimits
{
    /// <summary>
    /// The longest journal line, in bytes, the writer writes and the reader reads into memory. The biggest line
    /// cfsession itself produces is a capture with two 16 KiB inline outputs (at most ~200 KB escaped) and a command
    /// line within the kernel's 2 MiB ARG_MAX (at most ~12 MB escaped as <c>\uXXXX</c>); 64 MiB leaves room for a
    /// library caller's own fields. A longer event is dropped by the writer (counted, with the reason); a longer
    /// line on disk (garbage, tampering) is reported as <c>OversizedLine</c> and skipped up to the next newline.
    /// </summary>
    public const int MaxJournalLineBytes = 64 * 1024 * 1024;

    /// <summary>The largest configuration file read (<c>redaction.json</c>, <c>milestones.json</c>).</summary>
    public const int MaxConfigFileBytes = 256 * 1024;

    /// <summary>The most milestones <c>milestones.json</c> may define.</summary>
    public const int MaxMilestones = 256;

    /// <summary>The longest milestone description in <c>milestones.json</c> (characters).</summary>
    public const int MaxMilestoneDescriptionChars = 1024;

    /// <summary>The longest achievement description or achievement type given on the command line (characters).</summary>
    public const int MaxDescriptionChars = 16 * 1024;

    /// <summary>The most <c>--evidence</c> / <c>--data</c> entries one command takes.</summary>
    public const int MaxEvidenceEntries = 256;

    /// <summary>The longest evidence key (characters).</summary>
    public const int MaxEvidenceKeyChars = 128;

    /// <summary>The longest evidence value (characters).</summary>
    public const int MaxEvidenceValueChars = 16 * 1024;

    /// <summary>The longest session name, type or methodology given on the command line (characters).</summary>
    public const int MaxSessionLabelChars = 256;

    /// <summary>The longest <c>search</c> query (characters, words joined by spaces).</summary>
    public const int MaxSearchQueryChars = 1024;

    /// <summary>The most words in a <c>search</c> query (each becomes one FTS5 phrase, all ANDed).</summary>
    public const int MaxSearchTerms = 32;

    /// <summary>The longest text filter of <c>history</c>/<c>search</c> (<c>--name</c>, <c>--command</c>, <c>--cwd</c>, ...), in characters.</summary>
    public const int MaxFilterTextChars = 4096;

    /// <summary>The longest duration an option takes (<c>--since</c>, <c>--older-than</c>, <c>--duration</c>, <c>--days-back</c>): 100 years.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(36_500);

    /// <summary>The largest size an option takes (<c>--max-output</c>, <c>--max-size</c>): 1 PiB.</summary>
    public const long MaxSizeBytes = 1L << 50;

    /// <summary>The longest session id or prefix accepted from an argument or <c>CFSESSION_ID</c> (a UUID's 36 characters).</summary>
    public const int MaxSessionIdChars = 36;

    /// <summary>
    /// The longest string written in one field of a <c>ContextForge.SessionLogging</c> provider event (UTF-16
    /// characters). ETW drops an event over 64 KB whole, and EventSource reports no error; at 4,096 characters
    /// (8 KiB) per string the largest event (5 free-text strings + ids) stays under 48 KiB. A longer string is cut
    /// and ends with <see cref="TruncationMarker"/>; the sink counts the event in <c>truncated</c>.
    /// </summary>
    public const int MaxProviderStringChars = 4096;

    /// <summary>
    /// The longest <c>Fields</c> JSON of a <c>ContextForge.UnifiedTelemetry</c> event (UTF-16 characters; 32 KiB
    /// on the wire). Beyond it, string values are cut to <see cref="MaxProviderStringChars"/> with the marker; if
    /// that is still too long, the fields are replaced by <c>{"fields_truncated": true, "field_count": N}</c>.
    /// </summary>
    public const int MaxProviderFieldsChars = 16 * 1024;

    /// <summary>What a truncated provider string ends with (the count of characters cut follows in the text).</summary>
    public const string TruncationMarker = "…[truncated]";

    /// <summary>The longest <c>Fields</c> JSON a trace reader decodes (UTF-16 characters); another process writes it.</summary>
    public const int MaxTraceFieldsChars = 1024 * 1024;

    /// <summary>The deepest nesting a trace reader accepts in <c>Fields</c> JSON.</summary>
    public const int MaxTraceFieldsDepth = 16;

    /// <summary>The most fields a trace reader decodes from one event's <c>Fields</c>.</summary>
    public const int MaxTraceFieldCount = 1024;
}
