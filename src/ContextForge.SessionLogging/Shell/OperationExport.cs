using System.Globalization;
using System.Text;
using System.Text.Json;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Shell;

/// <summary>One recorded stream to export: its start, its stored output and the path of its timing (may not exist).</summary>
internal sealed record ExportedStream(DateTimeOffset Start, StoredOutput Output, string TimingPath);

/// <summary>
/// Writes recorded output as asciicast v2 (a header line, then one <c>[seconds, "o", text]</c> line per chunk) with the
/// timing recorded during capture (<see cref="StreamTiming"/>: <c>cfsession shell</c> keeps it for the shell's stream
/// and every command), or as the text the screen showed (<see cref="TerminalRenderer"/>). An operation without timing
/// (a <c>run</c>, a hook-only command) is one event at its start. A session is its top-level operations in order, each
/// at its start time relative to the first.
/// </summary>
internal static class OperationExport
{
    /// <summary>The terminal size written in the header when the recording kept none (a <c>run</c>, an older recording).</summary>
    public const int Width = 80, Height = 24;

    /// <summary>The streams of one operation (by id or unique prefix) or of a whole session, found in the journals; null when none matches.</summary>
    public static IReadOnlyList<ExportedStream>? Find(DataDirectory data, string idOrPrefix)
    {
        string wanted = idOrPrefix.Trim().ToLowerInvariant();
        if (wanted.Length == 0) return null;
        var sessionIds = data.EnumerateSessionIds().ToList();
        var sessionMatches = sessionIds.Where(id => id.StartsWith(wanted, StringComparison.Ordinal)).ToList();
        if (sessionMatches.Count == 1) return SessionStreams(data, sessionMatches[0]);
        foreach (string sessionId in sessionIds)
        {
            var captures = Captures(data, sessionId);
            var hits = captures.Where(e => (e.GetString(JournalFields.OperationId) ?? "").StartsWith(wanted, StringComparison.Ordinal)).ToList();
            if (hits.Count > 1) throw new ArgumentException($"'{idOrPrefix}' matches more than one operation; give more of its id");
            if (hits.Count == 1) return [StreamOf(data, sessionId, hits[0])];
        }
        return null;
    }

    private static List<SessionEvent> Captures(DataDirectory data, string sessionId) =>
        JournalReader.ReadSession(data.SessionDirectory(sessionId)).Events
            .Where(e => e.Name == SessionEventNames.TerminalCapture)
            .OrderBy(e => StartOf(e))
            .ToList();

    private static IReadOnlyList<ExportedStream> SessionStreams(DataDirectory data, string sessionId)
    {
        var captures = Captures(data, sessionId);
        var ids = captures.Select(e => e.GetString(JournalFields.OperationId)).ToHashSet(StringComparer.Ordinal);
        // A command of a recorded shell (or a nested run) is inside its parent's stream already.
        return captures.Where(e => e.GetString(JournalFields.ParentOperationId) is not { } parent || !ids.Contains(parent))
            .Select(e => StreamOf(data, sessionId, e)).ToList();
    }

    private static DateTimeOffset StartOf(SessionEvent e) =>
        e.GetString(JournalFields.StartTime) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : e.Timestamp;

    private static ExportedStream StreamOf(DataDirectory data, string sessionId, SessionEvent e)
    {
        string directory = data.SessionDirectory(sessionId);
        var output = StoredOutput.Of(e.Fields, directory).FirstOrDefault() ?? new StoredOutput("output", string.Empty, null, null, 0);
        return new ExportedStream(StartOf(e), output, StreamTiming.PathFor(directory, e.GetString(JournalFields.OperationId) ?? string.Empty));
    }

