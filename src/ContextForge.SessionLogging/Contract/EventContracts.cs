using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Telemetry;
using F = ContextForge.SessionLogging.Events.JournalFields;

namespace ContextForge.SessionLogging.Contract;

/// <summary>
/// The contract table: for every event kind, its name, provider, level, keywords, provider fields (order, types,
/// where each value comes from) and journal fields (order). The provider sinks, the journal reader
/// (<see cref="SessionEvent.ToRecord"/>), the trace reader and <c>verify</c> all read it; docs/events.md and
/// docs/journal-format.md describe the same table, and tests check it against a real EventPipe recording and the docs.
/// </summary>
internal static class EventContracts
{
    public const string SessionLoggingProvider = "ContextForge.SessionLogging";
    public const string UnifiedTelemetryProvider = "ContextForge.UnifiedTelemetry";

    private static ProviderField Text(string name, string journalField) =>
        new(name, ProviderFieldType.String, journalField, e => e.GetString(journalField) ?? string.Empty);

    private static ProviderField Correlation() =>
        new("CorrelationId", ProviderFieldType.String, F.CorrelationId, e => e.GetString(F.CorrelationId) ?? e.SessionId);

    private static ProviderField SessionIdHeader() => new("SessionId", ProviderFieldType.String, null, e => e.SessionId);

    private static ProviderField Int(string name, string journalField) =>
        new(name, ProviderFieldType.Int32, journalField, e => (int)(e.GetInt64(journalField) ?? 0));

    private static uint ClampToUInt(double value) => value <= 0 ? 0 : value >= uint.MaxValue ? uint.MaxValue : (uint)value;

    public static readonly EventContract SessionStart = new(
        SessionEventNames.SessionStart, SessionLoggingProvider, 1, EventLevel.Informational, SessionKeywords.Session,
        [
            SessionIdHeader(),
            Text("SessionType", F.SessionType),
            new("StartTime", ProviderFieldType.DateTime, F.StartTime, e => (FieldReader.Time(e.Fields[F.StartTime]) ?? e.Timestamp).UtcDateTime),
            new("ActivityId", ProviderFieldType.Guid, null, e => e.ActivityId),
            Text("Methodology", F.Methodology),
            Text("SessionName", F.SessionName),
        ],
        [F.SessionName, F.SessionType, F.StartTime, F.Methodology, F.CorrelationId, F.TraceId, F.SpanId, F.ParentSessionId, F.SessionLifetime, F.Provenance, F.EtwCorrelation],
        SessionStarted.Read);

    public static readonly EventContract SessionEnd = new(
        SessionEventNames.SessionEnd, SessionLoggingProvider, 2, EventLevel.Informational, SessionKeywords.Session,
        [
            SessionIdHeader(),
            new("DurationMs", ProviderFieldType.Double, F.DurationMs, e => e.GetDouble(F.DurationMs) ?? 0),
            Int("OperationCount", F.OperationCount),
            Int("AchievementCount", F.AchievementCount),
            Int("FailedOperationCount", F.FailedOperationCount),
            Text("Status", F.Status),
        ],
        [F.CorrelationId, F.StartTime, F.EndTime, F.DurationMs, F.OperationCount, F.FailedOperationCount, F.AchievementCount, F.Status, F.Provenance, F.EtwCorrelation],
        SessionEnded.Read);

    public static readonly EventContract TerminalCapture = new(
        SessionEventNames.TerminalCapture, SessionLoggingProvider, 3, EventLevel.Informational, SessionKeywords.Terminal,
        [
            Text("OperationName", F.OperationName),
            Text("OperationId", F.OperationId),
            new("DurationMs", ProviderFieldType.UInt32, F.DurationMs, e => ClampToUInt(e.GetDouble(F.DurationMs) ?? 0)),
            new("OutputLength", ProviderFieldType.UInt32, F.OutputLength, e => ClampToUInt((e.GetInt64(F.OutputLength) ?? 0) + (e.GetInt64(F.StderrLength) ?? 0))),
            Text("OutputSample", F.OutputSample),
            Correlation(),
            Int("ExitCode", F.ExitCode),
            Text("IntegrityHash", F.IntegrityHash),
        ],
        [F.OperationId, F.OperationName, F.OperationKind, F.CorrelationId, F.TraceId, F.SpanId, F.ParentSpanId, F.ParentOperationId,
         F.LinkedOperationId, F.StartTime, F.EndTime, F.DurationMs, F.Command, F.Arguments, F.Cwd, F.ExitCode, F.Signal, F.CaptureMode, F.Error,
         F.OutputLength, F.IntegrityHash, F.Output, F.OutputBlob, F.OutputStream, F.OutputOffset, F.OutputBlob + "_error", F.OutputTruncated, F.OutputReceivedLength,
         F.StderrLength, F.StderrHash, F.Stderr, F.StderrBlob, F.StderrBlob + "_error", F.StderrTruncated, F.StderrReceivedLength,
         F.OutputSample, F.Provenance, F.EtwCorrelation],
        OperationCaptured.Read);

    public static readonly EventContract TerminalCaptureFailed = new(
        SessionEventNames.TerminalCaptureFailed, SessionLoggingProvider, 4, EventLevel.Error, SessionKeywords.Terminal,
        [
            Text("OperationName", F.OperationName),
            Text("OperationId", F.OperationId),
            Text("Error", F.Error),
            Correlation(),
        ],
        [F.OperationId, F.OperationName, F.OperationKind, F.CorrelationId, F.TraceId, F.SpanId, F.ParentSpanId, F.StartTime, F.EndTime,
         F.DurationMs, F.CaptureMode, F.OutputLength, F.IntegrityHash, F.Output, F.OutputBlob, F.OutputBlob + "_error",
         F.OutputTruncated, F.OutputReceivedLength, F.OutputSample, F.Error, F.ErrorType, F.Provenance, F.EtwCorrelation],
        OperationFailed.Read);

