namespace ContextForge.SessionLogging.Journal;

/// <summary>The header keys every journal line carries, before the event's own fields.</summary>
internal static class JournalLine
{
    public const int SchemaVersion = 1;
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

    /// <summary>The hash-chain value the first line of a segment points at.</summary>
    public static readonly string GenesisHash = new('0', 64);

    public static readonly HashSet<string> HeaderKeys =
        [Version, Event, Timestamp, SessionId, Sequence, Level, Keywords, ActivityId, Segment, PreviousHash];
}
