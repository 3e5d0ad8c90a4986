using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Journal;

/// <summary>
/// One stored output of a captured operation (its stdout, pty or console output, or its stderr) and where its exact
/// bytes live: inline in the journal line or in a blob (<see cref="BlobStore"/>: zstd <c>.zst</c> or raw). Not a
/// stream itself: <see cref="OpenRead"/> opens one. A <c>cfsession shell</c> command's output is a range of its
/// shell's raw stream file (<c>output_stream</c>, <c>output_offset</c>, <c>output_length</c>): read from there.
/// </summary>
public sealed class StoredOutput
{
    internal StoredOutput(string name, string? inline, string? blobPath, string? hash, long? length, string? rejectedBlobReference = null,
        string? streamPath = null, long streamOffset = 0, string? streamReference = null)
    {
        StreamPath = streamPath;
        StreamOffset = streamOffset;
        StreamReference = streamReference;
        Name = name;
        Inline = inline;
        BlobPath = blobPath;
        Hash = hash;
        Length = length;
        RejectedBlobReference = rejectedBlobReference;
    }

    /// <summary>"output" (stdout, pty or console) or "stderr".</summary>
    public string Name { get; }

    /// <summary>The inline text, when stored inline.</summary>
    internal string? Inline { get; }

    /// <summary>The blob file, when stored as a blob.</summary>
    internal string? BlobPath { get; }

    /// <summary>The shell's stream file this output is a range of, when it is one.</summary>
    internal string? StreamPath { get; }

    /// <summary>Where the range starts in <see cref="StreamPath"/>.</summary>
    internal long StreamOffset { get; }

    /// <summary>The journal's stream reference (<c>streams/&lt;operation id&gt;</c>), when the output is a range of one.</summary>
    internal string? StreamReference { get; }

    /// <summary>
    /// True when this is the whole stream of a shell whose commands are ranges of it (the record's own stream): its
    /// bytes are searched through its commands, not as a whole.
    /// </summary>
    internal bool IsWholeShellStream(string? operationId) =>
        StreamReference is not null && StreamOffset == 0 && operationId is not null && StreamReference == Capture.BlobStore.StreamReference(operationId);

    /// <summary>The recorded <c>sha256:</c> hash, when one is recorded.</summary>
    public string? Hash { get; }

    /// <summary>The recorded length in bytes, when one is recorded.</summary>
    public long? Length { get; }

    /// <summary>
    /// A blob reference that is not <c>blobs/&lt;64 lowercase hex&gt;</c> (a tampered journal naming
    /// <c>../../etc/passwd</c>, an absolute path, NUL, a device name...): never opened, reported by validate.
    /// </summary>
    public string? RejectedBlobReference { get; }

    /// <summary>True when the bytes are stored: inline, or a blob file or stream file (raw or recompacted) that exists.</summary>
    public bool Exists => Inline is not null || (BlobPath is not null && File.Exists(BlobPath)) || (StreamPath is not null && BlobStore.StreamExists(StreamPath));

