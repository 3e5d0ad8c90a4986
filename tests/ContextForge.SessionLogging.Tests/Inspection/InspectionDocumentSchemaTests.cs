using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Json.Schema;
using Spectre.Console;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Inspection;

/// <summary>
/// <c>cfsession inspect --json</c>, run in-process over sessions recorded through the library, validates against the
/// published docs/schemas/inspection.schema.json, and the schema rejects a document with a key removed or a value
/// of the wrong form.
/// </summary>
[Collection("Console")]
public sealed class InspectionDocumentSchemaTests : IDisposable
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(SchemaPath())));

    private readonly TempDirectory _dir = new();
    private readonly SessionManager _manager;

    public InspectionDocumentSchemaTests()
    {
        _manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests" });
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Inspect_json_of_an_ended_session_validates_and_carries_the_recorded_values()
    {
        var (id, olderId) = RecordTwoSessions();

        var (exitCode, json, error) = await RunCliAsync("inspect", id, "--json");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        var document = JsonNode.Parse(json)!.AsObject();
        AssertValid(document);

        var session = document["session"]!;
        Assert.Equal(id, session["session_id"]!.GetValue<string>());
        Assert.Equal(id, session["correlation_id"]!.GetValue<string>());
        Assert.Equal("main", session["session_name"]!.GetValue<string>());
        Assert.Equal("ended", session["status"]!.GetValue<string>());
        Assert.Equal(3, session["operation_count"]!.GetValue<int>());
        Assert.Equal(2, session["failed_operation_count"]!.GetValue<int>()); // the exception and exit 3
        Assert.Equal(1, session["achievement_count"]!.GetValue<int>());

        var etw = document["etw_integration"]!;
        Assert.Equal("ContextForge.SessionLogging", etw["etw_provider_name"]!.GetValue<string>());
        Assert.Contains(etw["etw_available"]!.GetValueKind(), new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.Equal(session["provenance"]!["pid"]!.GetValue<int>(), Environment.ProcessId);
        Assert.Equal(1, etw["historical_sessions"]!.GetValue<int>());

        var captures = document["terminal_captures"]!.AsArray();
        Assert.Equal(3, captures.Count);
        Assert.Equal(["TerminalCapture", "TerminalCaptureFailed", "TerminalCapture"], captures.Select(c => c!["event"]!.GetValue<string>()));
        Assert.Equal(["x", "fails", "sh -c 'echo out; echo err >&2; exit 3'"], captures.Select(c => c!["operation_name"]!.GetValue<string>()));
        Assert.Equal([null, null, 3], captures.Select(c => c!["exit_code"]?.GetValue<int>()));
        Assert.Equal("hi\n", captures[0]!["output_sample"]!.GetValue<string>());
        Assert.Equal("inline", captures[0]!["output_location"]!.GetValue<string>());
        Assert.Equal("boom", captures[1]!["error"]!.GetValue<string>());
        Assert.Equal("pipes", captures[2]!["capture_mode"]!.GetValue<string>());
        Assert.Equal(4, captures[2]!["stderr_length"]!.GetValue<int>());
        Assert.All(captures, c => Assert.Null(c!["output"])); // the output text itself stays in the journal

        var achievement = document["achievements"]!.AsArray().Single()!;
        Assert.Equal($"ACH-{id[..8]}-001", achievement["achievement_id"]!.GetValue<string>());
        Assert.Equal("tests_passed", achievement["achievement_type"]!.GetValue<string>());
        var evidence = achievement["evidence"]!;
        Assert.Equal(JsonValueKind.Number, evidence["tests"]!.GetValueKind());
        Assert.Equal(42, evidence["tests"]!.GetValue<int>());
        Assert.Equal(JsonValueKind.True, evidence["ok"]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, evidence["suite"]!.GetValueKind());
        Assert.Equal("unit", evidence["suite"]!.GetValue<string>());

        var cross = document["cross_session_context"]!.AsArray().Single()!;
        Assert.Equal(olderId, cross["correlation_id"]!.GetValue<string>());
        Assert.Equal("old-op", cross["terminal_captures"]!.AsArray().Single()!["operation_name"]!.GetValue<string>());
        Assert.Equal($"ACH-{olderId[..8]}-001", cross["achievements"]!.AsArray().Single()!["achievement_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inspect_json_of_an_open_session_with_a_blob_output_validates()
    {
        using var session = _manager.Start();
        using (var scope = session.CaptureOn("big", new TestConsole()))
        {
            scope.Console.Profile.Width = 1000;
            for (int i = 0; i < 100; i++) Console.Out.WriteLine(new string('x', 300));
            scope.Complete();
        }

        var (exitCode, json, error) = await RunCliAsync("inspect", session.Id[..8], "--json");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        var document = JsonNode.Parse(json)!.AsObject();
        AssertValid(document);

        Assert.Equal("open", document["session"]!["status"]!.GetValue<string>());
        Assert.Null(document["session"]!["end_time"]);
        var capture = document["terminal_captures"]!.AsArray().Single()!;
        Assert.Matches("^blobs/[0-9a-f]{64}\\.zst$", capture["output_location"]!.GetValue<string>());
        Assert.Equal(100 * 301, capture["output_length"]!.GetValue<int>());
        Assert.Equal(500, capture["output_sample"]!.GetValue<string>().Length);
        Assert.Empty(document["cross_session_context"]!.AsArray());
    }

    [Fact]
    public async Task Inspect_json_lists_app_events_log_entries_and_milestones_as_session_events_and_validates()
    {
        string id;
        using (var session = _manager.Start("events"))
        {
            id = session.Id;
            ContextForge.SessionLogging.Telemetry.UnifiedTelemetry.LogSessionEvent("ReportSent", new Dictionary<string, object?> { ["pages"] = 12 });
            ContextForge.SessionLogging.Telemetry.UnifiedTelemetry.LogAchievementMilestone("first_report", new Dictionary<string, object?> { ["pages"] = 12 });
            session.LogEvent("LogEntry", System.Diagnostics.Tracing.EventLevel.Warning, new Dictionary<string, object?> { ["message"] = "low disk" });
        }

        var (exitCode, json, error) = await RunCliAsync("inspect", id, "--json");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        var document = JsonNode.Parse(json)!.AsObject();
        AssertValid(document);
        var events = document["session_events"]!.AsArray();
        Assert.Equal(["ReportSent", "MilestoneReached", "LogEntry"], events.Select(e => e!["event"]!.GetValue<string>()));
        Assert.Equal(12, events[0]!["fields"]!["pages"]!.GetValue<int>());
        Assert.Equal("first_report", events[1]!["fields"]!["milestone_name"]!.GetValue<string>());
        Assert.Equal(8, events[1]!["keywords"]!.GetValue<int>());
        Assert.Equal(3, events[2]!["level"]!.GetValue<int>());

        var (plainExit, plain, _) = await RunCliAsync("inspect", id);
        Assert.Equal(0, plainExit);
        Assert.Contains("MilestoneReached", plain);
        Assert.Contains("milestone_name=first_report", plain);
    }

    public static TheoryData<string> Breakages() =>
    [
        "etw_available removed",
        "etw_available as a string",
        "achievement id of the wrong form",
        "evidence not an object",
        "integrity_hash renamed",
        "integrity_hash without its prefix",
        "exit_code as a string",
        "unknown capture event",
        "provider name changed",
        "activity_id not a uuid",
        "cross-session session_start removed",
        "session removed",
    ];

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task The_schema_rejects_a_document_with_a_missing_key_or_a_malformed_value(string breakage)
    {
        var (id, _) = RecordTwoSessions();
        var (exitCode, json, error) = await RunCliAsync("inspect", id, "--json");
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        var document = JsonNode.Parse(json)!.AsObject();
        AssertValid(document); // the unbroken document is valid, so the failure below is the breakage's

        var etw = document["etw_integration"]!.AsObject();
        var capture = document["terminal_captures"]![0]!.AsObject();
        var achievement = document["achievements"]![0]!.AsObject();
        switch (breakage)
        {
            case "etw_available removed": etw.Remove("etw_available"); break;
            case "etw_available as a string": etw["etw_available"] = "true"; break;
            case "achievement id of the wrong form": achievement["achievement_id"] = $"ACH-{id[..6]}-1"; break;
            case "evidence not an object": achievement["evidence"] = new JsonArray(); break;
            case "integrity_hash renamed":
                capture["hash"] = capture["integrity_hash"]!.DeepClone();
                capture.Remove("integrity_hash");
                break;
            case "integrity_hash without its prefix": capture["integrity_hash"] = capture["integrity_hash"]!.GetValue<string>()["sha256:".Length..]; break;
            case "exit_code as a string": document["terminal_captures"]![2]!["exit_code"] = "3"; break;
            case "unknown capture event": capture["event"] = "TerminalCaptured"; break;
            case "provider name changed": etw["etw_provider_name"] = "ContextForge.Sessions"; break;
            case "activity_id not a uuid": etw["activity_id"] = "not-a-guid"; break;
            case "cross-session session_start removed": document["cross_session_context"]![0]!.AsObject().Remove("session_start"); break;
            case "session removed": document.Remove("session"); break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }

        var result = Evaluate(document);
        Assert.False(result.IsValid, $"the schema accepted a document with {breakage}");
    }

    /// <summary>An older session (for cross_session_context), then "main" with a capture, a failed capture, an achievement and a command run through the CLI.</summary>
    private (string Id, string OlderId) RecordTwoSessions()
    {
        string olderId;
        using (var older = _manager.Start("older", "ci"))
        {
            olderId = older.Id;
            older.Capture("old-op", console => console.WriteLine("old"));
            older.LogAchievement("build_passed", "built");
        }
        Thread.Sleep(20); // distinct start times, so "main" is the newer session

        string id;
        using (var session = _manager.Start("main", "test"))
        {
            id = session.Id;
            session.Capture("x", console => console.WriteLine("hi"));
            Assert.Throws<InvalidOperationException>(() => session.Capture("fails", _ => throw new InvalidOperationException("boom")));
            session.LogAchievement("tests_passed", "green", new Dictionary<string, object?> { ["tests"] = 42, ["ok"] = true, ["suite"] = "unit" });
            var (runExit, _, runError) = RunCliAsync(
                new Dictionary<string, string?> { [DataDirectory.HomeVariable] = _dir.Path, ["CFSESSION_ID"] = id },
                "run", "--no-pty", "--", "sh", "-c", "echo out; echo err >&2; exit 3").GetAwaiter().GetResult();
            Assert.True(runExit == 3, $"run exited {runExit}: {runError}");
        }
        return (id, olderId);
    }

    private Task<(int ExitCode, string Output, string Error)> RunCliAsync(params string[] args) =>
        RunCliAsync(new Dictionary<string, string?> { [DataDirectory.HomeVariable] = _dir.Path }, args);

    private static async Task<(int ExitCode, string Output, string Error)> RunCliAsync(IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var output = new TestConsole();
        var error = new TestConsole();
        int exitCode = await CliApplication.RunAsync(args, new CliContext(output, error, env));
        return (exitCode, output.Output, error.Output);
    }

    private static EvaluationResults Evaluate(JsonNode document)
    {
        using var parsed = JsonDocument.Parse(document.ToJsonString());
        return Schema.Value.Evaluate(parsed.RootElement.Clone(), new EvaluationOptions
        {
            OutputFormat = OutputFormat.List,
            RequireFormatValidation = true,
        });
    }

    private static void AssertValid(JsonNode document)
    {
        var result = Evaluate(document);
        if (result.IsValid) return;
        var report = new StringBuilder("the inspection document does not match docs/schemas/inspection.schema.json:");
        foreach (var detail in result.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } errors) continue;
            foreach (var (keyword, message) in errors)
                report.Append('\n').Append(detail.InstanceLocation).Append(" (").Append(detail.EvaluationPath).Append(") ").Append(keyword).Append(": ").Append(message);
        }
        report.Append("\n\ndocument:\n").Append(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Assert.Fail(report.ToString());
    }

    /// <summary>docs/schemas/inspection.schema.json in the repository that holds this test's build output.</summary>
    private static string SchemaPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ContextForge.SessionLogging.slnx")))
                return Path.Combine(dir.FullName, "docs", "schemas", "inspection.schema.json");
        }
        throw new InvalidOperationException($"no ContextForge.SessionLogging.slnx above {AppContext.BaseDirectory}");
    }
}
