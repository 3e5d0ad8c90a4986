using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Journal;

/// <summary>What kind of fault a journal reader found.</summary>
public enum JournalProblemKind
{
    /// <summary>The last line of a segment is incomplete (a write was interrupted). Every earlier line is kept.</summary>
    TornLastLine,
    /// <summary>A complete line that is not a valid journal line.</summary>
    CorruptLine,
    /// <summary>A line's <c>prev</c> does not match the SHA-256 of the line before it.</summary>
    HashChainBreak,
    /// <summary>A line's sequence number is not one more than the previous line's.</summary>
    SequenceGap,
    /// <summary>
    /// A line longer than the journal line limit (64 MiB; no writer produces one): never read into memory, skipped
    /// up to the next newline, where reading continues.
    /// </summary>
    OversizedLine,
}

/// <summary>One fault found while reading a journal segment.</summary>
/// <param name="Path">The segment file.</param>
/// <param name="Line">The 1-based line number.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Message">A one-line description.</param>
public sealed record JournalProblem(string Path, long Line, JournalProblemKind Kind, string Message);

/// <summary>The events read from one or more segments, and every fault found on the way.</summary>
/// <param name="Events">Every intact event, in file order (or timestamp order for a session).</param>
/// <param name="Problems">Every fault; an empty list means the journal read cleanly.</param>
public sealed record JournalReadResult(IReadOnlyList<SessionEvent> Events, IReadOnlyList<JournalProblem> Problems);

/// <summary>
/// Reads journal segments back into <see cref="SessionEvent"/>s. Never throws on bad content: a torn final line,
/// a corrupt line, a broken hash chain or a sequence gap is reported and every intact line is kept.
/// Streams the file, so memory does not grow with the journal's size.
/// </summary>
public static class JournalReader
{
    /// <summary>The file extension of journal segments.</summary>
    public const string SegmentExtension = ".jsonl";

    /// <summary>Reads one segment file.</summary>
    public static JournalReadResult ReadSegment(string path) => ReadSegment(path, InputLimits.MaxJournalLineBytes);

    /// <summary>Reads one segment file, holding at most <paramref name="maxLineBytes"/> of a line in memory.</summary>
    internal static JournalReadResult ReadSegment(string path, int maxLineBytes)
    {
        var events = new List<SessionEvent>();
        var problems = new List<JournalProblem>();
        ReadSegmentInto(path, events, problems, maxLineBytes);
        return new JournalReadResult(events, problems);
    }

