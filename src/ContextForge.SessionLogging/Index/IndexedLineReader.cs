using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// Reads the journal lines the index locates (segment, byte offset, length) back into events: the index keeps only
/// what it filters and sorts on, the journal keeps the fields. A format-2 line is completed as the journal reader
/// completes it, with its Writer line (located through <c>writers</c>) and, for a capture, its OperationStarted line
/// (located through <c>events</c>), each read once per reader. A line that is gone or unreadable gives null: the
/// next catch-up notices the change and re-indexes the segment.
/// </summary>
internal sealed class IndexedLineReader(HistoryIndex index, SqliteTransaction? tx) : IDisposable
{
    private readonly Dictionary<string, SegmentContext> _contexts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SafeFileHandle?> _handles = new(StringComparer.Ordinal);
    private readonly Dictionary<(string File, long Offset), SessionEvent?> _prefetched = [];

    /// <summary>A segment's lines are read ahead in one read when the span they cover is at most this many bytes...</summary>
    private const int MaxPrefetchSpan = 8 << 20;

    /// <summary>...and at most this many times the bytes of the lines asked for (lines between them are parsed too).</summary>
    private const int MaxPrefetchOverread = 8;

    /// <summary>
    /// Segments held open at once, at most: past this the open ones are closed before the next is opened. A reader
    /// that visits every segment (a full catch-up of 50,000 sessions) would otherwise run out of file descriptors.
    /// </summary>
    public const int MaxOpenSegments = 256;
    // Prepared once per reader: a query's rows look up many lines.
    private SqliteCommand? _findWriter, _findEvent;

    /// <summary>
    /// Reads the lines a query's rows locate ahead, per segment: one read of the span from its first to its last
    /// line, parsed in offset order with the segment's context, so the Writer and OperationStarted lines that events
    /// in the span refer to are taken from the span, not looked up and read one by one. A segment whose lines lie
    /// too far apart is left to <see cref="Event"/>'s one read per line.
    /// </summary>
    public void Prefetch(IEnumerable<(string File, long Offset, int Length)> lines)
    {
        foreach (var segment in lines.GroupBy(l => l.File, StringComparer.Ordinal))
        {
            var wanted = new Dictionary<long, int>();
            foreach (var (_, offset, length) in segment)
            {
                if (length >= 0 && length <= InputLimits.MaxJournalLineBytes && !_prefetched.ContainsKey((segment.Key, offset))) wanted[offset] = length;
            }
            if (wanted.Count < 2) continue;
            long from = wanted.Keys.Min(), to = wanted.Max(w => w.Key + w.Value);
            long asked = wanted.Values.Sum(l => (long)l + 1);
            if (to - from > MaxPrefetchSpan || to - from > asked * MaxPrefetchOverread) continue;
            if (Range(segment.Key, from, (int)(to - from)) is not { } span) continue;
            var context = Context(segment.Key);
            int position = 0;
            while (position < span.Length)
            {
                int newline = Array.IndexOf(span, (byte)'\n', position);
                int end = newline < 0 ? span.Length : newline;
                long offset = from + position;
                SessionEvent? e = null;
                try
                {
                    e = JournalReader.ParseLine(span.AsSpan(position, end - position), context).Event;
                }
                catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
                {
                    e = null;
                }
                // A line of another length than the row says (the segment was replaced) is left to Event: the next catch-up re-indexes it.
                if (wanted.TryGetValue(offset, out int length) && length == end - position) _prefetched[(segment.Key, offset)] = e;
                position = end + 1;
            }
        }
    }

