using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// The <c>ContextForge.UnifiedTelemetry</c> provider, shared by the session logging engine and the Achievement
/// Engine (same keywords: Session 0x1, Achievement 0x2, Terminal 0x4, Milestone 0x8). Self-describing
/// (TraceLogging): events are written with <see cref="EventSource.Write{T}(string, EventSourceOptions, T)"/> and
/// a payload type whose properties are the event's fields. Dynamic field names cannot be TraceLogging field names
/// (a field name comes from a CLR property), so the caller's fields travel as two strings, <c>Fields</c> (a JSON
/// object, names as given) and <c>FieldTypes</c> (one type tag per field, in order), followed by <c>SessionId</c>;
/// <see cref="TracePayload"/> turns them back into named, typed fields. See docs/events.md.
/// </summary>
[EventSource(Name = ProviderName)]
internal sealed class UnifiedTelemetryEventSource : EventSource
{
    public const string ProviderName = "ContextForge.UnifiedTelemetry";

    public static readonly UnifiedTelemetryEventSource Log = new();

    private UnifiedTelemetryEventSource()
        : base(ProviderName, EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    internal static readonly EventSourceOptions SessionOptions = new()
    {
        Level = EventLevel.Informational,
        Keywords = (EventKeywords)0x1,
    };

    internal static readonly EventSourceOptions MilestoneOptions = new()
    {
        Level = EventLevel.Informational,
        Keywords = (EventKeywords)0x8,
    };

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The payload types hold only string and int properties and are kept by DynamicDependency.")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SessionEventPayload))]
    public void WriteSessionEvent(string eventName, EventLevel level, in SessionEventPayload payload)
    {
        if (level == EventLevel.Informational)
        {
            Write(eventName, SessionOptions, payload);
            return;
        }
        var options = new EventSourceOptions { Level = level, Keywords = (EventKeywords)0x1 };
        Write(eventName, options, payload);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The payload types hold only string and int properties and are kept by DynamicDependency.")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(MilestonePayload))]
    public void WriteMilestone(in MilestonePayload payload) =>
        Write(UnifiedTelemetry.MilestoneReachedEventName, MilestoneOptions, payload);
}

/// <summary>
/// The payload of a dynamic session event: the fields as JSON, their type tags, their count, and the session the
/// event was journaled in (empty when none), so a trace reader can attribute it.
/// </summary>
[EventData]
internal readonly struct SessionEventPayload(int fieldCount, string fields, string fieldTypes, string sessionId)
{
    public int FieldCount { get; } = fieldCount;
    public string Fields { get; } = fields;
    public string FieldTypes { get; } = fieldTypes;
    public string SessionId { get; } = sessionId;
}

/// <summary>The payload of MilestoneReached: the milestone's name first, then the fields as in <see cref="SessionEventPayload"/>.</summary>
[EventData]
internal readonly struct MilestonePayload(string milestoneName, int fieldCount, string fields, string fieldTypes, string sessionId)
{
    public string MilestoneName { get; } = milestoneName;
    public int FieldCount { get; } = fieldCount;
    public string Fields { get; } = fields;
    public string FieldTypes { get; } = fieldTypes;
    public string SessionId { get; } = sessionId;
}
