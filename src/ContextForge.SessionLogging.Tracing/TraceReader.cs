using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>One provider event read from a trace: which provider wrote it, and the event in the journal's form.</summary>
/// <param name="Provider">The provider name (<c>ContextForge.SessionLogging</c> or <c>ContextForge.UnifiedTelemetry</c>).</param>
/// <param name="Event">The event, with the journal's name and snake_case field names.</param>
/// <param name="HeaderActivityId">The event header's activity id: the session's (empty in traces written before issue 13).</param>
/// <param name="RelatedActivityId">The header's related activity id: the parent session's, on a child session's SessionStart; else empty.</param>
public sealed record TracedEvent(string Provider, SessionEvent Event, Guid HeaderActivityId = default, Guid RelatedActivityId = default);

/// <summary>What a trace file holds for the ContextForge providers.</summary>
/// <param name="Path">The trace file.</param>
/// <param name="Format">"nettrace" (EventPipe) or "etl" (ETW).</param>
/// <param name="Events">The providers' events in trace order (other providers' events are skipped).</param>
/// <param name="LostEvents">Events the recording session itself reports as lost (buffers full).</param>
/// <param name="TraceStart">When the recording session started (UTC).</param>
/// <param name="TraceEnd">When the recording session ended (UTC).</param>
/// <param name="Unattributed">Provider events that name no session (no SessionId or CorrelationId field).</param>
public sealed record TraceReadResult(
    string Path,
    string Format,
    IReadOnlyList<TracedEvent> Events,
    long LostEvents,
    DateTimeOffset TraceStart,
    DateTimeOffset TraceEnd,
    int Unattributed);