    /// <summary>Reads every segment of a session directory; events are ordered by timestamp, then segment and sequence.</summary>
    public static JournalReadResult ReadSession(string sessionDirectory)
    {
        var events = new List<SessionEvent>();
        var problems = new List<JournalProblem>();
        if (Directory.Exists(sessionDirectory))
        {
            foreach (string segment in Directory.EnumerateFiles(sessionDirectory, "*" + SegmentExtension).Order(StringComparer.Ordinal))
                ReadSegmentInto(segment, events, problems, InputLimits.MaxJournalLineBytes);
        }
        events.Sort(static (a, b) =>
        {
            int c = a.Timestamp.CompareTo(b.Timestamp);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.Segment, b.Segment);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        });
        return new JournalReadResult(events, problems);
    }

    /// <summary>
    /// True when a segment of the session has a SessionEnd among its last <paramref name="tailBytes"/> bytes: the
    /// session has ended (SessionEnd is followed at most by the few short lines of the milestones it reached). Reads
    /// only the tails, so asking costs the same however long the session is (a hook asks it on every call).
    /// </summary>
    internal static bool HasSessionEndNearTail(string sessionDirectory, int tailBytes = 64 * 1024)
    {
        if (!Directory.Exists(sessionDirectory)) return false;
        byte[] tail = new byte[tailBytes];
        foreach (string segment in Directory.EnumerateFiles(sessionDirectory, "*" + SegmentExtension))
        {
            int read;
            long from;
            try
            {
                using var handle = File.OpenHandle(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                long length = RandomAccess.GetLength(handle);
                from = Math.Max(0, length - tailBytes);
                read = RandomAccess.Read(handle, tail.AsSpan(0, (int)(length - from)), from);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // Whole lines only: the first (possibly cut) line of the tail is skipped unless the tail is the whole file.
            var text = tail.AsSpan(0, read);
            int start = from > 0 ? text.IndexOf((byte)'\n') + 1 : 0;
            while (start < read)
            {
                int end = text[start..].IndexOf((byte)'\n');
                if (end < 0) break; // a torn last line
                if (EventNameOf(text.Slice(start, end)) == SessionEventNames.SessionEnd) return true;
                start += end + 1;
            }
        }
        return false;

        static string? EventNameOf(ReadOnlySpan<byte> line)
        {
            var reader = new Utf8JsonReader(line);
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isEvent = reader.ValueTextEquals("event"u8);
                    if (!reader.Read()) return null;
                    if (isEvent) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
            }
            catch (JsonException)
            {
            }
            return null;
        }
    }

    /// <summary>
    /// The session's SessionStart, read without reading the rest of the journal: each segment (in name order, as
    /// <see cref="ReadSession"/> reads them) only up to its first SessionStart, which in a shared segment is its
    /// second line. Joining a session (every <c>run</c> and hook call that joins one) so costs the same however long
    /// the session is. Null when no segment holds a readable SessionStart.
    /// </summary>
    internal static SessionEvent? ReadSessionStart(string sessionDirectory)
    {
        if (!Directory.Exists(sessionDirectory)) return null;
        foreach (string segment in Directory.EnumerateFiles(sessionDirectory, "*" + SegmentExtension).Order(StringComparer.Ordinal))
        {
            try
            {
                using var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.SequentialScan);
                var context = new SegmentContext(Path.GetFileNameWithoutExtension(segment));
                foreach (var (line, complete, oversizedLength) in ReadLines(stream, InputLimits.MaxJournalLineBytes))
                {
                    if (!complete || oversizedLength > 0 || line.Length == 0) continue;
                    SessionEvent? e;
                    try
                    {
                        e = ParseLine(line.Span, context).Event;
                    }
                    catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
                    {
                        continue;
                    }
                    if (e?.Name == SessionEventNames.SessionStart) return e;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An unreadable segment holds no SessionStart we can use; the next may.
            }
        }
        return null;
    }

    private static void ReadSegmentInto(string path, List<SessionEvent> events, List<JournalProblem> problems, int maxLineBytes)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new JournalProblem(path, 0, JournalProblemKind.CorruptLine, $"cannot open: {ex.Message}"));
            return;
        }
        using (stream)
        {
            string? previousHash = JournalLine.GenesisHash;
            long previousSequence = 0;
            long lineNumber = 0;
            // Where each OperationStarted line is, so a capture that refers to one whose fields were taken already (a
            // second capture of the operation, e.g. a copied line) still finds them, without holding every start's fields.
            var starts = new Dictionary<long, (long Offset, int Length)>();
            var context = new SegmentContext(Path.GetFileNameWithoutExtension(path))
            {
                ResolveOperation = seq => starts.TryGetValue(seq, out var at) && StoredOutput.ReadLineFields(path, at.Offset, at.Length) is { } f ? JournalCompaction.StartFieldsOf(f) : null,
            };
            long offset = 0;
            foreach (var (line, complete, oversizedLength) in ReadLines(stream, maxLineBytes))
            {
                lineNumber++;
                long lineOffset = offset;
                offset += (oversizedLength > 0 ? oversizedLength : line.Length) + 1;
                if (oversizedLength > 0)
                {
                    problems.Add(new JournalProblem(path, lineNumber, JournalProblemKind.OversizedLine,
                        $"line {lineNumber} is {oversizedLength} bytes{(complete ? "" : " with no newline")}, over the {maxLineBytes}-byte journal line limit: skipped, not read"));
                    // The next line's prev cannot match a hash we never computed: start its chain check afresh.
                    previousHash = null;
                    continue;
                }
                if (!complete)
                {
                    problems.Add(new JournalProblem(path, lineNumber, JournalProblemKind.TornLastLine,
                        $"line {lineNumber} is incomplete ({line.Length} bytes, no newline): an interrupted write; earlier lines are intact"));
                    break;
                }
                if (line.Length == 0) continue;
                string hash = LineHash.Hex(line.Span);
                ParsedLine parsed;
                try
                {
                    parsed = ParseLine(line.Span, context);
                }
                catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
                {
                    problems.Add(new JournalProblem(path, lineNumber, JournalProblemKind.CorruptLine, $"line {lineNumber} is not a journal line: {Printable(ex.Message)}"));
                    previousHash = hash;
                    continue;
                }
                if (previousHash is not null && parsed.PreviousHash != previousHash)
                {
                    problems.Add(new JournalProblem(path, lineNumber, JournalProblemKind.HashChainBreak,
                        $"line {lineNumber}: prev {Short(parsed.PreviousHash)} does not match the previous line's SHA-256 {Short(previousHash)}"));
                }
                if (parsed.Sequence != previousSequence + 1)
                {
                    problems.Add(new JournalProblem(path, lineNumber, JournalProblemKind.SequenceGap,
                        $"line {lineNumber}: sequence {parsed.Sequence} follows {previousSequence}"));
                }
                previousSequence = parsed.Sequence;
                previousHash = hash;
                if (parsed.Event is { } e)
                {
                    events.Add(e);
                    if (e.Name == SessionEventNames.OperationStarted) starts[parsed.Sequence] = (lineOffset, line.Length);
                }
            }
        }
    }

    /// <summary>
    /// The parser's message with control characters escaped: System.Text.Json quotes the bad token, so a line holding
    /// <c>t\r</c> or an escape sequence would put a raw CR/ESC into the problem <c>validate</c> prints. Problems are
    /// one printable line.
    /// </summary>
    internal static string Printable(string message) => PrintableText.Escape(message);

    private static string Short(string? hash) => hash is null ? "(none)" : hash.Length > 12 ? hash[..12] : hash;

    /// <summary>Parses one journal line (without its newline) of a segment of either format, outside any context (tests, tools).</summary>
    internal static (SessionEvent Event, string? PreviousHash) ParseLine(ReadOnlySpan<byte> line)
    {
        var parsed = ParseLine(line, new SegmentContext(string.Empty));
        return (parsed.Event ?? throw new FormatException("a Writer line, not an event"), parsed.PreviousHash);
    }

    /// <summary>
    /// Parses one journal line (without its newline). A format-2 Writer line is remembered in
    /// <paramref name="context"/> and gives no event; a format-2 event gets its provenance and activity id from the
    /// Writer line it refers to, and its derivable fields back, so both formats read to the same event.
    /// </summary>
    internal static ParsedLine ParseLine(ReadOnlySpan<byte> line, SegmentContext context)
    {
        if (JsonNode.Parse(line) is not JsonObject obj) throw new FormatException("not a JSON object");
        int version = Required(obj, JournalLine.Version).GetValue<int>();
        if (version is not (JournalLine.SchemaVersion or JournalLine.LegacyVersion)) throw new FormatException($"unsupported schema version {version}");
        string name = Required(obj, JournalLine.Event).GetValue<string>();
        string timestampText = Required(obj, JournalLine.Timestamp).GetValue<string>();
        var timestamp = DateTimeOffset.Parse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        long sequence = Required(obj, JournalLine.Sequence).GetValue<long>();
        string? prev = obj[JournalLine.PreviousHash]?.GetValue<string>();
        if (version == JournalLine.SchemaVersion && name == JournalLine.WriterEvent) return ParseWriterLine(obj, sequence, prev, context);
        // Format 2 leaves out the session id when the Writer line holds it, and the level and keywords when the contract gives them.
        WriterLine? referred = version == JournalLine.SchemaVersion && obj[JournalLine.ProvenanceRef] is { } r ? WriterOf(context, r.GetValue<long>()) : null;
        string sessionId = obj[JournalLine.SessionId] is { } sid ? sid.GetValue<string>()
            : referred?.SessionId ?? throw new FormatException($"missing \"{JournalLine.SessionId}\"");
        var contract = EventContracts.For(name);
        bool typed = version == JournalLine.SchemaVersion && contract.Name == name && contract.Name.Length > 0;
        var level = obj[JournalLine.Level] is { } l ? (EventLevel)l.GetValue<int>() : typed ? contract.Level : throw new FormatException($"missing \"{JournalLine.Level}\"");
        var keywords = obj[JournalLine.Keywords] is { } kw ? (SessionKeywords)kw.GetValue<long>() : typed ? contract.Keywords : throw new FormatException($"missing \"{JournalLine.Keywords}\"");
        var fields = new JsonObject();
        Guid activityId;
        string segment;
        if (version == JournalLine.LegacyVersion)
        {
            activityId = Guid.Parse(Required(obj, JournalLine.ActivityId).GetValue<string>());
            segment = obj[JournalLine.Segment]?.GetValue<string>() ?? context.SegmentName;
            foreach (var key in obj.Select(kv => kv.Key).ToList())
            {
                if (JournalLine.LegacyHeaderKeys.Contains(key)) continue;
                var value = obj[key];
                obj.Remove(key);
                fields[key] = value;
            }
        }
        else
        {
            segment = context.SegmentName;
            WriterLine? writer = referred;
            activityId = obj[JournalLine.ActivityId] is { } a ? Guid.Parse(a.GetValue<string>()) : writer?.ActivityId ?? Guid.Empty;
            int derived = obj[JournalLine.Derived]?.GetValue<int>() ?? 0;
            foreach (var key in obj.Select(kv => kv.Key).ToList())
            {
                if (key == JournalLine.ProvenanceRef && writer is not null)
                {
                    // The writer's provenance, with the keys this event recorded differently.
                    fields[JournalFields.Provenance] = Merge(writer.Provenance, obj[JournalFields.Provenance] as JsonObject);
                    continue;
                }
                if (JournalLine.HeaderKeys.Contains(key) || key == JournalFields.Provenance && writer is not null) continue;
                var value = obj[key];
                obj.Remove(key);
                fields[key] = value;
            }
            // A capture's start fields come from its OperationStarted line (taken: no second capture refers to it).
            if (obj[JournalLine.OperationRef] is { } opRef)
            {
                long startSeq = opRef.GetValue<long>();
                var start = (context.Operations.Remove(startSeq, out var s) ? s : context.ResolveOperation?.Invoke(startSeq))
                    ?? throw new FormatException($"refers to OperationStarted line {startSeq}, which this segment does not hold");
                JournalCompaction.RestoreStartFields(name, fields, start);
            }
            JournalCompaction.Restore(name, fields, sessionId, activityId, timestampText, derived);
            if (name == SessionEventNames.OperationStarted && JournalCompaction.StartFieldsOf(fields) is { } startFields) context.Operations[sequence] = startFields;
        }
        var e = new SessionEvent(name, timestamp, sessionId, activityId, level, keywords, fields)
        {
            Sequence = sequence,
            Segment = segment,
        };
        return new ParsedLine(e, prev, sequence, null);
    }

    /// <summary>
    /// A Writer line: a full one, or a delta against the segment's first Writer line (<c>prov</c>): the base's
    /// provenance with this line's keys put over it, and the base's session and activity id unless this line has its own.
    /// </summary>
    private static ParsedLine ParseWriterLine(JsonObject obj, long sequence, string? prev, SegmentContext context)
    {
        var own = Required(obj, JournalFields.Provenance) as JsonObject ?? throw new FormatException("a Writer line's provenance is not an object");
        WriterLine? baseLine = obj[JournalLine.ProvenanceRef] is { } r ? WriterOf(context, r.GetValue<long>()) : null;
        JsonObject provenance = baseLine is null ? own : Merge(baseLine.Provenance, own);
        string sessionId = obj[JournalLine.SessionId] is { } s ? s.GetValue<string>() : baseLine?.SessionId ?? throw new FormatException($"missing \"{JournalLine.SessionId}\"");
        var activityId = obj[JournalLine.ActivityId] is { } a ? Guid.Parse(a.GetValue<string>()) : baseLine?.ActivityId ?? throw new FormatException($"missing \"{JournalLine.ActivityId}\"");
        var writer = new WriterLine(sequence, provenance, activityId, sessionId) { IsDelta = baseLine is not null };
        context.Writers[sequence] = writer;
        return new ParsedLine(null, prev, sequence, writer);
    }

    /// <summary>A copy of <paramref name="provenance"/> with <paramref name="delta"/>'s keys put over it (its order kept, new keys last).</summary>
    private static JsonObject Merge(JsonObject provenance, JsonObject? delta)
    {
        var merged = (JsonObject)provenance.DeepClone();
        if (delta is not null)
        {
            foreach (var (key, value) in delta) merged[key] = value?.DeepClone();
        }
        return merged;
    }

    private static WriterLine WriterOf(SegmentContext context, long writerSeq) =>
        context.Writers.GetValueOrDefault(writerSeq) ?? context.Resolve?.Invoke(writerSeq)
        ?? throw new FormatException($"refers to Writer line {writerSeq}, which this segment does not hold");

    private static JsonNode Required(JsonObject obj, string key) =>
        obj[key] ?? throw new FormatException($"missing \"{key}\"");

    /// <summary>
    /// Splits a stream into lines without materialising the file; the last item may be incomplete. A line longer
    /// than <paramref name="maxLineBytes"/> is never held: its bytes are counted and dropped up to the next newline,
    /// and it comes back empty with its length as <c>OversizedLength</c>. Memory: at most maxLineBytes + 64 KiB; on a
    /// seekable stream a line past <see cref="LineLookAhead.Threshold"/> is measured first (held at its exact size, or
    /// skipped without growing the buffer). The history index's catch-up reads segments through this too.
    /// </summary>
    internal static IEnumerable<(ReadOnlyMemory<byte> Line, bool Complete, long OversizedLength)> ReadLines(Stream stream, int maxLineBytes)
    {
        const int ReadChunk = 64 * 1024;
        byte[] buffer = new byte[Math.Min(ReadChunk, maxLineBytes + 1)];
        byte[]? scratch = null;
        bool oversized = false;
        int start = 0, end = 0;
        while (true)
        {
            int newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline >= 0)
            {
                if (newline - start > maxLineBytes)
                {
                    yield return (ReadOnlyMemory<byte>.Empty, true, newline - start);
                }
                else
                {
                    yield return (buffer.AsMemory(start, newline - start), true, 0);
                }
                start = newline + 1;
                continue;
            }
            // No newline in what we hold: compact, grow (up to the limit) if the line is longer than the buffer, read more.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end > maxLineBytes || oversized)
            {
                // Over the limit with no newline yet: skip to the next newline without keeping the bytes.
                oversized = false;
                long skipped = end;
                end = 0;
                while (true)
                {
                    int read = stream.Read(buffer, 0, buffer.Length);
                    if (read == 0)
                    {
                        yield return (ReadOnlyMemory<byte>.Empty, false, skipped);
                        yield break;
                    }
                    int nl = Array.IndexOf(buffer, (byte)'\n', 0, read);
                    if (nl < 0)
                    {
                        skipped += read;
                        continue;
                    }
                    yield return (ReadOnlyMemory<byte>.Empty, true, skipped + nl);
                    start = nl + 1;
                    end = read;
                    break;
                }
                continue;
            }
            if (end == buffer.Length)
            {
                long grown = Math.Min((long)buffer.Length * 2, maxLineBytes + 1L);
                if (buffer.Length >= LineLookAhead.Threshold && stream.CanSeek)
                {
                    // A long line: find its end before holding it, so an oversized one is never buffered.
                    scratch ??= new byte[ReadChunk];
                    long rest = LineLookAhead.BytesToLineEnd(stream, maxLineBytes + 1L - end, scratch).Bytes;
                    if (rest < 0)
                    {
                        oversized = true; // the skip above takes it from here
                        continue;
                    }
                    grown = Math.Max(end + rest, end + 1);
                }
                Array.Resize(ref buffer, (int)grown);
            }
            int n = stream.Read(buffer, end, buffer.Length - end);
            if (n == 0)
            {
                if (end > start) yield return (buffer.AsMemory(start, end - start), false, 0);
                yield break;
            }
            end += n;
        }
    }
}

