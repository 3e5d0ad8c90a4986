using System.Diagnostics.Tracing;
using BenchmarkDotNet.Attributes;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// <c>UnifiedTelemetry.LogSessionEvent</c> with 5 fields (string, integer, double, bool, Guid): with no listener
/// and no current session (target: no allocation), and with an EventListener enabled for the Session keyword.
/// The fields are built once: the benchmark measures the call, not the caller's dictionary.
/// </summary>
[MemoryDiagnoser]
public class UnifiedTelemetryBenchmarks
{
    private static readonly Dictionary<string, object?> Fields = new()
    {
        ["step"] = "checkout",
        ["items"] = 3L,
        ["total"] = 99.5,
        ["paid"] = true,
        ["order"] = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
    };

    private CountingListener? _listener;

    [GlobalSetup(Target = nameof(LogSessionEvent_WithEventListener))]
    public void AttachListener() => _listener = new CountingListener();

    [GlobalCleanup(Target = nameof(LogSessionEvent_WithEventListener))]
    public void DetachListener() => _listener?.Dispose();

    [Benchmark(Baseline = true)]
    public void LogSessionEvent_NoListener() => UnifiedTelemetry.LogSessionEvent("BenchmarkEvent", Fields);

    [Benchmark]
    public void LogSessionEvent_WithEventListener() => UnifiedTelemetry.LogSessionEvent("BenchmarkEvent", Fields);

    private sealed class CountingListener : EventListener
    {
        public long Count;

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == UnifiedTelemetry.ProviderName) EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData) => Count++;
    }
}
