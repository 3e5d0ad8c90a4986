using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Journal;

/// <summary>How hard the journal pushes each line to disk.</summary>
public enum JournalDurability
{
    /// <summary>write() per event: survives a crash of the process, not of the machine.</summary>
    Flush,
    /// <summary>write() and fsync per event (the default): an acknowledged event survives a power loss.</summary>
    FsyncPerEvent,
}

/// <summary>
/// Appends events to one journal segment (one JSONL file owned by this process). Each line carries the schema
/// version, event name, UTC timestamp, session id, a per-segment sequence number and the SHA-256 of the previous
/// line (a hash chain), then the event's fields. A failed write is counted as dropped, never thrown.
/// </summary>
internal sealed class JournalWriter : ISessionEventSink, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };
    private readonly object _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly JournalDurability _durability;
    private FileStream? _stream;
    private string _previousHash = JournalLine.GenesisHash;
    private long _sequence;
    private long _received, _stored, _dropped;
    private string? _lastError;

    public JournalWriter(string segmentPath, JournalDurability durability)
    {
        SegmentPath = segmentPath;
        SegmentName = Path.GetFileNameWithoutExtension(segmentPath);
        _durability = durability;
    }

    public string SegmentPath { get; }

    public string SegmentName { get; }

    public SinkStatistics Statistics
    {
        get { lock (_gate) return new SinkStatistics("journal", _received, _stored, _dropped, _lastError); }
    }

    public void Emit(SessionEvent sessionEvent)
    {
        lock (_gate)
        {
            _received++;
            try
            {
                _stream ??= OpenSegment();
                long sequence = _sequence + 1;
                _buffer.ResetWrittenCount();
                WriteLine(_buffer, sessionEvent, sequence, SegmentName, _previousHash);
                ReadOnlySpan<byte> line = _buffer.WrittenSpan;
                string hash = Convert.ToHexStringLower(SHA256.HashData(line));
                // One write() of line + newline so concurrent readers see whole lines or a torn tail, never a mix.
                byte[] rented = ArrayPool<byte>.Shared.Rent(line.Length + 1);
                try
                {
                    line.CopyTo(rented);
                    rented[line.Length] = (byte)'\n';
                    _stream.Write(rented, 0, line.Length + 1);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
                if (_durability == JournalDurability.FsyncPerEvent) _stream.Flush(flushToDisk: true);
                _sequence = sequence;
                _previousHash = hash;
                sessionEvent.Sequence = sequence;
                sessionEvent.Segment = SegmentName;
                _stored++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _dropped++;
                _lastError = ex.Message;
            }
        }
    }

    private FileStream OpenSegment()
    {
        FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(SegmentPath)!);
        return FileSecurity.CreateNewPrivateFile(SegmentPath);
    }

    /// <summary>Serialises one journal line (without the newline).</summary>
    internal static void WriteLine(IBufferWriter<byte> output, SessionEvent e, long sequence, string segment, string previousHash)
    {
        using var json = new Utf8JsonWriter(output, WriterOptions);
        json.WriteStartObject();
        json.WriteNumber(JournalLine.Version, JournalLine.SchemaVersion);
        json.WriteString(JournalLine.Event, e.Name);
        json.WriteString(JournalLine.Timestamp, e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteString(JournalLine.SessionId, e.SessionId);
        json.WriteNumber(JournalLine.Sequence, sequence);
        json.WriteNumber(JournalLine.Level, (int)e.Level);
        json.WriteNumber(JournalLine.Keywords, (long)e.Keywords);
        json.WriteString(JournalLine.ActivityId, e.ActivityId.ToString("D"));
        json.WriteString(JournalLine.Segment, segment);
        json.WriteString(JournalLine.PreviousHash, previousHash);
        foreach (var (key, value) in e.Fields)
        {
            json.WritePropertyName(key);
            if (value is null) json.WriteNullValue();
            else value.WriteTo(json);
        }
        json.WriteEndObject();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            try { _stream?.Flush(flushToDisk: _durability == JournalDurability.FsyncPerEvent); }
            catch (IOException) { }
            _stream?.Dispose();
            _stream = null;
        }
    }
}
