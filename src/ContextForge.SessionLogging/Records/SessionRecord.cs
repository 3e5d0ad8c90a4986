using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Records;

/// <summary>
/// One typed event of a session: every producer (a <c>run</c>, a <c>Capture</c> scope, an achievement, a milestone,
/// ILogger, Serilog, <see cref="Telemetry.UnifiedTelemetry"/>) builds one of these, and the pipeline turns it into a
/// journal line and provider events through the contract table (<see cref="EventContracts"/>). Reading a journal
/// line back (<see cref="SessionEvent.ToRecord"/>) gives an equal record.
/// </summary>
public abstract record SessionRecord
{
    private protected SessionRecord(DateTimeOffset timestamp) => Timestamp = timestamp.ToUniversalTime();

    /// <summary>When the event happened, UTC (the journal line's <c>ts</c>).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Who recorded it, where and with what; the session fills it in when a producer leaves it null.</summary>
    public Provenance? Provenance { get; init; }

    /// <summary>The event name in the journal and on the provider.</summary>
    public virtual string EventName => Contract.Name;

    /// <summary>The event level: the contract's, or the one a custom event was given.</summary>
    public virtual EventLevel Level => Contract.Level;

    /// <summary>The provider keywords of the event.</summary>
    public virtual SessionKeywords Keywords => Contract.Keywords;

    /// <summary>The row of the contract table this record maps through.</summary>
    internal abstract EventContract Contract { get; }

    /// <summary>
    /// Writes the event's journal fields, in the journal's order (docs/journal-format.md). The one place each field
    /// name of this kind of event is written.
    /// </summary>
    internal abstract void WriteFields(JsonObject fields, in RecordContext context);
}

/// <summary>What the pipeline knows when a record becomes a journal line: the session's activity id and whether a provider listener was enabled.</summary>
internal readonly record struct RecordContext(Guid ActivityId, bool ProviderEnabled);

/// <summary>Who recorded an event, where and with what (the journal's <c>provenance</c> object).</summary>
/// <param name="Host">Machine name.</param>
/// <param name="User">User name.</param>
/// <param name="Pid">Process id of the writer.</param>
/// <param name="Tool">The recording tool (<c>cfsession</c>, or the library host's tool name).</param>
/// <param name="ToolVersion">Its version.</param>
/// <param name="Os">OS description.</param>
/// <param name="OsPlatform"><c>linux</c>, <c>windows</c>, <c>macos</c> or <c>other</c>.</param>
/// <param name="Arch">Process architecture, lower case.</param>
/// <param name="Runtime">.NET runtime description.</param>
/// <param name="Cwd">Working directory (a command's own, for a capture).</param>
/// <param name="ProcessStartTicks">Linux: the writer's start time in clock ticks after boot (tells a reused pid apart).</param>
/// <param name="BootId">Linux: the boot id the writer ran under.</param>
/// <param name="Command">The writing process's command line (argv, the program first), redacted as recorded output is; null when unknown (journals written before it was recorded).</param>
public sealed record Provenance(
    string Host,
    string User,
    long Pid,
    string Tool,
    string ToolVersion,
    string Os,
    string OsPlatform,
    string Arch,
    string Runtime,
    string Cwd,
    long? ProcessStartTicks = null,
    string? BootId = null,
    IReadOnlyList<string>? Command = null)
{
    /// <inheritdoc/>
    public bool Equals(Provenance? other) =>
        other is not null && Host == other.Host && User == other.User && Pid == other.Pid && Tool == other.Tool && ToolVersion == other.ToolVersion
        && Os == other.Os && OsPlatform == other.OsPlatform && Arch == other.Arch && Runtime == other.Runtime && Cwd == other.Cwd
        && ProcessStartTicks == other.ProcessStartTicks && BootId == other.BootId
        && (Command is null ? other.Command is null : other.Command is not null && Command.SequenceEqual(other.Command));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Host, Pid, Tool, Cwd, ProcessStartTicks, Command?.Count);

    internal JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["host"] = Host,
            ["user"] = User,
            ["pid"] = Pid <= int.MaxValue && Pid >= int.MinValue ? JsonValue.Create((int)Pid) : JsonValue.Create(Pid),
            ["tool"] = Tool,
            ["tool_version"] = ToolVersion,
            ["os"] = Os,
            ["os_platform"] = OsPlatform,
            ["arch"] = Arch,
            ["runtime"] = Runtime,
            ["cwd"] = Cwd,
        };
        if (ProcessStartTicks is { } ticks) o[ProvenanceFields.ProcessStartTicks] = ticks;
        if (BootId is { } boot) o[ProvenanceFields.BootId] = boot;
        if (Command is { } command) o[ProvenanceFields.Command] = new JsonArray(command.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        return o;
    }

    internal static Provenance? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        return new Provenance(
            Text(o, "host"), Text(o, "user"), FieldReader.Int64(o["pid"]) ?? 0, Text(o, "tool"), Text(o, "tool_version"),
            Text(o, "os"), Text(o, "os_platform"), Text(o, "arch"), Text(o, "runtime"), Text(o, "cwd"),
            FieldReader.Int64(o[ProvenanceFields.ProcessStartTicks]), FieldReader.String(o[ProvenanceFields.BootId]),
            o[ProvenanceFields.Command] is JsonArray command ? command.Select(a => FieldReader.String(a) ?? string.Empty).ToList() : null);
    }

    private static string Text(JsonObject o, string key) => FieldReader.String(o[key]) ?? string.Empty;
}