/// <summary>A format-2 Writer line (a delta one merged with its base): the provenance, activity id and session id its writer's events refer to.</summary>
internal sealed record WriterLine(long Sequence, JsonObject Provenance, Guid ActivityId, string SessionId)
{
    /// <summary>True when the line was written as a delta against the segment's first Writer line.</summary>
    public bool IsDelta { get; init; }
}

/// <summary>One parsed line: an event, or (format 2) a Writer line, with its chain link and sequence number.</summary>
internal readonly record struct ParsedLine(SessionEvent? Event, string? PreviousHash, long Sequence, WriterLine? Writer);

/// <summary>
/// What reading one segment has learned so far: its name and its Writer lines; <see cref="Resolve"/> finds a Writer
/// line that came before the first line read (the index's catch-up starts mid-file).
/// </summary>
internal sealed class SegmentContext(string segmentName)
{
    public string SegmentName { get; } = segmentName;

    public Dictionary<long, WriterLine> Writers { get; } = [];

    public Func<long, WriterLine?>? Resolve { get; init; }

    /// <summary>The start fields of the segment's OperationStarted lines read so far and not yet referred to, by seq.</summary>
    public Dictionary<long, JsonObject> Operations { get; } = [];

    /// <summary>Finds the start fields of an OperationStarted line that came before the first line read (the index's catch-up).</summary>
    public Func<long, JsonObject?>? ResolveOperation { get; init; }
}

