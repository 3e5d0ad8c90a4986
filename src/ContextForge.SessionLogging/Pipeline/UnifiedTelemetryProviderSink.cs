using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Pipeline;

/// <summary>
/// Sends custom events, log entries and MilestoneReached to the <c>ContextForge.UnifiedTelemetry</c> provider: the
/// caller's fields under the names they were given (the journal's <c>field_</c> prefix undone), with the values the
/// journal holds after redaction and the type tags the record was built with.
/// </summary>
internal sealed class UnifiedTelemetryProviderSink(UnifiedTelemetryEventSource source) : ProviderSink("unified-provider", source)
{
    protected override bool Write(SessionEvent e)
    {
        var (count, json, types, truncated) = UnifiedFieldEncoder.Encode(CallerFields(e));
        if (e.Name == UnifiedTelemetry.MilestoneReachedEventName)
            source.WriteMilestone(new MilestonePayload(e.GetString(JournalFields.MilestoneName) ?? string.Empty, count, json, types, e.SessionId));
        else
            source.WriteSessionEvent(e.Name, e.Level, new SessionEventPayload(count, json, types, e.SessionId));
        return truncated;
    }

    /// <summary>The caller's fields of the event, values as journaled (redacted), type tags from the record.</summary>
    private static List<EventField> CallerFields(SessionEvent e)
    {
        IReadOnlyList<EventField>? given = e.BuiltFrom switch
        {
            CustomEvent c => c.Fields,
            MilestoneReached m => m.Evidence,
            _ => null,
        };
        if (given is null) return [.. CustomEvent.ReadCallerFields(e)];
        var list = new List<EventField>(given.Count);
        foreach (var f in given)
        {
            var value = e.Fields[FieldValues.JournalName(f.Name)];
            list.Add(f with { Json = value?.ToJsonString() ?? "null" });
        }
        return list;
    }
}
