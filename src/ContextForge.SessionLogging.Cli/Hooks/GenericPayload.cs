using System.Text.Json;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Cli.Hooks;

/// <summary>
/// <c>cfsession hook generic</c>'s payload, for agents other than Claude Code (docs/agents.md):
/// <c>{"command": "...", "output": "...", "stderr": "...", "exit_code": 0, "cwd": "...", "session_id": "...", "agent": "..."}</c>.
/// Only <c>command</c> is required; <c>exit_code</c> absent or null is recorded as unknown.
/// </summary>
internal static class GenericPayload
{
    /// <summary>The agent name when the payload gives none.</summary>
    public const string DefaultAgent = "agent";

    public static (HookReport Report, string Agent) Read(byte[] payload, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return (new HookProblem($"the payload is not JSON ({ex.Message.Split(" LineNumber", 2)[0].TrimEnd('.')})", PayloadFields.Head(payload)), DefaultAgent);
        }
        using (document)
        {
            var root = document.RootElement;
            string agent = PayloadFields.String(root, "agent") is { Length: > 0 and <= 64 } a && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? a : DefaultAgent;
            if (root.ValueKind != JsonValueKind.Object) return (new HookProblem("the payload is not a JSON object", PayloadFields.Head(payload)), agent);
            string? agentSession = PayloadFields.String(root, "session_id");
            if (PayloadFields.String(root, "command") is not { Length: > 0 } command)
                return (new HookProblem("the payload has no command (a non-empty string)", PayloadFields.Head(payload)) { AgentSessionId = agentSession }, agent);
            long? duration = root.TryGetProperty("duration_ms", out var d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long ms) && ms >= 0 && ms <= (long)InputLimits.MaxDuration.TotalMilliseconds ? ms : null;
            var operation = new ReportedOperation(command, agent, [command], PayloadFields.String(root, "cwd") ?? "",
                duration is { } past ? now - TimeSpan.FromMilliseconds(past) : now, TimeSpan.FromMilliseconds(duration ?? 0),
                PayloadFields.Utf8(PayloadFields.String(root, "output")), PayloadFields.Utf8(PayloadFields.String(root, "stderr")),
                PayloadFields.ExitCode(root, "exit_code"), PayloadFields.String(root, "error"));
            return (new AgentToolCall(operation) { AgentSessionId = agentSession }, agent);
        }
    }
}