    /// <summary>Writes asciicast v2.</summary>
    public static void WriteAsciicast(IReadOnlyList<ExportedStream> streams, Stream destination, string? title)
    {
        var first = streams.Count > 0 ? streams.Min(s => s.Start) : DateTimeOffset.UtcNow;
        // The header has the size the first recorded stream started with; later sizes are "r" events.
        var initial = streams.Select(s => StreamTiming.ReadSizes(s.TimingPath)).FirstOrDefault(s => s.Count > 0) is { } sizes ? sizes[0] : ((double At, int Columns, int Rows)?)null;
        (int Columns, int Rows) current = initial is { } i ? (i.Columns, i.Rows) : (Width, Height);
        using (var header = new Utf8JsonWriter(destination))
        {
            header.WriteStartObject();
            header.WriteNumber("version", 2);
            header.WriteNumber("width", current.Columns);
            header.WriteNumber("height", current.Rows);
            header.WriteNumber("timestamp", first.ToUnixTimeSeconds());
            if (title is not null) header.WriteString("title", title);
            header.WriteEndObject();
        }
        destination.WriteByte((byte)'\n');
        foreach (var stream in streams)
        {
            double offset = Math.Max(0, (stream.Start - first).TotalSeconds);
            var resizes = new Queue<(double At, int Columns, int Rows)>(StreamTiming.ReadSizes(stream.TimingPath));
            foreach (var (at, text) in Events(stream))
            {
                while (resizes.TryPeek(out var size) && size.At <= at)
                {
                    resizes.Dequeue();
                    if ((size.Columns, size.Rows) == current) continue;
                    current = (size.Columns, size.Rows);
                    WriteEvent(destination, offset + size.At, "r", string.Create(CultureInfo.InvariantCulture, $"{size.Columns}x{size.Rows}"));
                }
                WriteEvent(destination, offset + at, "o", text);
            }
        }
    }

    private static void WriteEvent(Stream destination, double at, string kind, string data)
    {
        using (var line = new Utf8JsonWriter(destination))
        {
            line.WriteStartArray();
            line.WriteNumberValue(Math.Round(at, 6));
            line.WriteStringValue(kind);
            line.WriteStringValue(data);
            line.WriteEndArray();
        }
        destination.WriteByte((byte)'\n');
    }

    /// <summary>Writes the text the screen showed, one stream after another.</summary>
    public static void WriteText(IReadOnlyList<ExportedStream> streams, TextWriter destination)
    {
        foreach (var stream in streams)
        {
            using var input = stream.Output.OpenRead();
            using var bytes = new MemoryStream();
            input.CopyTo(bytes);
            int rows = StreamTiming.FirstSize(stream.TimingPath)?.Rows ?? TerminalRenderer.ScreenRows;
            string text = TerminalRenderer.Render(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), rows);
            destination.Write(text);
            if (text.Length > 0 && !text.EndsWith('\n')) destination.Write('\n');
        }
    }

    // The stored bytes cut at the recorded chunk lengths, each chunk at its recorded time (seconds from the stream's
    // start). A chunk never splits a UTF-8 character (the decoder carries it over); what the timing does not cover
    // (redaction can lengthen the stored stream) goes with the last chunk.
    private static IEnumerable<(double At, string Text)> Events(ExportedStream stream)
    {
        var timing = StreamTiming.Read(stream.TimingPath);
        using var input = stream.Output.OpenRead();
        var decoder = new UTF8Encoding(false).GetDecoder();
        double at = 0;
        byte[] buffer = new byte[64 * 1024];
        var pending = new StringBuilder();
        foreach (var (delay, length) in timing)
        {
            at += delay;
            long left = length;
            while (left > 0)
            {
                int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) break;
                left -= n;
                Decode(decoder, buffer, n, pending, flush: false);
            }
            if (pending.Length > 0)
            {
                yield return (at, pending.ToString());
                pending.Clear();
            }
        }
        int rest;
        while ((rest = input.Read(buffer, 0, buffer.Length)) > 0) Decode(decoder, buffer, rest, pending, flush: false);
        Decode(decoder, buffer, 0, pending, flush: true);
        if (pending.Length > 0) yield return (at, pending.ToString());
    }

    private static void Decode(Decoder decoder, byte[] buffer, int count, StringBuilder into, bool flush)
    {
        char[] chars = new char[decoder.GetCharCount(buffer, 0, count, flush)];
        int n = decoder.GetChars(buffer, 0, count, chars, 0, flush);
        into.Append(chars, 0, n);
    }
}
