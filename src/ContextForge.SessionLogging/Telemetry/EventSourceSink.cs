using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>Forwards journal events to the <c>ContextForge.SessionLogging</c> provider's typed events.</summary>
internal sealed class EventSourceSink(SessionLoggingEventSource source) : ISessionEventSink
{
    private long _received, _stored, _truncated;

    // EventSource reports no per-write failure; events a trace session loses are counted by the session itself
    // (the trace's lost-event count), so this sink's own drop count is always 0. An event whose strings would pass
    // ETW's 64 KB (dropped silently there) is sent with each long string cut to InputLimits.MaxProviderStringChars,
    // ending in InputLimits.TruncationMarker, and counted in Truncated.
    public SinkStatistics Statistics => new("provider", Interlocked.Read(ref _received), Interlocked.Read(ref _stored), 0, null)
    {
        Truncated = Interlocked.Read(ref _truncated),
    };

    /// <summary>True when a listener (ETW, EventPipe or an EventListener) would receive this event.</summary>
    public bool IsEnabledFor(EventLevel level, SessionKeywords keywords) => source.IsEnabled(level, (EventKeywords)keywords);

    public void Emit(SessionEvent e)
    {
        Interlocked.Increment(ref _received);
        // Not enabled is not a drop: nobody asked for the event.
        Interlocked.Increment(ref _stored);
        if (!IsEnabledFor(e.Level, e.Keywords)) return;
        bool truncated = false;
        string Fit(string? value)
        {
            if (value is null) return string.Empty;
            if (value.Length <= InputLimits.MaxProviderStringChars) return value;
            truncated = true;
            return UnifiedFieldEncoder.Fit(value);
        }
        Write(e, Fit);
        if (truncated) Interlocked.Increment(ref _truncated);
    }

    private void Write(SessionEvent e, Func<string?, string> fit)
    {
        switch (e.Name)
        {
            case SessionEventNames.SessionStart:
                source.SessionStart(
                    e.SessionId,
                    fit(e.GetString(JournalFields.SessionType)),
                    (e.Fields[JournalFields.StartTime] is { } st ? DateTimeOffset.Parse(st.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : e.Timestamp).UtcDateTime,
                    e.ActivityId,
                    fit(e.GetString(JournalFields.Methodology)),
                    fit(e.GetString(JournalFields.SessionName)));
                break;
            case SessionEventNames.SessionEnd:
                source.SessionEnd(
                    e.SessionId,
                    e.GetDouble(JournalFields.DurationMs) ?? 0,
                    (int)(e.GetInt64(JournalFields.OperationCount) ?? 0),
                    (int)(e.GetInt64(JournalFields.AchievementCount) ?? 0),
                    (int)(e.GetInt64(JournalFields.FailedOperationCount) ?? 0),
                    fit(e.GetString(JournalFields.Status)));
                break;
            case SessionEventNames.TerminalCapture:
                source.TerminalCapture(
                    fit(e.GetString(JournalFields.OperationName)),
                    fit(e.GetString(JournalFields.OperationId)),
                    ClampToUInt(e.GetDouble(JournalFields.DurationMs) ?? 0),
                    ClampToUInt((e.GetInt64(JournalFields.OutputLength) ?? 0) + (e.GetInt64(JournalFields.StderrLength) ?? 0)),
                    fit(e.GetString(JournalFields.OutputSample)),
                    fit(e.GetString(JournalFields.CorrelationId) ?? e.SessionId),
                    (int)(e.GetInt64(JournalFields.ExitCode) ?? 0),
                    fit(e.GetString(JournalFields.IntegrityHash)));
                break;
            case SessionEventNames.TerminalCaptureFailed:
                source.TerminalCaptureFailed(
                    fit(e.GetString(JournalFields.OperationName)),
                    fit(e.GetString(JournalFields.OperationId)),
                    fit(e.GetString(JournalFields.Error)),
                    fit(e.GetString(JournalFields.CorrelationId) ?? e.SessionId));
                break;
            case SessionEventNames.AchievementLogged:
                source.AchievementLogged(
                    fit(e.GetString(JournalFields.AchievementId)),
                    fit(e.GetString(JournalFields.AchievementType)),
                    fit(e.GetString(JournalFields.Description)),
                    fit(e.GetString(JournalFields.CorrelationId) ?? e.SessionId),
                    (uint)((e.Fields[JournalFields.Evidence] as System.Text.Json.Nodes.JsonObject)?.Count ?? 0));
                break;
        }
    }

    private static uint ClampToUInt(double value) => value <= 0 ? 0 : value >= uint.MaxValue ? uint.MaxValue : (uint)value;
}