/// <summary>
/// One field of an event of the caller's own (a custom event, a log entry, a milestone's evidence, an achievement's
/// evidence): its name as given and its value as JSON text, exactly as it is journaled (a number keeps its digits).
/// </summary>
/// <param name="Name">The field name as given.</param>
/// <param name="Json">The value as JSON text: <c>"text"</c>, <c>42</c>, <c>1.10</c>, <c>true</c>, <c>null</c>, an array or object.</param>
public sealed record EventField(string Name, string Json)
{
    /// <summary>
    /// The provider's type tag of the value (<c>string</c>, <c>int64</c>, <c>uint64</c>, <c>double</c>, <c>bool</c>,
    /// <c>datetime</c>, <c>guid</c>, <c>null</c>): what the CLR value was, which JSON alone cannot tell (a
    /// <c>datetime</c> is a JSON string). Not part of equality: a field read back from a journal infers it.
    /// </summary>
    internal string ProviderType { get; init; } = Telemetry.UnifiedFieldEncoder.String;

    /// <summary>The value as a JSON node (a new one on each call).</summary>
    public JsonNode? ToJsonNode() => JsonNode.Parse(Json);

    /// <inheritdoc/>
    public bool Equals(EventField? other) => other is not null && Name == other.Name && Json == other.Json;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Json);
}

/// <summary>
/// How one output stream of an operation was stored, as its capture record says: inline, as a blob, or not at all
/// (and why). To read the stored bytes back, use <see cref="Journal.StoredOutput"/>.
/// </summary>
/// <param name="Length">Bytes stored (after redaction).</param>
/// <param name="Hash"><c>sha256:</c> and the lowercase hex SHA-256 over the stored bytes.</param>
/// <param name="Inline">The text, when it was stored inline in the journal line.</param>
/// <param name="Blob">The blob reference (<c>blobs/&lt;hex&gt;.zst</c>), when stored as a blob.</param>
/// <param name="BlobError">Why the blob could not be written, when it could not.</param>
/// <param name="Truncated">True when the stream passed the configured cap and its tail was not stored.</param>
/// <param name="ReceivedLength">The bytes received from the child, when truncated.</param>
public sealed record OutputStorage(long Length, string Hash, string? Inline, string? Blob, string? BlobError, bool Truncated = false, long? ReceivedLength = null)
{
    /// <summary>
    /// The raw stream file the bytes are a range of (<c>streams/&lt;operation id&gt;</c>: a <c>cfsession shell</c>'s
    /// stream), when stored so; the range is <see cref="StreamOffset"/> and <see cref="Length"/>.
    /// </summary>
    public string? StreamReference { get; init; }

    /// <summary>Where the bytes start in <see cref="StreamReference"/>.</summary>
    public long? StreamOffset { get; init; }
}
