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
internal sealed class EventContract
{
    public EventContract(string name, string? provider, int? eventId, EventLevel level, SessionKeywords keywords,
        IReadOnlyList<ProviderField> providerFields, IReadOnlyList<string> journalFields, Func<SessionEvent, SessionRecord> read)
    {
        Name = name;
        Provider = provider;
        EventId = eventId;
        Level = level;
        Keywords = keywords;
        ProviderFields = providerFields;
        JournalFields = journalFields;
        Read = read;
    }

    /// <summary>The event name (journal and provider). Empty for the row of custom events, whose names are the caller's.</summary>
    public string Name { get; }

    /// <summary>The provider that emits it, or null for a journal-only event (OperationStarted).</summary>
    public string? Provider { get; }

    /// <summary>The typed EventSource method's id (manifest generation), when the provider has typed methods.</summary>
    public int? EventId { get; }

    /// <summary>The level (a custom event's own level overrides it).</summary>
    public EventLevel Level { get; }

    /// <summary>The provider keywords.</summary>
    public SessionKeywords Keywords { get; }

    /// <summary>The provider event's fields, in the provider's order.</summary>
    public IReadOnlyList<ProviderField> ProviderFields { get; }

    /// <summary>Every journal field the event can carry, in the journal's order (optional ones included).</summary>
    public IReadOnlyList<string> JournalFields { get; }

    /// <summary>Reads a journal line of this kind back into its typed record.</summary>
    public Func<SessionEvent, SessionRecord> Read { get; }

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
