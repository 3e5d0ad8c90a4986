using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;

namespace ContextForge.SessionLogging.Contract;

/// <summary>The type of a provider field, as the EventSource method declares it.</summary>
internal enum ProviderFieldType
{
    String,
    Int32,
    UInt32,
    Double,
    DateTime,
    Guid,
}

/// <summary>
/// One field of a provider event: its provider (PascalCase) name, type, the journal field it comes from (or the
/// trace-only name a reader gives it), and how its value is computed from the journal line.
/// </summary>
/// <param name="Name">The provider's field name (a contract with trace tools: never rename).</param>
/// <param name="Type">The field's type on the provider.</param>
/// <param name="JournalField">The snake_case name the trace reader and <c>verify</c> use for it; null for a field that
/// becomes part of the event's header (SessionId, ActivityId).</param>
/// <param name="Project">The provider value of a journal event: already converted to <paramref name="Type"/>, strings not yet cut.</param>
internal sealed record ProviderField(string Name, ProviderFieldType Type, string? JournalField, Func<SessionEvent, object> Project);

/// <summary>
/// One row of the contract table: an event kind's name, provider, level, keywords, its provider fields in order,
/// its journal fields in order, and how a journal line is read back into its typed record.
/// </summary>
/// <param name="Name">The event name (journal and provider). Empty for the row of custom events, whose names are the caller's.</param>
/// <param name="Provider">The provider that emits it, or null for a journal-only event (OperationStarted).</param>
/// <param name="EventId">The typed EventSource method's id (manifest generation), when the provider has typed methods.</param>
/// <param name="Level">The level (a custom event's own level overrides it).</param>
/// <param name="Keywords">The provider keywords.</param>
/// <param name="ProviderFields">The provider event's fields, in the provider's order.</param>
/// <param name="JournalFields">Every journal field the event can carry, in the journal's order (optional ones included).</param>
/// <param name="Read">Reads a journal line of this kind back into its typed record.</param>
internal sealed record EventContract(string Name, string? Provider, int? EventId, EventLevel Level, SessionKeywords Keywords,
    IReadOnlyList<ProviderField> ProviderFields, IReadOnlyList<string> JournalFields, Func<SessionEvent, SessionRecord> Read)
{
    /// <summary>
    /// The string cut every provider string field gets: ETW drops an event over 64 KB whole, so a string over
    /// <see cref="InputLimits.MaxProviderStringChars"/> characters is cut, ending in <see cref="InputLimits.TruncationMarker"/>.
    /// </summary>
    public static string Cut(string value) => Telemetry.UnifiedFieldEncoder.Fit(value);

    /// <summary>The provider values of <paramref name="e"/>, in field order, strings cut; <paramref name="truncated"/> when any was.</summary>
    public object[] ProviderValues(SessionEvent e, out bool truncated)
    {
        truncated = false;
        var values = new object[ProviderFields.Count];
        for (int i = 0; i < values.Length; i++)
        {
            object v = ProviderFields[i].Project(e);
            if (v is string s && s.Length > InputLimits.MaxProviderStringChars)
            {
                v = Cut(s);
                truncated = true;
            }
            values[i] = v;
        }
        return values;
    }
}
