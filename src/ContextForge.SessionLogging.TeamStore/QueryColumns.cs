using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// The columns the team store's queries filter, sort and show, derived from one journal line exactly as the local
/// index derives its rows (<see cref="JournalIndexer"/>): the line parsed in its segment's context (Writer lines,
/// OperationStarted lines), the event's fields without inline output, and for a capture its searchable text.
/// </summary>
internal sealed record QueryColumns(long TsTicks, long LineNumber, int? Level, long? Keywords, string? OperationId, string? OperationName,
    string? Cwd, long? ExitCode, bool? Failed, string? AchievementType, Guid? ActivityId, long? StartTicks, string? Fields, string? WriterProvenance,
    string? SearchText)
{
    /// <summary>The columns of one line; a line that does not parse keeps only its time and line number (queries skip it, as the index does).</summary>
    public static QueryColumns Of(ReadOnlySpan<byte> line, long lineNumber, DateTime timestamp, SegmentContext context, string sessionDirectory)
    {
        long ticks = IndexTime.Of(new DateTimeOffset(timestamp, TimeSpan.Zero));
        ParsedLine parsed;
        try
        {
            parsed = JournalReader.ParseLine(line, context);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return new QueryColumns(ticks, lineNumber, null, null, null, null, null, null, null, null, null, null, null, null, null);
        }
        if (parsed.Event is not { } e)
        {
            return new QueryColumns(ticks, lineNumber, null, null, null, null, null, null, null, null, null, null, null,
                parsed.Writer?.Provenance.ToJsonString(), null);
        }
        ticks = IndexTime.Of(e.Timestamp);
        var fields = e.Fields;
        bool capture = e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed;
        string? search = capture ? WithoutNul(SearchableText.Of(fields, sessionDirectory)) : null;
        string? cwd = e.GetString(JournalFields.Cwd) ?? (fields[JournalFields.Provenance]?[JournalFields.Cwd] is JsonValue c && c.TryGetValue(out string? pc) ? pc : null);
        long? startTicks = e.Name == SessionEventNames.SessionStart && SessionManager.ParseTime(e.GetString(JournalFields.StartTime)) is { } start ? IndexTime.Of(start) : null;
        var shown = (JsonObject)fields.DeepClone();
        shown.Remove(JournalFields.Output);
        shown.Remove(JournalFields.Stderr);
        return new QueryColumns(ticks, lineNumber, (int)e.Level, (long)e.Keywords, WithoutNul(e.GetString(JournalFields.OperationId)), WithoutNul(e.GetString(JournalFields.OperationName)),
            WithoutNul(cwd), e.GetInt64(JournalFields.ExitCode), OperationOutcome.IsFailed(e), WithoutNul(e.GetString(JournalFields.AchievementType)),
            e.ActivityId == Guid.Empty ? null : e.ActivityId, startTicks, shown.ToJsonString(), null, search is { Length: > 0 } ? search : null);
    }

    /// <summary>
    /// A segment's parse context as it stands after the lines before <paramref name="offset"/> (a sync that resumes in
    /// the middle of a segment reads its beginning again for the Writer and OperationStarted lines later lines refer to).
    /// </summary>
    public static SegmentContext ContextAt(FileStream stream, string segmentName, long offset)
    {
        var context = new SegmentContext(segmentName);
        if (offset == 0) return context;
        stream.Seek(0, SeekOrigin.Begin);
        long read = 0;
        foreach (var (line, complete, oversized) in JournalReader.ReadLines(stream, InputLimits.MaxJournalLineBytes))
        {
            if (!complete || read >= offset) break;
            read += (oversized > 0 ? oversized : line.Length) + 1;
            if (oversized > 0 || line.Length == 0) continue;
            try { JournalReader.ParseLine(line.Span, context); }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException) { }
        }
        return context;
    }

    // PostgreSQL text holds no NUL (the line itself is stored as bytes, exactly).
    private static string? WithoutNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal) ? text.Replace("\0", "", StringComparison.Ordinal) : text;
}
