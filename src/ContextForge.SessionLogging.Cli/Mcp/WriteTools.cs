using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Cli.Commands;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>The write tools: achievements, milestones and (with <c>--allow-run</c>) commands, recorded as the CLI records them.</summary>
internal sealed class WriteTools(SessionManager manager, WriteSessions sessions, bool allowRun)
{
    private const string SessionIdDescription =
        "Session id or prefix to record in. Default: the session in the server's CFSESSION_ID, else the server's own session (type mcp, opened at its first write, ended when the server exits)";

    public IEnumerable<McpTool> Tools()
    {
        yield return new McpTool("log_achievement",
            "Record an achievement: a verified outcome (tests passed, bug fixed, build green) with evidence, in a cfsession session. "
            + "Give evidence as an object of facts (strings, numbers, booleans, arrays, objects are kept as given). Returns the achievement id. "
            + "Where it goes: session_id, else the server's CFSESSION_ID session, else the server's own session.",
            $$"""
            {"type":"object","properties":{
              "achievement_type":{"type":"string","description":"The kind of outcome, e.g. tests_passed, bug_fixed"},
              "description":{"type":"string","description":"What was achieved, in one sentence"},
              "evidence":{"type":"object","description":"Facts that back it up, e.g. {\"tests\": 42, \"command\": \"make test\"}","additionalProperties":true},
              "session_id":{"type":"string","description":"{{SessionIdDescription}}"}
            },"required":["achievement_type","description"],"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(LogAchievement(a)), readOnly: false);

        yield return new McpTool("record_milestone",
            "Record a named milestone (e.g. first_green_build) by hand, with optional data. A milestone defined in milestones.json is refused when already reached in its scope. "
            + "Where it goes: session_id, else the server's CFSESSION_ID session, else the server's own session.",
            $$"""
            {"type":"object","properties":{
              "name":{"type":"string","description":"The milestone's name: letters, digits, '_', '-', '.'"},
              "data":{"type":"object","description":"Facts to record with it","additionalProperties":true},
              "session_id":{"type":"string","description":"{{SessionIdDescription}}"}
            },"required":["name"],"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(RecordMilestone(a)), readOnly: false);

        yield return new McpTool("run_command",
            allowRun
                ? "Run a shell command (/bin/sh -c) in a cfsession session and record it (output, exit code, redaction of secrets). Returns the exit code and the first page of the recorded output (read further with get_operation). "
                  + "stdin is empty; the command is killed after timeout_seconds. Where it is recorded: session_id, else the server's CFSESSION_ID session, else the server's own session."
                : "DISABLED: this server was started without --allow-run, so it does not run commands; every call returns an error. Start it with 'cfsession mcp --allow-run' to enable.",
            $$"""
            {"type":"object","properties":{
              "command":{"type":"string","description":"The command line, run by /bin/sh -c"},
              "cwd":{"type":"string","description":"Working directory (default: the server's)"},
              "timeout_seconds":{"type":"integer","minimum":1,"maximum":3600,"default":600,"description":"Kill the command after this long"},
              "max_lines":{"type":"integer","minimum":1,"maximum":{{ResultBounds.MaxLines}},"default":{{ResultBounds.MaxLines}},"description":"Lines of output to return at most"},
              "session_id":{"type":"string","description":"{{SessionIdDescription}}"}
            },"required":["command"],"additionalProperties":false}
            """, RunCommandAsync, readOnly: false);
    }

    private string LogAchievement(ToolArguments a)
    {
        string type = a.RequiredText("achievement_type", InputLimits.MaxSessionLabelChars);
        string description = a.RequiredText("description", InputLimits.MaxDescriptionChars);
        var evidence = AchievementCommand.ParseEvidence(Entries(a, a.Object("evidence")), "evidence");
        return sessions.Write(a.String("session_id"), session =>
        {
            var record = session.LogAchievement(type, description, evidence);
            if (session.SinkStatistics.FirstOrDefault(s => s.Name == "journal") is { Dropped: > 0 } dropped)
                throw new IOException($"achievement {record.AchievementId} was not journaled: {dropped.LastError}");
            return new JsonObject
            {
                ["achievement_id"] = record.AchievementId,
                ["session_id"] = record.CorrelationId,
                ["achievement_type"] = record.AchievementType,
                ["description"] = record.Description,
                ["timestamp"] = SessionManager.FormatTime(record.Timestamp),
                ["evidence"] = new JsonObject(record.Evidence.Select(kv => KeyValuePair.Create(kv.Key, JsonNode.Parse(kv.Value.GetRawText())))),
            }.ToJsonString(ResultBounds.Compact) + "\n";
        });
    }

    private string RecordMilestone(ToolArguments a)
    {
        string milestone = MilestoneCommand.CheckName(a.RequiredString("name"));
        var data = AchievementCommand.ParseEvidence(Entries(a, a.Object("data")), "data");
        return sessions.Write(a.String("session_id"), session =>
        {
            if (!MilestoneCommand.Record(manager, session, milestone, data))
                throw new ToolInputException(MilestoneCommand.AlreadyReached(manager, milestone, session.Id));
            return new JsonObject { ["milestone"] = milestone, ["session_id"] = session.Id }.ToJsonString(ResultBounds.Compact) + "\n";
        });
    }

    private async ValueTask<string> RunCommandAsync(ToolArguments a, CancellationToken cancellationToken)
    {
        if (!allowRun) throw new ToolInputException("run_command is disabled: the server was started without --allow-run");
        string commandLine = a.RequiredText("command", InputLimits.MaxFilterTextChars);
        string cwd = a.String("cwd") is { } dir ? Path.GetFullPath(dir) : CurrentProvenance.SafeCwd();
        if (!Directory.Exists(cwd)) throw a.Fail($"cwd {ToolArguments.Quote(cwd)} is not a directory");
        int timeout = a.Integer("timeout_seconds", 600, 1, 3600);
        int maxLines = a.Integer("max_lines", ResultBounds.MaxLines, 1, ResultBounds.MaxLines);
        return await sessions.WriteAsync(a.String("session_id"), async session =>
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(TimeSpan.FromSeconds(timeout));
            var spec = new CommandSpec("/bin/sh", ["-c", commandLine], cwd, new Dictionary<string, string?>());
            var result = await CommandRecorder.RunAsync(session, CommandRunnerFactory.CreateUnattended(), spec, parentOperationId: null, timeoutSource.Token).ConfigureAwait(false);
            // The page shown is the recorded output (redacted as stored), not what the command printed.
            var outputs = StoredOutput.Of(result.Event.Fields, session.Data.SessionDirectory(session.Id));
            var text = new StringBuilder();
            text.Append(new JsonObject
            {
                ["operation_id"] = result.Record.OperationId,
                ["session_id"] = session.Id,
                ["exit_code"] = result.Outcome.ExitCode,
                ["signal"] = result.Outcome.Signal,
                ["duration_ms"] = Math.Round(result.Record.Duration.TotalMilliseconds, 3),
                ["timed_out"] = timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested ? true : null,
                ["error"] = result.StartError,
            }.ToJsonString(ResultBounds.Compact)).Append('\n');
            foreach (var output in outputs)
                OutputPage.Append(text, output, result.Record.OperationId, 1, maxLines, (ResultBounds.MaxBytes - 2048) / Math.Max(1, outputs.Count), raw: false);
            return text.ToString();
        }).ConfigureAwait(false);
    }

    /// <summary>An evidence object as the CLI's entries (<c>key=text</c> for a string, <c>key:=JSON</c> otherwise), so both are checked by one parser.</summary>
    private static IEnumerable<string> Entries(ToolArguments a, IReadOnlyList<KeyValuePair<string, JsonElement>> values) =>
        values.Select(p => p.Key.Contains('=', StringComparison.Ordinal) || p.Key.EndsWith(':')
                ? throw a.Fail($"malformed key {ToolArguments.Quote(p.Key)}: a key may hold letters, digits, '_', '-' and '.'")
                : p.Value.ValueKind == JsonValueKind.String ? $"{p.Key}={p.Value.GetString()}" : $"{p.Key}:={p.Value.GetRawText()}");
}
