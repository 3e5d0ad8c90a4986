namespace ContextForge.SessionLogging.Journal;

/// <summary>The header keys every journal line carries, before the event's own fields.</summary>
internal static class JournalLine
{
    /// <summary>The format this version writes (docs/journal-format.md). Readers take <see cref="LegacyVersion"/> too.</summary>
    public const int SchemaVersion = 2;
    /// <summary>Format 1: one writer per segment, provenance, activity id and segment name on every line.</summary>
    public const int LegacyVersion = 1;
    public const string Version = "v";
    public const string Event = "event";
    public const string Timestamp = "ts";
    public const string SessionId = "session_id";
    public const string Sequence = "seq";
    public const string Level = "level";
    public const string Keywords = "keywords";
    public const string ActivityId = "activity_id";
    public const string Segment = "segment";
    public const string PreviousHash = "prev";
    /// <summary>Format 2: the <c>seq</c> of the segment's <see cref="WriterEvent"/> line whose provenance the event has.</summary>
    public const string ProvenanceRef = "prov";
    /// <summary>
    /// Format 2: on a <c>TerminalCapture</c>, the <c>seq</c> of its operation's <c>OperationStarted</c> line in the same
    /// segment, whose identifying fields (<see cref="JournalCompaction.StartFields"/>) the capture has and leaves out.
    /// </summary>
    public const string OperationRef = "op";
    /// <summary>Format 2: the bit set of fields left out because they are derivable (<see cref="JournalCompaction"/>).</summary>
    public const string Derived = JournalCompaction.DerivedKey;

    /// <summary>
    /// Format 2: the line a writer appends before its first event in a segment: its provenance and the session's
    /// activity id, which its events refer to by <see cref="ProvenanceRef"/>. Not an event of the session.
    /// </summary>
    public const string WriterEvent = "Writer";

    /// <summary>The hash-chain value the first line of a segment points at.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>The header keys of a format-1 line: any other key is a field.</summary>
    public static readonly HashSet<string> LegacyHeaderKeys =
        [Version, Event, Timestamp, SessionId, Sequence, Level, Keywords, ActivityId, Segment, PreviousHash];

    /// <summary>The header keys of a format-2 line (a caller's field of one of these names is journaled as <c>field_&lt;name&gt;</c>).</summary>
    public static readonly HashSet<string> HeaderKeys =
        [Version, Event, Timestamp, SessionId, Sequence, Level, Keywords, ActivityId, Segment, PreviousHash, ProvenanceRef, OperationRef, Derived];
}
