using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Hooks;

/// <summary>
/// <c>cfsession hook claude-code|generic</c> as the real executable, fed payloads shaped as Claude Code's hooks
/// reference documents them (common fields session_id, transcript_path, cwd, hook_event_name; PostToolUse's
/// tool_input/tool_response; PostToolUseFailure's error and is_interrupt).
/// </summary>
public sealed class HookCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _agentSession = Guid.NewGuid().ToString("D");

    public void Dispose() => _dir.Dispose();

    private async Task HookAsync(string agent, string payload)
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["hook", agent], Encoding.UTF8.GetBytes(payload));
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Stdout); // nothing the agent could read as a decision
    }

    private string Common(string eventName) =>
        $"\"session_id\":\"{_agentSession}\",\"transcript_path\":\"/home/dev/.claude/projects/demo/{_agentSession}.jsonl\",\"cwd\":\"{_dir.Path}\",\"permission_mode\":\"default\",\"hook_event_name\":\"{eventName}\"";

    private static string Sha(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Claude_code_session_and_tool_calls_are_recorded_exactly_with_unknown_exit_codes_left_unknown()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        string secret = "AKIA" + new string(Enumerable.Range(0, 16).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]).ToArray());
        await HookAsync("claude-code", $"{{{Common("SessionStart")},\"source\":\"startup\"}}");
        await HookAsync("claude-code", "{" + Common("PostToolUse") + ""","tool_name":"Bash","tool_input":{"command":"npm test","description":"Run tests"},"tool_use_id":"toolu_01","tool_response":{"stdout":"ok 12 tests\nkey=""" + secret + """\n","stderr":"npm warn\n","interrupted":false,"isImage":false}}""");
        await HookAsync("claude-code", "{" + Common("PostToolUseFailure") + ""","tool_name":"Bash","tool_input":{"command":"make build"},"tool_use_id":"toolu_02","error":"Exit code 2\nmake: *** [all] Error 2","is_interrupt":false}""");
        await HookAsync("claude-code", "{" + Common("PostToolUseFailure") + ""","tool_name":"Bash","tool_input":{"command":"sleep 100"},"tool_use_id":"toolu_03","error":"Command was interrupted","is_interrupt":true}""");
        await HookAsync("claude-code", "{" + Common("PostToolUse") + ""","tool_name":"Edit","tool_input":{"file_path":"/repo/src/app.cs","old_string":"a","new_string":"b"},"tool_use_id":"toolu_04","tool_response":{"filePath":"/repo/src/app.cs","success":true}}""");
        await HookAsync("claude-code", $"{{{Common("SessionEnd")},\"reason\":\"exit\"}}");

        using var queries = SessionQueries.Open(_dir.Path);
        var session = Assert.Single(queries.Sessions(0).Sessions);
        Assert.Equal(("claude-code", $"claude-code {_agentSession}", "ended", 4L), (session.SessionType, session.SessionName, session.Status, session.OperationCount));
        var timeline = queries.Timeline(session.SessionId);
        Assert.Equal(["SessionStart", "TerminalCapture", "TerminalCapture", "TerminalCapture", "TerminalCapture", "SessionEnd"], timeline.Events.Select(e => e.Event));
        var ops = timeline.Events.Where(e => e.Event == SessionEventNames.TerminalCapture).Select(e => e.Fields).ToList();
        Assert.Equal(["npm test", "make build", "sleep 100", "Edit /repo/src/app.cs"], ops.Select(f => f["operation_name"]!.GetValue<string>()));
        Assert.Equal(["Bash", "Bash", "Bash", "Edit"], ops.Select(f => f["command"]!.GetValue<string>()));
        Assert.Equal("[\"/repo/src/app.cs\"]", ops[3]["arguments"]!.ToJsonString());
        Assert.Equal([null, 2L, null, null], ops.Select(f => f["exit_code"]?.GetValue<long>()));
        Assert.True(ops.All(f => f.ContainsKey("exit_code")), "an unknown exit code is recorded as null, never left out or invented");
        Assert.Equal([null, "Exit code 2\nmake: *** [all] Error 2", "interrupted: Command was interrupted", null], ops.Select(f => f["error"]?.GetValue<string>()));
        Assert.Equal(_dir.Path, ops[0]["cwd"]!.GetValue<string>());

        string recordedStdout = $"ok 12 tests\nkey=[REDACTED:aws_access_key_id]\n";
        var first = queries.FindOperationOutput(session.SessionId, ops[0]["operation_id"]!.GetValue<string>())!;
        Assert.Equal(recordedStdout, Encoding.UTF8.GetString(first.Outputs[0].ReadBytes()));
        Assert.Equal("npm warn\n", Encoding.UTF8.GetString(first.Outputs[1].ReadBytes()));
        Assert.Equal(Sha(recordedStdout), ops[0]["integrity_hash"]!.GetValue<string>());
        Assert.Equal(Sha("npm warn\n"), ops[0]["stderr_hash"]!.GetValue<string>());

        Assert.Equal(["make build", "sleep 100"], queries.History(new HistoryFilter { Failed = true }).Events.Select(e => e.Fields["operation_name"]!.GetValue<string>()).Reverse());
        Assert.True(queries.Validate(session.SessionId).Valid);
    }

    [Fact]
    public async Task A_session_resumed_after_its_end_continues_in_a_new_session_linked_to_the_ended_one()
    {
        string Bash(string command) => "{" + Common("PostToolUse") + $$$""","tool_name":"Bash","tool_input":{"command":"{{{command}}}"},"tool_response":{"stdout":"{{{command}}} ok\n","stderr":""}}""";
        await HookAsync("claude-code", $"{{{Common("SessionStart")},\"source\":\"startup\"}}");
        await HookAsync("claude-code", Bash("make"));
        await HookAsync("claude-code", $"{{{Common("SessionEnd")},\"reason\":\"exit\"}}");
        // claude --resume: the same agent session id starts again; a tool call then comes, and it ends again.
        await HookAsync("claude-code", $"{{{Common("SessionStart")},\"source\":\"resume\"}}");
        await HookAsync("claude-code", Bash("make test"));
        await HookAsync("claude-code", $"{{{Common("SessionEnd")},\"reason\":\"exit\"}}");
        // Resumed again without a SessionStart hook call: the tool call alone opens the third session.
        await HookAsync("claude-code", Bash("make deploy"));
        // It ends; a SessionEnd repeated for the ended session opens nothing.
        await HookAsync("claude-code", $"{{{Common("SessionEnd")},\"reason\":\"exit\"}}");
        await HookAsync("claude-code", $"{{{Common("SessionEnd")},\"reason\":\"exit\"}}");

        using var queries = SessionQueries.Open(_dir.Path);
        var sessions = queries.Sessions(0).Sessions.OrderBy(s => s.StartTime, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [($"claude-code {_agentSession}", "ended", 1L), ($"claude-code {_agentSession} (resumed 1)", "ended", 1L), ($"claude-code {_agentSession} (resumed 2)", "ended", 1L)],
            sessions.Select(s => (s.SessionName, s.Status, s.OperationCount)));
        var timelines = sessions.Select(s => queries.Timeline(s.SessionId)).ToList();
        // One start, one operation, and nothing after SessionEnd (a tool call that opens a session is stamped when it ran, before the start).
        Assert.All(timelines, t => Assert.Equal(["SessionEnd", "SessionStart", "TerminalCapture"], t.Events.Select(e => e.Event).Order()));
        Assert.All(timelines, t => Assert.Equal("SessionEnd", t.Events[^1].Event));
        Assert.Equal(["make", "make test", "make deploy"], timelines.Select(t => t.Events.Single(e => e.Event == "TerminalCapture").Fields["operation_name"]!.GetValue<string>()));
        // Each resumed session names the one it continues.
        var starts = timelines.Select(t => t.Events.Single(e => e.Event == "SessionStart").Fields).ToList();
        Assert.False(starts[0].ContainsKey("parent_session_id"));
        Assert.Equal(sessions[0].SessionId, starts[1]["parent_session_id"]!.GetValue<string>());
        Assert.Equal(sessions[1].SessionId, starts[2]["parent_session_id"]!.GetValue<string>());
        Assert.All(sessions, s => Assert.True(queries.Validate(s.SessionId).Valid));
    }

    [Fact]
    public async Task Tool_calls_without_session_start_open_the_session_and_large_output_goes_to_a_blob()
    {
        string big = string.Concat(Enumerable.Range(1, 4000).Select(i => $"line {i}\n"));
        await HookAsync("claude-code", "{" + Common("PostToolUse") + ""","tool_name":"Bash","tool_input":{"command":"cat big.log"},"tool_response":{"stdout":""" + JsonValue.Create(big)!.ToJsonString() + ""","stderr":""}}""");
        await HookAsync("claude-code", "{" + Common("PostToolUse") + ""","tool_name":"Write","tool_input":{"file_path":"/repo/new.txt","content":"x"},"tool_response":{"filePath":"/repo/new.txt"}}""");

        using var queries = SessionQueries.Open(_dir.Path);
        var session = Assert.Single(queries.Sessions(0).Sessions);
        Assert.Equal(("open", 2L), (session.Status, session.OperationCount));
        var capture = queries.History(new HistoryFilter { Command = "cat" }).Events.Single();
        Assert.StartsWith("blobs/", capture.Fields["output_blob"]!.GetValue<string>());
        Assert.Equal(Sha(big), capture.Fields["integrity_hash"]!.GetValue<string>());
        Assert.Equal("line 3999", Assert.Single(queries.Search("3999", new HistoryFilter()).Results).Matches[0].Text);
        if (!OperatingSystem.IsWindows())
        {
            // The hook's lock file (sessions/.locks/hook-*.lock) and its directory are private, as every data file is.
            string locks = Path.Combine(_dir.Path, "sessions", ".locks");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(locks));
            string hookLock = Assert.Single(Directory.EnumerateFiles(locks, "hook-*.lock"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(hookLock));
        }
    }

    [Fact]
    public async Task Truncated_json_and_unknown_events_are_recorded_as_warnings_and_the_hook_still_exits_0()
    {
        await HookAsync("claude-code", "{\"session_id\":\"abc\",\"hook_event_na");
        await HookAsync("claude-code", $"{{{Common("TeleportRequest")}}}");
        await HookAsync("claude-code", "[1,2,3]");
        await HookAsync("claude-code", "");
        await HookAsync("claude-code", $"{{{Common("PreToolUse")},\"tool_name\":\"Bash\",\"tool_input\":{{\"command\":\"ls\"}}}}");

        using var queries = SessionQueries.Open(_dir.Path);
        var warnings = queries.Sessions(0).Sessions
            .SelectMany(s => queries.Timeline(s.SessionId).Events.Where(e => e.Event == "HookWarning").Select(e => (s.SessionName, Problem: e.Fields["problem"]!.GetValue<string>())))
            .OrderBy(w => w.Problem, StringComparer.Ordinal).ToList();
        Assert.Equal(4, warnings.Count);
        Assert.Equal(2, warnings.Count(w => w.SessionName == "claude-code unattributed" && w.Problem.StartsWith("the payload is not JSON (", StringComparison.Ordinal)));
        Assert.Contains(("claude-code unattributed", "the payload is not a JSON object"), warnings);
        Assert.Contains(($"claude-code {_agentSession}", "unknown hook event 'TeleportRequest'"), warnings);
        Assert.Empty(queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal }).Events);
    }

    [Fact]
    public async Task Generic_hook_records_command_output_and_exit_code_and_leaves_a_missing_exit_code_unknown()
    {
        await HookAsync("generic", $$"""{"agent":"aider","session_id":"chat-7","command":"pytest -q","output":"3 passed\n","exit_code":0,"cwd":"{{_dir.Path}}","duration_ms":1500}""");
        await HookAsync("generic", """{"agent":"aider","session_id":"chat-7","command":"git push","output":"rejected\n"}""");
        await HookAsync("generic", """{"agent":"aider","session_id":"chat-7","output":"no command"}""");

        using var queries = SessionQueries.Open(_dir.Path);
        var session = Assert.Single(queries.Sessions(0).Sessions);
        Assert.Equal(("aider", "aider chat-7"), (session.SessionType, session.SessionName));
        var ops = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal }).Events.Reverse().ToList();
        Assert.Equal(["pytest -q", "git push"], ops.Select(e => e.Fields["operation_name"]!.GetValue<string>()));
        Assert.Equal([0L, null], ops.Select(e => e.Fields["exit_code"]?.GetValue<long>()));
        Assert.Equal(1500.0, ops[0].Fields["duration_ms"]!.GetValue<double>());
        Assert.Equal("3 passed\n", Encoding.UTF8.GetString(queries.FindOperationOutput(ops[0].OperationId!)!.Outputs[0].ReadBytes()));
        var warning = Assert.Single(queries.Timeline(session.SessionId).Events, e => e.Event == "HookWarning");
        Assert.Equal("the payload has no command (a non-empty string)", warning.Fields["problem"]!.GetValue<string>());
    }
}
