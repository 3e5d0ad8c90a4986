using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Extensions.Logging;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Serilog;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Formatting.Compact;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// The same structured message through: our ILogger provider into a session journal (write per event, and
/// write + fsync per event, the library's default), Microsoft's console and JSON console providers (stdout sent
/// to a null writer: the cost is formatting and their queue), Serilog's file sink (text, and compact JSON), and
/// our Serilog sink. All in one run; the baseline is Microsoft's console provider.
/// </summary>
[MemoryDiagnoser]
public class LoggingBenchmarks
{
    private string _dir = "";
    private Session? _flushSession, _fsyncSession;
    private ILoggerFactory? _sessionFlush, _sessionFsync, _console, _jsonConsole;
    private ILogger _sessionFlushLogger = null!, _sessionFsyncLogger = null!, _consoleLogger = null!, _jsonConsoleLogger = null!;
    private global::Serilog.Core.Logger? _serilogFile, _serilogCompact, _serilogSession;
    private TextWriter? _realOut;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "cf-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _flushSession = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir, Durability = JournalDurability.Flush, EmitToProvider = true }).Start("bench-flush");
        _fsyncSession = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir, Durability = JournalDurability.FsyncPerEvent, EmitToProvider = true }).Start("bench-fsync");
        _sessionFlush = LoggerFactory.Create(b => b.AddSessionLogging(o => o.Session = _flushSession));
        _sessionFsync = LoggerFactory.Create(b => b.AddSessionLogging(o => o.Session = _fsyncSession));
        _realOut = Console.Out;
        Console.SetOut(TextWriter.Null);
        _console = LoggerFactory.Create(b => b.AddSimpleConsole());
        _jsonConsole = LoggerFactory.Create(b => b.AddJsonConsole());
        _sessionFlushLogger = _sessionFlush.CreateLogger("Bench");
        _sessionFsyncLogger = _sessionFsync.CreateLogger("Bench");
        _consoleLogger = _console.CreateLogger("Bench");
        _jsonConsoleLogger = _jsonConsole.CreateLogger("Bench");
        _serilogFile = new LoggerConfiguration().WriteTo.File(Path.Combine(_dir, "serilog.txt")).CreateLogger();
        _serilogCompact = new LoggerConfiguration().WriteTo.File(new CompactJsonFormatter(), Path.Combine(_dir, "serilog.clef")).CreateLogger();
        _serilogSession = new LoggerConfiguration().WriteTo.SessionLogging(session: _flushSession).CreateLogger();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sessionFlush?.Dispose();
        _sessionFsync?.Dispose();
        _console?.Dispose();
        _jsonConsole?.Dispose();
        _serilogFile?.Dispose();
        _serilogCompact?.Dispose();
        _serilogSession?.Dispose();
        _flushSession?.Dispose();
        _fsyncSession?.Dispose();
        if (_realOut is not null) Console.SetOut(_realOut);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private const string Template = "Placed order {OrderId} for {Amount} by {Customer}";

    [Benchmark(Baseline = true)]
    public void MicrosoftConsole() => _consoleLogger.LogInformation(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void MicrosoftJsonConsole() => _jsonConsoleLogger.LogInformation(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void SessionLogging_ILogger_WritePerEvent() => _sessionFlushLogger.LogInformation(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void SessionLogging_ILogger_FsyncPerEvent() => _sessionFsyncLogger.LogInformation(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void SerilogFileSink_Text() => _serilogFile!.Information(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void SerilogFileSink_CompactJson() => _serilogCompact!.Information(Template, 1234, 99.5, "ada");

    [Benchmark]
    public void SessionLogging_SerilogSink_WritePerEvent() => _serilogSession!.Information(Template, 1234, 99.5, "ada");
}
