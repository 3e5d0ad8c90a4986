using System.Text;
using System.Text.Json;

namespace ContextForge.SessionLogging.Cli.Hooks;

/// <summary>What a hook call asks cfsession to record, read from an agent's payload.</summary>
internal abstract record HookReport
{
    /// <summary>The agent's own session id (ties the call to one cfsession session); null when the payload has none.</summary>
    public string? AgentSessionId { get; init; }
}

/// <summary>The agent's session began (Claude Code <c>SessionStart</c>): open its cfsession session.</summary>
internal sealed record AgentSessionStarted(string? Source) : HookReport;

/// <summary>The agent's session ended (Claude Code <c>SessionEnd</c>): end its cfsession session.</summary>
internal sealed record AgentSessionEnded(string? Reason) : HookReport;

/// <summary>A tool call finished: recorded as one operation.</summary>
internal sealed record AgentToolCall(Capture.ReportedOperation Operation) : HookReport;

/// <summary>A payload cfsession could not use (malformed, unknown event): recorded as a warning, never a failure of the hook.</summary>
internal sealed record HookProblem(string Problem, string PayloadHead) : HookReport;

/// <summary>An event cfsession does not record (PreToolUse, Notification, ...): nothing is written.</summary>
internal sealed record HookIgnored(string EventName) : HookReport;

/// <summary>Reading JSON payload fields leniently: a field of the wrong type is treated as absent.</summary>
internal static class PayloadFields
{
    public static string? String(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static JsonElement? Object(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    public static bool Flag(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>An integer exit code; null when absent, not an integer, or out of range (never guessed).</summary>
    public static int? ExitCode(JsonElement o, params string[] names)
    {
        foreach (string name in names)
        {
            if (o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int code))
                return code;
        }
        return null;
    }

    public static byte[] Utf8(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);

    /// <summary>The first characters of a payload, for a warning (it is redacted as every recorded field is).</summary>
    public static string Head(byte[] payload) => Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 200));
}