    public static readonly EventContract AchievementLogged = new(
        SessionEventNames.AchievementLogged, SessionLoggingProvider, 5, EventLevel.Informational, SessionKeywords.Achievement,
        [
            Text("AchievementId", F.AchievementId),
            Text("AchievementType", F.AchievementType),
            Text("Description", F.Description),
            Correlation(),
            new("EvidenceKeys", ProviderFieldType.UInt32, EvidenceKeysField, e => (uint)((e.Fields[F.Evidence] as JsonObject)?.Count ?? 0)),
        ],
        [F.AchievementId, F.CorrelationId, F.AchievementType, F.Description, F.Timestamp, F.Evidence, F.Provenance, F.EtwCorrelation],
        Records.AchievementLogged.Read);

    /// <summary>Journal only: never sent to a provider.</summary>
    public static readonly EventContract OperationStarted = new(
        SessionEventNames.OperationStarted, null, null, EventLevel.Informational, SessionKeywords.Terminal,
        [],
        [F.OperationId, F.OperationName, F.OperationKind, F.CorrelationId, F.ParentOperationId, F.StartTime, F.Command, F.Arguments, F.Cwd, F.Provenance],
        Records.OperationStarted.Read);

    /// <summary>The unified provider's payload after the name: the caller's fields as JSON, their type tags, their count, the session.</summary>
    private static readonly ProviderField[] UnifiedPayload =
    [
        new("FieldCount", ProviderFieldType.Int32, null, e => 0),
        new("Fields", ProviderFieldType.String, null, e => string.Empty),
        new("FieldTypes", ProviderFieldType.String, null, e => string.Empty),
        SessionIdHeader(),
    ];

    /// <summary>Events of the caller's own (and LogEntry): the caller's name and level, Session keyword, unified provider.</summary>
    public static readonly EventContract CustomEvent = new(
        string.Empty, UnifiedTelemetryProvider, null, EventLevel.Informational, SessionKeywords.Session,
        UnifiedPayload, [F.Provenance], Records.CustomEvent.Read);

    public static readonly EventContract MilestoneReached = new(
        UnifiedTelemetry.MilestoneReachedEventName, UnifiedTelemetryProvider, null, EventLevel.Informational, SessionKeywords.Milestone,
        [new(UnifiedTelemetry.MilestoneNameField, ProviderFieldType.String, F.MilestoneName, e => e.GetString(F.MilestoneName) ?? string.Empty), .. UnifiedPayload],
        [F.MilestoneName, F.Provenance], Records.MilestoneReached.Read);

    /// <summary>The trace's own field carrying an achievement's number of evidence entries.</summary>
    public const string EvidenceKeysField = "evidence_keys";

    /// <summary>Every row, the typed provider's first.</summary>
    public static readonly IReadOnlyList<EventContract> All =
        [SessionStart, SessionEnd, TerminalCapture, TerminalCaptureFailed, AchievementLogged, OperationStarted, MilestoneReached, CustomEvent];

    private static readonly Dictionary<string, EventContract> ByName = All.Where(c => c.Name.Length > 0).ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>The row of an event name; any name not in the table is a custom event.</summary>
    public static EventContract For(string eventName) => ByName.GetValueOrDefault(SessionEventNames.Normalize(eventName)) ?? CustomEvent;

    /// <summary>The row of a typed-provider event name (trace decoders may spell SessionStart <c>Session/Start</c>), or null.</summary>
    public static EventContract? ForProviderEvent(string provider, string eventName) =>
        ByName.GetValueOrDefault(SessionEventNames.Normalize(eventName)) is { } c && c.Provider == provider ? c : provider == UnifiedTelemetryProvider ? CustomEvent : null;

    /// <summary>
    /// What the provider emits for a journal event, keyed by the journal (snake_case) names the trace reader gives
    /// the provider's fields, with the provider's conversions and string cut applied: what <c>verify</c> expects to
    /// find in a trace. Null for an event the typed provider does not emit.
    /// </summary>
    public static JsonObject? ExpectedProviderFields(SessionEvent journal)
    {
        var contract = For(journal.Name);
        if (contract.Provider != SessionLoggingProvider) return null;
        var values = contract.ProviderValues(journal, out _);
        var expected = new JsonObject();
        for (int i = 0; i < values.Length; i++)
        {
            var field = contract.ProviderFields[i];
            if (field.JournalField is null) continue;
            expected[field.JournalField] = values[i] switch
            {
                string s => JsonValue.Create(s),
                int n => JsonValue.Create((long)n),
                uint n => JsonValue.Create((long)n),
                double d => JsonValue.Create(d),
                DateTime t => JsonValue.Create(Sessions.SessionManager.FormatTime(new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)))),
                Guid g => JsonValue.Create(g.ToString("D")),
                var other => JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
            };
        }
        return expected;
    }

    /// <summary>The journal name the trace reader gives a provider field: from the table, else its snake_case form.</summary>
    public static string JournalNameOf(EventContract? contract, string providerField)
    {
        if (contract is not null)
        {
            foreach (var f in contract.ProviderFields)
            {
                if (f.Name == providerField && f.JournalField is not null) return f.JournalField;
            }
        }
        return SnakeCase(providerField);
    }

    /// <summary>A PascalCase name as the journal spells it: <c>DurationMs</c> is <c>duration_ms</c>.</summary>
    public static string SnakeCase(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1]))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
