using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>A logged achievement, as journaled.</summary>
/// <param name="AchievementId"><c>ACH-{first 8 chars of the correlation id}-{NNN}</c>.</param>
/// <param name="CorrelationId">The session (correlation) id.</param>
/// <param name="AchievementType">The kind of outcome, e.g. <c>tests_passed</c>.</param>
/// <param name="Description">What was achieved.</param>
/// <param name="Timestamp">When, in UTC.</param>
/// <param name="Evidence">The evidence entries, read-only: each a typed JSON value, exactly as journaled (numbers keep their digits).</param>
public sealed record AchievementRecord(
    string AchievementId,
    string CorrelationId,
    string AchievementType,
    string Description,
    DateTimeOffset Timestamp,
    IReadOnlyDictionary<string, JsonElement> Evidence)
{
    /// <summary>
    /// The seed's <c>etw_correlation</c>, as journaled: <c>{activity_id, etw_emitted, achievement_id}</c>
    /// (<c>etw_emitted</c>: whether a provider listener was enabled when it was written). Read-only.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement>? EtwCorrelation { get; init; }
}

/// <summary>Read-only copies of journaled JSON objects, and back (for hosts that print them).</summary>
internal static class ReadOnlyJson
{
    public static IReadOnlyDictionary<string, JsonElement> Of(JsonObject? source)
    {
        var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (source is not null)
        {
            using var document = JsonDocument.Parse(source.ToJsonString());
            foreach (var property in document.RootElement.EnumerateObject()) entries[property.Name] = property.Value.Clone();
        }
        return entries.AsReadOnly();
    }

    public static JsonObject ToJsonObject(IReadOnlyDictionary<string, JsonElement> entries)
    {
        var result = new JsonObject();
        foreach (var (name, value) in entries) result[name] = JsonNode.Parse(value.GetRawText());
        return result;
    }
}

/// <summary>A captured operation, as journaled.</summary>
/// <param name="OperationId">The operation's id (a UUID).</param>
/// <param name="OperationName">The operation's name (for a command, its command line).</param>
/// <param name="CorrelationId">The session (correlation) id.</param>
/// <param name="StartTime">When it started, UTC.</param>
/// <param name="EndTime">When it ended, UTC.</param>
/// <param name="Duration">Its duration from a monotonic clock.</param>
/// <param name="ExitCode">The exit code (commands), 128+signal when a signal ended it; null for in-process blocks.</param>
/// <param name="OutputLength">Bytes of output captured.</param>
/// <param name="IntegrityHash"><c>sha256:</c> and the hex SHA-256 over the exact captured bytes.</param>
/// <param name="Succeeded">False when the operation failed (non-zero exit, or an exception).</param>
public sealed record CaptureRecord(
    string OperationId,
    string OperationName,
    string CorrelationId,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    TimeSpan Duration,
    int? ExitCode,
    long OutputLength,
    string IntegrityHash,
    bool Succeeded);
