#pragma warning disable CS0618 // Serilog's FileSink constructor: the only way to call FlushToDisk() after each event
using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Formatting.Compact;
using Serilog.Sinks.File;
using ZLogger;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>A TerminalCapture-sized record: the fields CommandRecorder journals for a short command, 500-char sample.</summary>
internal static class CaptureRecordShape
{
    public const string SessionId = "9d8c7b6a-5f4e-4d3c-8b2a-190817263544";
    public static readonly Guid ActivityId = Guid.Parse("836c04db-f1cf-41b7-9d37-8a1a8cfdb075");
    public static readonly string Sample = string.Concat(Enumerable.Repeat("  Determining projects to restore... All projects are up-to-date for restore.\n", 7))[..500];
    public const string Hash = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    public static SessionEvent Event(int n) => new(
        SessionEventNames.TerminalCapture, DateTimeOffset.UtcNow, SessionId, ActivityId, EventLevel.Informational, SessionKeywords.Terminal,
        new JsonObject
        {
            [JournalFields.OperationId] = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            [JournalFields.OperationName] = "dotnet build -c Release",
            [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = SessionId,
            [JournalFields.StartTime] = "2026-11-25T10:00:00.0000000Z",
            [JournalFields.EndTime] = "2026-11-25T10:00:12.3450000Z",
            [JournalFields.DurationMs] = 12345.678,
            [JournalFields.Command] = "dotnet",
            [JournalFields.Arguments] = new JsonArray("build", "-c", "Release"),
            [JournalFields.Cwd] = "/home/dev/src/app",
            [JournalFields.ExitCode] = n & 1,
            [JournalFields.CaptureMode] = "pipe",
            [JournalFields.OutputLength] = 4096,
            [JournalFields.IntegrityHash] = Hash,
            [JournalFields.OutputSample] = Sample,
            [JournalFields.Provenance] = new JsonObject { ["host"] = "devbox", ["user"] = "dev", ["pid"] = 4242, ["tool"] = "cfsession", ["tool_version"] = "1.0.0" },
        });
}

/// <summary>Shared plumbing: a scratch file per benchmark, recreated at each invocation.</summary>
public abstract class JournalBenchmarkBase
{
    private string _dir = "";

    protected string FilePath(string name) => Path.Combine(_dir, name);

    [GlobalSetup]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("cfbench-journal-").FullName;

    [GlobalCleanup]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    protected string Fresh(string name)
    {
        string path = FilePath(name);
        if (File.Exists(path)) File.Delete(path);
        return path;
    }

    protected static void ContextForge(string path, JournalDurability durability, int events)
    {
        using var writer = new JournalWriter(path, durability);
        for (int i = 0; i < events; i++) writer.Emit(CaptureRecordShape.Event(i));
    }

    protected static global::Serilog.Core.Logger SerilogFile(string path, bool buffered, TimeSpan? flushToDiskInterval = null) =>
        new LoggerConfiguration().WriteTo.File(new CompactJsonFormatter(), path, buffered: buffered, flushToDiskInterval: flushToDiskInterval).CreateLogger();

