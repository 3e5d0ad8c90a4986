using System.Diagnostics.Tracing;
using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Cli.Performance;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Emit cost of each <c>ContextForge.SessionLogging</c> provider event, with no listener (target &lt; 1 ns, 0 B),
/// with an in-process EventListener, and with a live EventPipe session on this process.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ProviderEmitBenchmarks
{
    private static readonly string Sample = new('x', 500);
    private static readonly Guid Activity = Guid.NewGuid();
    private static readonly DateTime Start = DateTime.UtcNow;
    private const string Session = "9d8c7b6a-5f4e-4d3c-8b2a-190817263544";
    private IAsyncDisposable? _listener;

    [Params("none", "event_listener", "eventpipe")]
    public string Listener { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _listener = Listener switch
        {
            "event_listener" => new CountingProviderListener(),
            "eventpipe" => EventPipeOnSelf.Start(),
            _ => null,
        };
        if (_listener is not null)
            ProviderListenerVariant.WaitUntilProviderEnabledAsync(TimeSpan.FromSeconds(10), CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public void SessionStart() => SessionLoggingEventSource.Log.SessionStart(Session, "command", Start, Activity, "contextforge_constitutional", "bench");

    [Benchmark]
    public void TerminalCapture() => SessionLoggingEventSource.Log.TerminalCapture("dotnet build", "op-1", 12, 500, Sample, Session, 0, "sha256:00");

    [Benchmark]
    public void TerminalCaptureFailed() => SessionLoggingEventSource.Log.TerminalCaptureFailed("dotnet build", "op-1", "boom", Session);

    [Benchmark]
    public void AchievementLogged() => SessionLoggingEventSource.Log.AchievementLogged("ACH-9d8c7b6a-001", "tests_passed", "green", Session, 3);

    [Benchmark]
    public void SessionEnd() => SessionLoggingEventSource.Log.SessionEnd(Session, 1234.5, 3, 1, 0, "ended");
}

/// <summary>An EventPipe session on this process enabling the provider, drained to a null stream.</summary>
internal sealed class EventPipeOnSelf(EventPipeSession session, Task drain) : IAsyncDisposable
{
    public static EventPipeOnSelf Start()
    {
        var session = new DiagnosticsClient(Environment.ProcessId).StartEventPipeSession(
            [new EventPipeProvider(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, -1)], requestRundown: false, circularBufferMB: 256);
        return new EventPipeOnSelf(session, Task.Run(() => session.EventStream.CopyToAsync(Stream.Null)));
    }

    public async ValueTask DisposeAsync()
    {
        await session.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await drain.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        session.Dispose();
    }
}
