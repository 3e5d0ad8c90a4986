using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Where a journal record's time goes (the profile behind JournalFlushPerEventBenchmarks): building the
/// TerminalCapture-sized SessionEvent (the caller's cost, included in the journal benchmarks), serialising it, hashing
/// the line (the hash chain), one unbuffered write() of the line, and the whole Emit (flush per event) to a file.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class JournalCostBreakdownBenchmarks : JournalBenchmarkBase
{
    private readonly SessionEvent _event = CaptureRecordShape.Event(1);
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Utf8JsonWriter _json = null!;
    private byte[] _line = [];
    private FileStream _raw = null!;
    private JournalWriter _file = null!;

    [GlobalSetup(Targets = [nameof(Serialise_line), nameof(Sha256_of_line), nameof(Sha256_of_line_incremental_reused), nameof(Write_line_unbuffered), nameof(Emit_to_file), nameof(Build_event)])]
    public void Setup()
    {
        CreateDirectory();
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        JournalWriter.WriteLine(_json, _event, 1, new string('0', 64), writerSeq: 0, writerProvenance: null, writerSessionId: null);
        _json.Flush();
        _line = _buffer.WrittenSpan.ToArray();
        _raw = new FileStream(FilePath("raw.jsonl"), FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _file = new JournalWriter(FilePath("breakdown.jsonl"), JournalDurability.Flush);
    }

    [GlobalCleanup(Targets = [nameof(Serialise_line), nameof(Sha256_of_line), nameof(Sha256_of_line_incremental_reused), nameof(Write_line_unbuffered), nameof(Emit_to_file), nameof(Build_event)])]
    public void Cleanup()
    {
        _raw.Dispose();
        _file.Dispose();
        DeleteDirectory();
    }

    [Benchmark]
    public SessionEvent Build_event() => CaptureRecordShape.Event(1);

    [Benchmark]
    public int Serialise_line()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        JournalWriter.WriteLine(_json, _event, 1, new string('0', 64), writerSeq: 0, writerProvenance: null, writerSessionId: null);
        _json.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public byte Sha256_of_line()
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(_line, digest);
        return digest[0];
    }

    private readonly IncrementalHash _incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    [Benchmark]
    public byte Sha256_of_line_incremental_reused()
    {
        Span<byte> digest = stackalloc byte[32];
        _incremental.AppendData(_line);
        _incremental.GetHashAndReset(digest);
        return digest[0];
    }

    [Benchmark]
    public void Write_line_unbuffered() => _raw.Write(_line);

    [Benchmark]
    public void Emit_to_file() => _file.Emit(_event);
}