    /// <summary>
    /// The exact captured bytes, in memory (for small outputs and tests; <c>show --output</c> streams with
    /// <see cref="OpenRead"/>). Read through <see cref="OpenRead"/>, so never more than the recorded length; the
    /// recorded length never sizes an allocation up front.
    /// </summary>
    internal byte[] ReadBytes()
    {
        using var input = OpenRead();
        using var bytes = new MemoryStream((int)Math.Clamp(Length ?? 0, 0, 1 << 20));
        input.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>
    /// Opens the exact bytes as a stream (a blob is streamed and decompressed, never loaded whole). A blob is read
    /// at most to its recorded length: one byte more fails the read with an <see cref="IOException"/>.
    /// </summary>
    public Stream OpenRead() => Inline is not null ? new MemoryStream(Encoding.UTF8.GetBytes(Inline), writable: false)
        : BlobPath is not null ? (Length is { } length and >= 0 ? BlobStore.OpenPath(BlobPath, length) : BlobStore.OpenPath(BlobPath))
        : StreamPath is not null && Length is > 0 ? BlobStore.OpenStreamRange(StreamPath, StreamOffset, Length.Value)
        : new MemoryStream([], writable: false);

    /// <summary>
    /// The stored output as indexed text (the one seam from stored bytes to searchable text): at most
    /// <paramref name="maxBytes"/> bytes decoded leniently and rendered as the screen showed them (<see cref="TerminalRenderer"/>).
    /// </summary>
    internal string ReadPlainPrefix(int maxBytes, int screenRows = TerminalRenderer.ScreenRows)
    {
        if (Inline is not null) return TerminalRenderer.Render(Inline.Length > maxBytes ? Inline[..maxBytes] : Inline, screenRows);
        if (!Exists || (BlobPath is null && StreamPath is null)) return string.Empty;
        try
        {
            using var input = OpenPrefix();
            // Bounded by maxBytes whatever the recorded length says (a tampered length never sizes an allocation).
            byte[] buffer = new byte[(int)Math.Clamp(Length ?? maxBytes, 0, maxBytes)];
            int read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return TerminalRenderer.Render(buffer.AsSpan(0, read), screenRows);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty; // unreadable blob: not searchable ('cfsession validate' reports it)
        }
    }

    /// <summary>
    /// The stored bytes as the indexed text reads a prefix of them: a blob without the recorded-length check (only a
    /// prefix is read), a shell command's output as its range of the shell's stream.
    /// </summary>
    private Stream OpenPrefix() => BlobPath is not null ? BlobStore.OpenPath(BlobPath) : OpenRead();

    /// <summary>
    /// The same text as <see cref="ReadPlainPrefix"/> before it is rendered, in pieces read as they are asked for, so a
    /// reader that stops early reads no further. The blob stops at a read error (the lines before it stay).
    /// </summary>
    internal IEnumerable<string> ReadPrefixPieces(int maxBytes)
    {
        const int PieceChars = 16 * 1024;
        if (Inline is not null)
        {
            int end = Math.Min(Inline.Length, maxBytes);
            for (int at = 0; at < end; at += PieceChars) yield return Inline.Substring(at, Math.Min(PieceChars, end - at));
            yield break;
        }
        if (!Exists || (BlobPath is null && StreamPath is null)) yield break;
        Stream? input = TryOpenPrefix();
        if (input is null) yield break;
        using (input)
        {
            // Bounded by maxBytes whatever the recorded length says, as ReadPlainPrefix reads it.
            int left = (int)Math.Clamp(Length ?? maxBytes, 0, maxBytes);
            var decoder = Encoding.UTF8.GetDecoder();
            byte[] bytes = new byte[Math.Min(left, 64 * 1024)];
            char[] chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length) + 2];
            while (left > 0)
            {
                int read = ReadSome(input, bytes.AsSpan(0, Math.Min(left, bytes.Length)));
                if (read <= 0) break;
                left -= read;
                int n = decoder.GetChars(bytes, 0, read, chars, 0, flush: left == 0);
                yield return new string(chars, 0, n);
            }
            int rest = decoder.GetChars([], 0, 0, chars, 0, flush: true);
            if (rest > 0) yield return new string(chars, 0, rest);
        }

