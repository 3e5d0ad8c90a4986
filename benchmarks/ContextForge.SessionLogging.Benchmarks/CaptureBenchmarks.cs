using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Cli.Performance;
using ContextForge.SessionLogging.Sessions;
using Spectre.Console;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// <c>session.Capture</c> of one printed line (the seed's validation) with the provider off (baseline), on with no
/// listener, and on with an EventListener. Journal: flush per event, so the provider's cost is not hidden by fsync.
/// Target: overhead &lt; 10 µs.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class CaptureBenchmarks
{
    private string _dir = "";
    private Session? _session;
    private CountingProviderListener? _listener;
    private readonly IAnsiConsole _display = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), ColorSystem = ColorSystemSupport.NoColors });

    /// <summary>providers_off is the baseline; the others add the provider, then a live EventListener.</summary>
    [Params("providers_off", "provider_no_listener", "event_listener")]
    public string Providers { get; set; } = "providers_off";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "cfbench-capture-" + Guid.NewGuid().ToString("N"));
        var manager = new SessionManager(new SessionLoggingOptions
        {
            DataDirectory = _dir, Durability = JournalDurability.Flush, EmitToProvider = Providers != "providers_off", ToolName = "bench",
        });
        if (Providers == "event_listener") _listener = new CountingProviderListener();
        _session = manager.Start(Providers, "benchmark");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _session?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public void Capture_one_line()
    {
        using var scope = _session!.CaptureOn("bench_capture", _display);
        scope.Console.WriteLine(CaptureOverheadBenchmark.PrintedLine);
        scope.Complete();
    }
}