    /// <summary>The event on the line at <paramref name="offset"/> of segment <paramref name="file"/> (<c>&lt;session&gt;/&lt;segment&gt;.jsonl</c>).</summary>
    public SessionEvent? Event(string file, long offset, int length)
    {
        if (_prefetched.Remove((file, offset), out var ahead)) return ahead;
        try
        {
            return Line(file, offset, length) is { } line ? JournalReader.ParseLine(line, Context(file)).Event : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The fields of that event, inline output (<c>output</c>, <c>stderr</c>) left out; empty when the line cannot be read.</summary>
    public JsonObject Fields(string file, long offset, int length)
    {
        if (Event(file, offset, length) is not { } e) return [];
        e.Fields.Remove(JournalFields.Output);
        e.Fields.Remove(JournalFields.Stderr);
        return e.Fields;
    }

    /// <summary>Writer line <paramref name="seq"/> of segment <paramref name="file"/> (provenance merged with its base).</summary>
    public WriterLine? Writer(string file, long seq)
    {
        var context = Context(file);
        if (context.Writers.TryGetValue(seq, out var known)) return known;
        _findWriter ??= Prepared("SELECT w.line_offset, w.line_length FROM writers w JOIN segments g ON g.id = w.segment WHERE g.file = $f AND w.seq = $q");
        if (Locate(_findWriter, file, seq) is not var (offset, length)) return null;
        try
        {
            return Line(file, offset, length) is { } line ? JournalReader.ParseLine(line, context).Writer : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The start fields of OperationStarted line <paramref name="seq"/> of segment <paramref name="file"/> (a capture refers to them).</summary>
    public JsonObject? StartFields(string file, long seq)
    {
        _findEvent ??= Prepared("SELECT e.line_offset, e.line_length FROM events e JOIN segments g ON g.id = e.segment WHERE g.file = $f AND e.seq = $q");
        return Locate(_findEvent, file, seq) is var (offset, length) && Event(file, offset, length) is { } e ? JournalCompaction.StartFieldsOf(e.Fields) : null;
    }

    private SqliteCommand Prepared(string sql)
    {
        var cmd = index.Command(sql, tx);
        cmd.Parameters.Add("$f", SqliteType.Text);
        cmd.Parameters.Add("$q", SqliteType.Integer);
        cmd.Prepare();
        return cmd;
    }

    private static (long Offset, int Length)? Locate(SqliteCommand cmd, string file, long seq)
    {
        cmd.Parameters["$f"].Value = file;
        cmd.Parameters["$q"].Value = seq;
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetInt32(1)) : null;
    }

    private SegmentContext Context(string file)
    {
        if (!_contexts.TryGetValue(file, out var context))
        {
            context = new SegmentContext(Path.GetFileNameWithoutExtension(file)) { Resolve = seq => Writer(file, seq), ResolveOperation = seq => StartFields(file, seq) };
            _contexts[file] = context;
        }
        return context;
    }

    private byte[]? Line(string file, long offset, int length) =>
        length < 0 || length > InputLimits.MaxJournalLineBytes ? null : Range(file, offset, length);

    /// <summary>The <paramref name="length"/> bytes at <paramref name="offset"/> of a segment (each segment opened once per reader); null when they cannot all be read.</summary>
    private byte[]? Range(string file, long offset, int length)
    {
        if (!_handles.TryGetValue(file, out var handle))
        {
            if (_handles.Count >= MaxOpenSegments) CloseHandles();
            try
            {
                handle = StoredOutput.IndexedSegmentPath(index.Data, file) is { } path
                    ? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)
                    : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                handle = null;
            }
            _handles[file] = handle;
        }
        if (handle is null || length < 0) return null;
        byte[] line = new byte[length];
        try
        {
            int read = 0;
            while (read < length)
            {
                int n = RandomAccess.Read(handle, line.AsSpan(read), offset + read);
                if (n == 0) return null;
                read += n;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return line;
    }

    /// <summary>
    /// Closes every segment this reader holds open, and forgets what it learnt of them (Writer lines, start fields):
    /// the catch-up calls it after each session, so it holds at most one session's segments at a time.
    /// </summary>
    public void CloseSegments()
    {
        CloseHandles();
        _contexts.Clear();
        _prefetched.Clear();
    }

    private void CloseHandles()
    {
        foreach (var handle in _handles.Values) handle?.Dispose();
        _handles.Clear();
    }

    public void Dispose()
    {
        CloseSegments();
        _findWriter?.Dispose();
        _findEvent?.Dispose();
    }
}
