using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>Forwards journal events to the <c>ContextForge.SessionLogging</c> provider's typed events.</summary>
internal sealed class EventSourceSink(SessionLoggingEventSource source) : ISessionEventSink
{
    private long _received, _stored;

    // EventSource reports no per-write failure; events a trace session loses are counted by the session itself
    // (the trace's lost-event count), so this sink's own drop count is always 0.
    public SinkStatistics Statistics => new("provider", Interlocked.Read(ref _received), Interlocked.Read(ref _stored), 0, null);

    /// <summary>True when a listener (ETW, EventPipe or an EventListener) would receive this event.</summary>
    public bool IsEnabledFor(EventLevel level, SessionKeywords keywords) => source.IsEnabled(level, (EventKeywords)keywords);

    public void Emit(SessionEvent e)
    {
        Interlocked.Increment(ref _received);
        // Not enabled is not a drop: nobody asked for the event.
        Interlocked.Increment(ref _stored);
        if (!IsEnabledFor(e.Level, e.Keywords)) return;
        switch (e.Name)
        {
            case SessionEventNames.SessionStart:
                source.SessionStart(
                    e.SessionId,
                    e.GetString(JournalFields.SessionType) ?? string.Empty,
                    (e.Fields[JournalFields.StartTime] is { } st ? DateTimeOffset.Parse(st.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : e.Timestamp).UtcDateTime,
                    e.ActivityId,
                    e.GetString(JournalFields.Methodology) ?? string.Empty,
                    e.GetString(JournalFields.SessionName) ?? string.Empty);
                break;
            case SessionEventNames.SessionEnd:
                source.SessionEnd(
                    e.SessionId,
                    e.GetDouble(JournalFields.DurationMs) ?? 0,
                    (int)(e.GetInt64(JournalFields.OperationCount) ?? 0),
                    (int)(e.GetInt64(JournalFields.AchievementCount) ?? 0),
                    (int)(e.GetInt64(JournalFields.FailedOperationCount) ?? 0),
                    e.GetString(JournalFields.Status) ?? string.Empty);
                break;
            case SessionEventNames.TerminalCapture:
                source.TerminalCapture(
                    e.GetString(JournalFields.OperationName) ?? string.Empty,
                    e.GetString(JournalFields.OperationId) ?? string.Empty,
                    ClampToUInt(e.GetDouble(JournalFields.DurationMs) ?? 0),
                    ClampToUInt((e.GetInt64(JournalFields.OutputLength) ?? 0) + (e.GetInt64(JournalFields.StderrLength) ?? 0)),
                    e.GetString(JournalFields.OutputSample) ?? string.Empty,
                    e.GetString(JournalFields.CorrelationId) ?? e.SessionId,
                    (int)(e.GetInt64(JournalFields.ExitCode) ?? 0),
                    e.GetString(JournalFields.IntegrityHash) ?? string.Empty);
                break;
            case SessionEventNames.TerminalCaptureFailed:
                source.TerminalCaptureFailed(
                    e.GetString(JournalFields.OperationName) ?? string.Empty,
                    e.GetString(JournalFields.OperationId) ?? string.Empty,
                    e.GetString(JournalFields.Error) ?? string.Empty,
                    e.GetString(JournalFields.CorrelationId) ?? e.SessionId);
                break;
            case SessionEventNames.AchievementLogged:
                source.AchievementLogged(
                    e.GetString(JournalFields.AchievementId) ?? string.Empty,
                    e.GetString(JournalFields.AchievementType) ?? string.Empty,
                    e.GetString(JournalFields.Description) ?? string.Empty,
                    e.GetString(JournalFields.CorrelationId) ?? e.SessionId,
                    (uint)((e.Fields[JournalFields.Evidence] as System.Text.Json.Nodes.JsonObject)?.Count ?? 0));
                break;
        }
    }

    private static uint ClampToUInt(double value) => value <= 0 ? 0 : value >= uint.MaxValue ? uint.MaxValue : (uint)value;
}
