using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Events per second the provider sustains into a real EventPipe session (TerminalCapture, 500-char OutputSample),
/// and how many of N events the trace lost, per circular buffer size. The trace is streamed to a file and decoded
/// with the same TraceReader 'cfsession trace read' uses; lost = emitted - decoded (and TraceEvent's own count).
/// </summary>
internal static class EventPipeThroughput
{
    public static JsonObject Run(int events, int bufferMB, string directory)
    {
        string path = Path.Combine(directory, $"throughput-{bufferMB}mb.nettrace");
        var client = new DiagnosticsClient(Environment.ProcessId);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, 0xF)], requestRundown: false, circularBufferMB: bufferMB);
        using (var file = File.Create(path))
        {
            var drain = session.EventStream.CopyToAsync(file);
            while (!SessionLoggingEventSource.Log.IsEnabled(EventLevel.Informational, SessionLoggingEventSource.Keywords.Terminal)) Thread.Sleep(5);
            string sample = new('x', 500);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < events; i++)
            {
                SessionLoggingEventSource.Log.TerminalCapture("bench", "op", (uint)i, 500, sample, "9d8c7b6a-5f4e-4d3c-8b2a-190817263544", 0, "sha256:00");
            }
            double seconds = clock.Elapsed.TotalSeconds;
            session.Stop();
            drain.Wait(TimeSpan.FromMinutes(5));
            long size = file.Length;
            file.Close();
            long decoded = 0;
            long reportedLost;
            using (var source = new Microsoft.Diagnostics.Tracing.EventPipeEventSource(path))
            {
                source.Dynamic.All += e => { if (e.ProviderName == SessionLoggingEventSource.ProviderName) decoded++; };
                source.Process();
                reportedLost = source.EventsLost;
            }
            File.Delete(path);
            return new JsonObject
            {
                ["buffer_mb"] = bufferMB,
                ["emitted"] = events,
                ["decoded"] = decoded,
                ["lost_emitted_minus_decoded"] = events - decoded,
                ["lost_reported_by_trace"] = reportedLost,
                ["emit_seconds"] = Math.Round(seconds, 3),
                ["events_per_second"] = Math.Round(events / seconds),
                ["trace_bytes"] = size,
            };
        }
    }
}