        Stream? TryOpenPrefix()
        {
            try
            {
                return OpenPrefix();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        static int ReadSome(Stream input, Span<byte> buffer)
        {
            try
            {
                return input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return -1; // unreadable from here on: not searchable further ('cfsession validate' reports it)
            }
        }
    }

    /// <summary>The streams of a capture event: primary output first, then stderr when recorded.</summary>
    internal static IReadOnlyList<StoredOutput> Of(JsonObject fields, string sessionDirectory)
    {
        var list = new List<StoredOutput>(2);
        Add(JournalFields.Output, JournalFields.OutputBlob, JournalFields.IntegrityHash, JournalFields.OutputLength);
        Add(JournalFields.Stderr, JournalFields.StderrBlob, JournalFields.StderrHash, JournalFields.StderrLength);
        return list;

        void Add(string inlineField, string blobField, string hashField, string lengthField)
        {
            if (!fields.ContainsKey(hashField) && !fields.ContainsKey(inlineField) && !fields.ContainsKey(blobField)) return;
            string? inline = fields[inlineField] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            string? blob = fields[blobField] is JsonValue b && b.TryGetValue(out string? rel) ? rel : null;
            string? blobPath = blob is not null ? BlobStore.ResolvePath(sessionDirectory, blob) : null;
            string? hash = fields[hashField] is JsonValue h && h.TryGetValue(out string? hs) ? hs : null;
            long? length = fields[lengthField] is JsonValue l && l.TryGetValue(out long ll) ? ll : null;
            string? rejected = fields.ContainsKey(blobField) && blobPath is null ? fields[blobField]?.ToJsonString() ?? "null" : null;
            string? streamPath = null;
            long streamOffset = 0;
            string? stream = null;
            if (inlineField == JournalFields.Output && inline is null && blob is null && fields[JournalFields.OutputStream] is JsonValue sr && sr.TryGetValue(out stream))
            {
                streamPath = BlobStore.ResolveStreamPath(sessionDirectory, stream);
                streamOffset = fields[JournalFields.OutputOffset] is JsonValue so && so.TryGetValue(out long o) && o >= 0 ? o : 0;
                if (streamPath is null) rejected = fields[JournalFields.OutputStream]?.ToJsonString() ?? "null";
            }
            list.Add(new StoredOutput(inlineField, inline, blobPath, hash, length, rejected, streamPath, streamOffset, streamPath is null ? null : stream));
        }
    }

    /// <summary>
    /// The segment a (possibly tampered) index row names, as <c>&lt;session id&gt;/&lt;name&gt;.jsonl</c> under the
    /// sessions directory; null for anything else (<c>..</c>, absolute paths, separators, NUL).
    /// </summary>
    internal static string? IndexedSegmentPath(Sessions.DataDirectory data, string relative)
    {
        string[] parts = relative.Split('/');
        if (parts.Length != 2 || !Sessions.DataDirectory.IsValidSessionId(parts[0])) return null;
        string name = parts[1];
        if (!name.EndsWith(Journal.JournalReader.SegmentExtension, StringComparison.Ordinal) || name.Length <= Journal.JournalReader.SegmentExtension.Length
            || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.')) return null;
        return Path.Combine(data.SessionsDirectory, parts[0], name);
    }

    /// <summary>Re-reads one journal line (located by the index) and returns its fields.</summary>
    internal static JsonObject? ReadLineFields(string segmentPath, long offset, int length)
    {
        try
        {
            using var fs = new FileStream(segmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            fs.Seek(offset, SeekOrigin.Begin);
            byte[] line = new byte[length];
            if (fs.ReadAtLeast(line, length, throwOnEndOfStream: false) != length) return null;
            return LineFields(line, Path.GetFileName(Path.GetDirectoryName(segmentPath))!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The fields of one journal line (inline output included), its derivable fields put back; null when it is not a
    /// JSON object. <paramref name="sessionId"/> is the session of its segment (a format-2 line may leave it out).
    /// </summary>
    internal static JsonObject? LineFields(ReadOnlySpan<byte> line, string sessionId)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject obj) return null;
            // Format 2 leaves an empty stream's hash (and other derivable fields) out: put them back.
            // The session id is left out of a line whose Writer line holds it: it is the segment's directory name then.
            if (obj[JournalLine.Derived] is JsonValue d && d.TryGetValue(out int derived) && obj[JournalLine.Event] is JsonValue n && n.TryGetValue(out string? name)
                && obj[JournalLine.Timestamp] is JsonValue tv && tv.TryGetValue(out string? ts))
            {
                string id = obj[JournalLine.SessionId] is JsonValue sv && sv.TryGetValue(out string? inLine) ? inLine : sessionId;
                var activity = obj[JournalLine.ActivityId] is JsonValue av && av.TryGetValue(out string? a) && Guid.TryParse(a, out var g) ? g : Guid.Empty;
                JournalCompaction.Restore(name, obj, id, activity, ts, derived & JournalCompaction.LineLocalBits);
            }
            return obj;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