/// <summary>
/// Looks ahead for the end of a long line on a seekable stream without holding it: journal readers call it before
/// growing a line buffer past <see cref="Threshold"/>, so memory never grows for a line over the limit (it is
/// skipped), and a long line within the limit is read into a buffer of exactly its size.
/// </summary>
internal static class LineLookAhead
{
    /// <summary>Buffers smaller than this grow by doubling without a look-ahead.</summary>
    public const int Threshold = 1 << 20;

    /// <summary>
    /// The bytes from the stream's position up to and including the next newline (<c>Newline</c> true), or up to the
    /// end of the stream when it ends first (<c>Newline</c> false); <c>Bytes</c> -1 when neither comes within
    /// <paramref name="bound"/> bytes. The position is restored.
    /// </summary>
    public static (long Bytes, bool Newline) BytesToLineEnd(Stream stream, long bound, byte[] scratch)
    {
        long origin = stream.Position, seen = 0;
        try
        {
            while (seen < bound)
            {
                int read = stream.Read(scratch, 0, (int)Math.Min(scratch.Length, bound - seen));
                if (read == 0) return (seen, false);
                int newline = Array.IndexOf(scratch, (byte)'\n', 0, read);
                if (newline >= 0) return (seen + newline + 1, true);
                seen += read;
            }
            return (-1, false);
        }
        finally
        {
            stream.Position = origin;
        }
    }
}