/// <summary>A trace file that cannot be read (missing, not a trace, truncated, or a format this OS cannot read).</summary>
public sealed class TraceReadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Decodes a .nettrace (EventPipe, any OS: written by <c>cfsession trace record</c>, <c>dotnet-trace collect</c> or the
/// <c>DOTNET_EnableEventPipe</c> variables) or an .etl (ETW, Windows only) into the same <see cref="SessionEvent"/>s
/// the journal reader gives: names as in the journal (<c>Session/Start</c> becomes <c>SessionStart</c>), fields
/// under their snake_case journal names, timestamps in UTC, keywords masked to the low 32 bits.
/// </summary>
public static class TraceReader
{
    /// <summary>The trace's own field carrying the number of evidence entries of an achievement.</summary>
    public const string EvidenceKeysField = Contract.EventContracts.EvidenceKeysField;

    /// <summary>Reads a trace file; the format follows the extension (.etl is ETW, anything else EventPipe).</summary>
    public static TraceReadResult Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no trace file {path}", path);
        bool etl = string.Equals(System.IO.Path.GetExtension(path), ".etl", StringComparison.OrdinalIgnoreCase);
        if (etl && !OperatingSystem.IsWindows())
            throw new TraceUnavailableException($"{path} is an ETW trace (.etl): reading .etl needs Windows; record with EventPipe (.nettrace) here");
        try
        {
            using TraceEventDispatcher source = etl ? OpenEtl(path) : new Microsoft.Diagnostics.Tracing.EventPipeEventSource(path);
            return Decode(source, path, etl ? "etl" : "nettrace");
        }
        catch (OutOfMemoryException ex)
        {
            throw new TraceReadException(CorruptSize(path), ex);
        }
        catch (Exception ex) when (ex is not TraceReadException and not TraceUnavailableException)
        {
            throw new TraceReadException($"{path} is not a readable {(etl ? "ETW" : "EventPipe")} trace: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    // TraceEvent allocates each block with the size the file gives (NativeMemory.Alloc): a corrupt size field asks
    // for gigabytes and throws OutOfMemoryException out of EventPipeEventSource.Process. The allocation failed, nothing was allocated: the file is reported like any corrupt trace.
    private static string CorruptSize(string name) =>
        $"{name} is not a readable EventPipe trace: a block asks for more memory than is available (a corrupt size field, or a trace too large to read)";

    /// <summary>Reads a .nettrace stream (for traces held in memory).</summary>
    public static TraceReadResult Read(Stream nettrace, string name)
    {
        try
        {
            using var source = new Microsoft.Diagnostics.Tracing.EventPipeEventSource(nettrace);
            return Decode(source, name, "nettrace");
        }
        catch (OutOfMemoryException ex)
        {
            throw new TraceReadException(CorruptSize(name), ex);
        }
        catch (Exception ex)
        {
            throw new TraceReadException($"{name} is not a readable EventPipe trace: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static ETWTraceEventSource OpenEtl(string path) => new(path);

    private static TraceReadResult Decode(TraceEventDispatcher source, string path, string format)
    {
        var events = new List<TracedEvent>();
        var activities = new Dictionary<string, Guid>(StringComparer.Ordinal);
        int unattributed = 0;
        // Self-describing (TraceLogging) events are only surfaced by the dynamic parser.
        source.Dynamic.All += e =>
        {
            if (!TraceProviders.IsOurs(e.ProviderName)) return;
            var converted = Convert(e, activities);
            if (converted is null) unattributed++;
            else events.Add(new TracedEvent(e.ProviderName, converted, e.ActivityID, e.RelatedActivityID));
        };
        source.Process();
        return new TraceReadResult(path, format, events, source.EventsLost,
            ToUtc(source.SessionStartTime), ToUtc(source.SessionEndTime), unattributed);
    }

    private static DateTimeOffset ToUtc(DateTime time) => new(time.ToUniversalTime(), TimeSpan.Zero);

    private static SessionEvent? Convert(TraceEvent e, Dictionary<string, Guid> activities)
    {
        if (e.ProviderName == TraceProviders.UnifiedTelemetry) return ConvertUnified(e, activities);
        string name = SessionEventNames.Normalize(e.EventName);
        var contract = Contract.EventContracts.ForProviderEvent(e.ProviderName, name);
        string[] names = e.PayloadNames ?? [];
        var fields = new JsonObject();
        string? sessionId = null;
        Guid? activityId = null;
        for (int i = 0; i < names.Length; i++)
        {
            object? value = e.PayloadValue(i);
            switch (names[i])
            {
                case "SessionId":
                    sessionId = value as string;
                    continue;
                case "ActivityId" when value is Guid g:
                    activityId = g;
                    continue;
                case "CorrelationId":
                    sessionId ??= value as string;
                    break;
            }
            fields[Contract.EventContracts.JournalNameOf(contract, names[i])] = ToJson(value);
        }
        if (string.IsNullOrEmpty(sessionId)) return null;
        if (activityId is { } started) activities[sessionId] = started;
        // Only SessionStart carries the session's activity id; later events take it from the session's start.
        Guid activity = activityId ?? activities.GetValueOrDefault(sessionId);
        return new SessionEvent(name, ToUtc(e.TimeStamp), sessionId, activity, (EventLevel)(int)e.Level,
            (SessionKeywords)((long)e.Keywords & TraceProviders.KeywordMask), fields);
    }

    /// <summary>
    /// A <c>ContextForge.UnifiedTelemetry</c> event (a session event of the caller's own, a log entry,
    /// MilestoneReached): flattened by <see cref="TracePayload"/> (over EventPipe the payload is one unnamed struct)
    /// into the journal's form: the fields under the names given (a journal header name gets <c>field_</c>),
    /// <c>MilestoneName</c> as <c>milestone_name</c>, values as the journal writes them. Unattributed (null) when
    /// it was emitted outside a session.
    /// </summary>
    private static SessionEvent? ConvertUnified(TraceEvent e, Dictionary<string, Guid> activities)
    {
        string[] names = e.PayloadNames ?? [];
        var values = new object?[names.Length];
        for (int i = 0; i < names.Length; i++) values[i] = e.PayloadValue(i);
        var (sessionId, flattened) = TracePayload.Decode(names, values);
        if (sessionId is null) return null;
        var fields = new JsonObject();
        foreach (var (key, value) in flattened)
        {
            if (key == UnifiedTelemetry.MilestoneNameField) fields[JournalFields.MilestoneName] = value as string;
            else fields[Records.FieldValues.JournalName(key)] = ToJson(value);
        }
        return new SessionEvent(e.EventName, ToUtc(e.TimeStamp), sessionId, activities.GetValueOrDefault(sessionId), (EventLevel)(int)e.Level,
            (SessionKeywords)((long)e.Keywords & TraceProviders.KeywordMask), fields);
    }

    /// <summary>A trace value in the journal's form: the one field conversion (times from the trace's local clock to UTC).</summary>
    private static JsonNode? ToJson(object? value) =>
        Records.FieldValues.From(string.Empty, value is DateTime t ? ToUtc(t) : value).ToJsonNode();
}
