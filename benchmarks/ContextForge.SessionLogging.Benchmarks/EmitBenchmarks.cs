using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>The cost of one TerminalCapture emit (500-char OutputSample) with no session, against an empty call.</summary>
[MemoryDiagnoser]
public class EmitWithoutSession
{
    private static readonly string Sample = new('x', 500);

    [Benchmark(Baseline = true)]
    public void EmptyCall() => Empty(Sample);

    [Benchmark]
    public void TerminalCapture_no_session() =>
        SessionLoggingEventSource.Log.TerminalCapture("dotnet build", "op-1", 12, 500, Sample, "9d8c7b6a-5f4e-4d3c-8b2a-190817263544", 0, "sha256:00");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Empty(string s) => GC.KeepAlive(s);
}

/// <summary>The same emit with a real EventPipe session (DiagnosticsClient on this process) draining to a null stream.</summary>
[MemoryDiagnoser]
public class EmitWithEventPipeSession
{
    private static readonly string Sample = new('x', 500);
    private EventPipeSession? _session;
    private Task? _drain;

    [GlobalSetup]
    public void Start()
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        _session = client.StartEventPipeSession(
            [new EventPipeProvider(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, 0xF)], requestRundown: false, circularBufferMB: 256);
        _drain = _session.EventStream.CopyToAsync(Stream.Null);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!SessionLoggingEventSource.Log.IsEnabled(EventLevel.Informational, SessionLoggingEventSource.Keywords.Terminal))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException("the EventPipe session did not enable the provider");
            Thread.Sleep(10);
        }
    }

    [GlobalCleanup]
    public void Stop()
    {
        _session?.Stop();
        _drain?.Wait(TimeSpan.FromSeconds(30));
        _session?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void EmptyCall() => Empty(Sample);

    [Benchmark]
    public void TerminalCapture_with_session() =>
        SessionLoggingEventSource.Log.TerminalCapture("dotnet build", "op-1", 12, 500, Sample, "9d8c7b6a-5f4e-4d3c-8b2a-190817263544", 0, "sha256:00");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Empty(string s) => GC.KeepAlive(s);
}