    protected static void SerilogEvent(global::Serilog.ILogger log, int n) =>
        log.Information("TerminalCapture {operation_id} {operation_name} {operation_kind} {correlation_id} {start_time} {end_time} {duration_ms} {command} {arguments} {cwd} {exit_code} {capture_mode} {output_length} {integrity_hash} {output_sample} {provenance}",
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "dotnet build -c Release", "command", CaptureRecordShape.SessionId,
            "2026-11-25T10:00:00.0000000Z", "2026-11-25T10:00:12.3450000Z", 12345.678, "dotnet", new[] { "build", "-c", "Release" },
            "/home/dev/src/app", n & 1, "pipe", 4096, CaptureRecordShape.Hash, CaptureRecordShape.Sample,
            new { host = "devbox", user = "dev", pid = 4242, tool = "cfsession", tool_version = "1.0.0" });
}

/// <summary>
/// Flush per event (write() per record, no fsync): ContextForge's journal vs Serilog's file sink (unbuffered,
/// CompactJsonFormatter), Microsoft.Extensions.Logging's JSON console provider with stdout sent to a file, and
/// ZLogger's JSON file provider. Each invocation opens the file, writes 1000 TerminalCapture-sized records and
/// closes it (background loggers drain on close), so the time is the full cost per record.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class JournalFlushPerEventBenchmarks : JournalBenchmarkBase
{
    private const int Events = 1000;

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void Serilog_file_unbuffered()
    {
        using var log = SerilogFile(Fresh("serilog.clef"), buffered: false);
        for (int i = 0; i < Events; i++) SerilogEvent(log, i);
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void ContextForge_journal_flush() => ContextForge(Fresh("cf.jsonl"), JournalDurability.Flush, Events);

    [Benchmark(OperationsPerInvoke = Events)]
    public void MEL_json_console_to_file()
    {
        var previous = Console.Out;
        using (var file = new StreamWriter(Fresh("mel.json")) { AutoFlush = true })
        {
            Console.SetOut(file);
            try
            {
                using var factory = LoggerFactory.Create(b => b.AddJsonConsole());
                var log = factory.CreateLogger("bench");
                for (int i = 0; i < Events; i++) MelEvent(log, i);
            }
            finally
            {
                Console.SetOut(previous);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void ZLogger_json_file()
    {
        string path = Fresh("zlogger.json");
        using var factory = LoggerFactory.Create(b => b.AddZLoggerFile(path, o => o.UseJsonFormatter()));
        var log = factory.CreateLogger("bench");
        for (int i = 0; i < Events; i++)
        {
            string operationId = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", operationName = "dotnet build -c Release", sample = CaptureRecordShape.Sample;
            int exitCode = i & 1;
            double durationMs = 12345.678;
            log.ZLogInformation($"TerminalCapture {operationId} {operationName} {"command"} {CaptureRecordShape.SessionId} {"2026-11-25T10:00:00.0000000Z"} {"2026-11-25T10:00:12.3450000Z"} {durationMs} {"dotnet"} {"build -c Release"} {"/home/dev/src/app"} {exitCode} {"pipe"} {4096} {CaptureRecordShape.Hash} {sample} {"devbox"} {"dev"} {4242}");
        }
    }

    private static void MelEvent(Microsoft.Extensions.Logging.ILogger log, int n) =>
        log.LogInformation("TerminalCapture {operation_id} {operation_name} {operation_kind} {correlation_id} {start_time} {end_time} {duration_ms} {command} {arguments} {cwd} {exit_code} {capture_mode} {output_length} {integrity_hash} {output_sample} {host} {user} {pid}",
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "dotnet build -c Release", "command", CaptureRecordShape.SessionId,
            "2026-11-25T10:00:00.0000000Z", "2026-11-25T10:00:12.3450000Z", 12345.678, "dotnet", "build -c Release",
            "/home/dev/src/app", n & 1, "pipe", 4096, CaptureRecordShape.Hash, CaptureRecordShape.Sample, "devbox", "dev", 4242);
}

/// <summary>
/// fsync per event (an acknowledged record survives power loss): ContextForge's journal vs Serilog's FileSink with
/// FlushToDisk() after every event (Serilog has no per-event fsync setting; this is the closest match).
/// MEL console and ZLogger offer no fsync at all.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class JournalFsyncPerEventBenchmarks : JournalBenchmarkBase
{
    private const int Events = 50;

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void Serilog_file_fsync_each()
    {
        using var sink = new FileSink(Fresh("serilog.clef"), new CompactJsonFormatter(), fileSizeLimitBytes: null, buffered: false);
        using var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger();
        for (int i = 0; i < Events; i++)
        {
            SerilogEvent(log, i);
            ((IFlushableFileSink)sink).FlushToDisk();
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void ContextForge_journal_fsync_per_event() => ContextForge(Fresh("cf.jsonl"), JournalDurability.FsyncPerEvent, Events);
}

/// <summary>
/// fsync per interval (1 s): ContextForge's journal vs Serilog's file sink with flushToDiskInterval = 1 s (unbuffered writes).
/// ContextForge also fsyncs unsynced lines on close; Serilog does not.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class JournalFsyncPerIntervalBenchmarks : JournalBenchmarkBase
{
    private const int Events = 1000;

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void Serilog_file_fsync_interval()
    {
        using var log = SerilogFile(Fresh("serilog.clef"), buffered: false, flushToDiskInterval: TimeSpan.FromSeconds(1));
        for (int i = 0; i < Events; i++) SerilogEvent(log, i);
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void ContextForge_journal_fsync_per_interval() => ContextForge(Fresh("cf.jsonl"), JournalDurability.FsyncPerInterval, Events);
}
