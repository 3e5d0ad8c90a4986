using System.Text.Json;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Cli.Hooks;

/// <summary>
/// Reads one Claude Code hook payload (the JSON object on the hook command's stdin; docs/agents.md lists the fields
/// used): <c>session_id</c>, <c>cwd</c>, <c>hook_event_name</c>, and for tool events <c>tool_name</c>,
/// <c>tool_input</c>, <c>tool_response</c> (PostToolUse) or <c>error</c> and <c>is_interrupt</c> (PostToolUseFailure).
/// </summary>
internal static partial class ClaudeCodePayload
{
    /// <summary>The agent name cfsession sessions of Claude Code carry (their type).</summary>
    public const string Agent = "claude-code";

    /// <summary>Claude Code's failure text for a command that exited non-zero begins "Exit code N".</summary>
    [GeneratedRegex(@"\AExit code (\d{1,9})\b", RegexOptions.CultureInvariant)]
    private static partial Regex ExitCodePrefix();

    public static HookReport Read(byte[] payload, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return new HookProblem($"the payload is not JSON ({ex.Message.Split(" LineNumber", 2)[0].TrimEnd('.')})", PayloadFields.Head(payload));
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new HookProblem("the payload is not a JSON object", PayloadFields.Head(payload));
            string? agentSession = PayloadFields.String(root, "session_id");
            string? eventName = PayloadFields.String(root, "hook_event_name");
            HookReport report = eventName switch
            {
                "SessionStart" => new AgentSessionStarted(PayloadFields.String(root, "source")),
                "SessionEnd" => new AgentSessionEnded(PayloadFields.String(root, "reason")),
                "PostToolUse" => ToolCall(root, failed: false, now),
                "PostToolUseFailure" => ToolCall(root, failed: true, now),
                null => new HookProblem("the payload has no hook_event_name", PayloadFields.Head(payload)),
                "PreToolUse" or "UserPromptSubmit" or "Notification" or "Stop" or "SubagentStop" or "PreCompact" or "PermissionRequest" => new HookIgnored(eventName),
                _ => new HookProblem($"unknown hook event '{Events.PrintableText.Escape(eventName)}'", PayloadFields.Head(payload)),
            };
            return report with { AgentSessionId = agentSession };
        }
    }

    /// <summary>
    /// A tool call as an operation. Bash: the command line, stdout and stderr, the exit code only where the payload
    /// gives one (a number in <c>tool_response</c>, or a failure text beginning "Exit code N"); otherwise unknown.
    /// A failure records its error text and whether it was interrupted. Other tools (Edit, Write, Read...): the tool
    /// name and the path.
    /// </summary>
    private static HookReport ToolCall(JsonElement root, bool failed, DateTimeOffset now)
    {
        string tool = PayloadFields.String(root, "tool_name") ?? "unknown";
        string cwd = PayloadFields.String(root, "cwd") ?? "";
        var input = PayloadFields.Object(root, "tool_input") ?? default;
        var response = PayloadFields.Object(root, "tool_response") ?? default;
        bool interrupted = PayloadFields.Flag(root, "is_interrupt") || PayloadFields.Flag(response, "interrupted");
        bool isError = PayloadFields.Flag(response, "is_error") || PayloadFields.Flag(root, "is_error");
        string? errorText = failed ? PayloadFields.String(root, "error") ?? "the tool call failed (no error text given)" : null;
        if (!failed && (interrupted || isError)) errorText = interrupted ? "interrupted" : "the tool reported an error";
        else if (errorText is not null && interrupted) errorText = "interrupted: " + errorText;
        int? exitCode = PayloadFields.ExitCode(response, "exit_code", "exitCode", "returnCode");
        if (exitCode is null && PayloadFields.String(root, "error") is { } error && ExitCodePrefix().Match(error) is { Success: true } m)
            exitCode = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (tool == "Bash")
        {
            string command = PayloadFields.String(input, "command") ?? "";
            return new AgentToolCall(new ReportedOperation(command, tool, [command], cwd, now, TimeSpan.Zero,
                PayloadFields.Utf8(PayloadFields.String(response, "stdout")), PayloadFields.Utf8(PayloadFields.String(response, "stderr")), exitCode, errorText));
        }
        // File tools name a path; others (Grep, WebFetch, MCP tools...) are recorded by name and their main argument when there is one.
        string? target = PayloadFields.String(input, "file_path") ?? PayloadFields.String(input, "notebook_path") ?? PayloadFields.String(input, "path")
            ?? PayloadFields.String(input, "pattern") ?? PayloadFields.String(input, "url");
        string name = target is null ? tool : $"{tool} {target}";
        return new AgentToolCall(new ReportedOperation(name, tool, target is null ? [] : [target], cwd, now, TimeSpan.Zero, [], [], exitCode, errorText));
    }
}
