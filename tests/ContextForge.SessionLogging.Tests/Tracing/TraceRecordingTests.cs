using System.Diagnostics;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Tests.Tracing;

/// <summary>
/// Traces of real cfsession processes recorded by real tools (dotnet-trace, cfsession trace record/attach, the
/// DOTNET_EnableEventPipe variables), read back with 'trace read' and cross-checked with 'verify'.
/// </summary>
public sealed class TraceRecordingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    private async Task<JsonObject> ReadJsonAsync(string trace)
    {
        var read = await InProcessCli.RunAsync(Data, null, "trace", "read", trace, "--json");
        Assert.True(read.ExitCode == 0, read.Stderr);
        return TraceTestSupport.Json(read.Stdout);
    }

    private async Task<JsonObject> VerifyJsonAsync(string trace, int expectedExit, string? journalDir = null)
    {
        var verify = await InProcessCli.RunAsync(Data, null, ["verify", trace, "--json", .. journalDir is null ? Array.Empty<string>() : ["--journal-dir", journalDir]]);
        Assert.True(verify.ExitCode == expectedExit, $"verify exited {verify.ExitCode}: {verify.Stdout} {verify.Stderr}");
        return TraceTestSupport.Json(verify.Stdout);
    }

    private static JsonObject Single(JsonObject doc, string eventName) =>
        Assert.Single(doc["events"]!.AsArray(), e => e!["event"]!.GetValue<string>() == eventName)!.AsObject();

    /// <summary>Every field of the run's three events equals the journal's value (the journal is read independently).</summary>
    private void AssertRunEvents(JsonObject doc, string sessionName, string operationName, string sample, int exitCode)
    {
        string id = Assert.Single(JournalFiles.SessionIds(Data));
        var journal = JournalFiles.ReadSession(Data, id).Events;
        Assert.Equal(["SessionStart", "TerminalCapture", "SessionEnd"], doc["events"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
        Assert.All(doc["events"]!.AsArray(), e => Assert.Equal(id, e!["session_id"]!.GetValue<string>()));

        var start = Single(doc, "SessionStart");
        var jStart = journal.Single(e => e.Name == SessionEventNames.SessionStart);
        Assert.Equal("ContextForge.SessionLogging", start["provider"]!.GetValue<string>());
        Assert.Equal(jStart.ActivityId.ToString("D"), start["activity_id"]!.GetValue<string>());
        Assert.Equal(1, start["keywords"]!.GetValue<long>());
        Assert.Equal(4, start["level"]!.GetValue<int>());
        var sf = start["fields"]!.AsObject();
        Assert.Equal("command", sf["session_type"]!.GetValue<string>());
        Assert.Equal(sessionName, sf["session_name"]!.GetValue<string>());
        Assert.Equal("contextforge_constitutional", sf["methodology"]!.GetValue<string>());
        Assert.Equal(jStart.GetString(JournalFields.StartTime), sf["start_time"]!.GetValue<string>());

        var capture = Single(doc, "TerminalCapture");
        var jCapture = journal.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal(4, capture["keywords"]!.GetValue<long>());
        var cf = capture["fields"]!.AsObject();
        Assert.Equal(operationName, cf["operation_name"]!.GetValue<string>());
        Assert.Equal(jCapture.GetString(JournalFields.OperationId), cf["operation_id"]!.GetValue<string>());
        Assert.Equal((long)jCapture.GetDouble(JournalFields.DurationMs)!.Value, cf["duration_ms"]!.GetValue<long>());
        Assert.Equal(sample.Length, cf["output_length"]!.GetValue<long>());
        Assert.Equal(sample, cf["output_sample"]!.GetValue<string>());
        Assert.Equal(id, cf["correlation_id"]!.GetValue<string>());
        Assert.Equal(exitCode, cf["exit_code"]!.GetValue<long>());
        Assert.Equal(jCapture.GetString(JournalFields.IntegrityHash), cf["integrity_hash"]!.GetValue<string>());

        var end = Single(doc, "SessionEnd");
        var jEnd = journal.Single(e => e.Name == SessionEventNames.SessionEnd);
        var ef = end["fields"]!.AsObject();
        Assert.Equal(jEnd.GetDouble(JournalFields.DurationMs), ef["duration_ms"]!.GetValue<double>());
        Assert.Equal(1, ef["operation_count"]!.GetValue<long>());
        Assert.Equal(exitCode == 0 ? 0 : 1, ef["failed_operation_count"]!.GetValue<long>());
        Assert.Equal(0, ef["achievement_count"]!.GetValue<long>());
        Assert.Equal("ended", ef["status"]!.GetValue<string>());
    }

    private static void AssertFullMatch(JsonObject report, int matched)
    {
        Assert.Equal(0, report["unexplained"]!.GetValue<int>());
        Assert.Equal(0, report["lost_events"]!.GetValue<long>());
        var session = Assert.Single(report["sessions"]!.AsArray())!;
        Assert.True(session["journal_found"]!.GetValue<bool>());
        Assert.Equal(matched, session["matched"]!.GetValue<int>());
        Assert.Empty(session["only_in_trace"]!.AsArray());
        Assert.Empty(session["mismatches"]!.AsArray());
    }

    [Fact]
    public async Task Dotnet_trace_collect_of_cfsession_run_reads_back_every_event_exactly_and_verifies_in_full()
    {
        string trace = _dir.Combine("dotnet-trace.nettrace");
        await TraceTestSupport.DotnetTraceCollectAsync(Data, trace, "ContextForge.SessionLogging:0xF:5",
            ["run", "--name", "collected", "--", "sh", "-c", "echo collected-output; exit 3"], expectedExitCode: 3);

        AssertRunEvents(await ReadJsonAsync(trace), "collected", "sh -c 'echo collected-output; exit 3'", "collected-output\n", 3);
        var report = await VerifyJsonAsync(trace, 0);
        AssertFullMatch(report, 3);
        Assert.Empty(report["sessions"]![0]!["only_in_journal"]!.AsArray());
    }

    [Fact]
    public async Task Dotnet_trace_collect_of_an_achievement_reads_back_AchievementLogged_exactly_and_explains_the_earlier_journal_events()
    {
        var started = await InProcessCli.RunAsync(Data, null, "start", "--name", "ach");
        Assert.Equal(0, started.ExitCode);
        string id = Assert.Single(JournalFiles.SessionIds(Data));
        string trace = _dir.Combine("achievement.nettrace");
        await TraceTestSupport.DotnetTraceCollectAsync(Data, trace, "ContextForge.SessionLogging:0xF:4",
            ["achievement", "tests_passed", "all green \u2713", "-e", "passed=42", "-e", "suite=unit"],
            new Dictionary<string, string?> { ["CFSESSION_ID"] = id });

        var doc = await ReadJsonAsync(trace);
        var achievement = Single(doc, "AchievementLogged");
        Assert.Equal(id, achievement["session_id"]!.GetValue<string>());
        Assert.Equal(2, achievement["keywords"]!.GetValue<long>());
        var f = achievement["fields"]!.AsObject();
        Assert.Equal($"ACH-{id[..8]}-001", f["achievement_id"]!.GetValue<string>());
        Assert.Equal("tests_passed", f["achievement_type"]!.GetValue<string>());
        Assert.Equal("all green \u2713", f["description"]!.GetValue<string>());
        Assert.Equal(id, f["correlation_id"]!.GetValue<string>());
        Assert.Equal(2, f["evidence_keys"]!.GetValue<long>());

        var report = await VerifyJsonAsync(trace, 0);
        AssertFullMatch(report, 1);
        // The session was started before the trace: its SessionStart is only in the journal, and explained.
        var journalOnly = Assert.Single(report["sessions"]![0]!["only_in_journal"]!.AsArray())!;
        Assert.Equal("SessionStart", journalOnly["event"]!.GetValue<string>());
        Assert.NotNull(journalOnly["explanation"]);
    }

    [Fact]
    public async Task Trace_record_writes_a_nettrace_with_every_event_of_the_run_that_verifies_in_full()
    {
        string trace = _dir.Combine("record.nettrace");
        var run = await CfSessionProcess.RunAsync(Data, ["trace", "record", "-o", trace, "--name", "recorded", "--", "sh", "-c", "echo recorded-output; exit 5"]);
        Assert.Equal(5, run.ExitCode);
        Assert.Equal("recorded-output\n", run.StdoutText);
        Assert.Contains("trace: 3 events, 0 lost", run.Stderr);

        AssertRunEvents(await ReadJsonAsync(trace), "recorded", "sh -c 'echo recorded-output; exit 5'", "recorded-output\n", 5);
        AssertFullMatch(await VerifyJsonAsync(trace, 0), 3);
    }

    [Fact]
    public async Task Trace_record_does_not_let_a_dotnet_command_inherit_the_recording()
    {
        // The recorded command is itself a .NET program (another cfsession): it must not overwrite the trace file.
        string trace = _dir.Combine("nested.nettrace");
        var run = await CfSessionProcess.RunAsync(Data, ["trace", "record", "-o", trace, "--", "dotnet", CfSessionProcess.DllPath, "sessions", "--json"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var doc = await ReadJsonAsync(trace);
        Assert.Equal(["SessionStart", "TerminalCapture", "SessionEnd"], doc["events"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
    }

    [Fact]
    public async Task EventPipe_environment_variables_on_cfsession_run_give_a_trace_that_reads_and_verifies_in_full()
    {
        string trace = _dir.Combine("env.nettrace");
        var run = await CfSessionProcess.RunAsync(Data, ["run", "--name", "env-vars", "--", "sh", "-c", "printf env-output"],
            environment: new Dictionary<string, string?>
            {
                ["DOTNET_EnableEventPipe"] = "1",
                ["DOTNET_EventPipeOutputPath"] = trace,
                ["DOTNET_EventPipeConfig"] = "ContextForge.SessionLogging:0xF:4",
            });
        Assert.Equal(0, run.ExitCode);

        AssertRunEvents(await ReadJsonAsync(trace), "env-vars", "sh -c 'printf env-output'", "env-output", 0);
        AssertFullMatch(await VerifyJsonAsync(trace, 0), 3);
    }

    [Fact]
    public async Task Trace_attach_records_a_live_cfsession_run_until_it_exits_and_verifies()
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { CfSessionProcess.DllPath, "run", "--name", "attached", "--", "sh", "-c", "sleep 2; echo attached-output" }) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = Data;
        psi.Environment.Remove("CFSESSION_ID");
        Directory.CreateDirectory(Data);
        using var target = Process.Start(psi)!;
        var targetOut = target.StandardOutput.ReadToEndAsync();
        var targetErr = target.StandardError.ReadToEndAsync();
        await TraceTestSupport.WaitForDiagnosticEndpointAsync(target.Id);

        string trace = _dir.Combine("attach.nettrace");
        var attach = await InProcessCli.RunAsync(Data, null, "trace", "attach", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", trace, "--duration", "60s");
        Assert.True(attach.ExitCode == 0, attach.Stderr);
        Assert.Contains("the process exited", attach.Stderr);
        await target.WaitForExitAsync();
        Assert.Equal("attached-output\n", await targetOut);
        _ = await targetErr;

        var doc = await ReadJsonAsync(trace);
        string id = Assert.Single(JournalFiles.SessionIds(Data));
        var capture = Single(doc, "TerminalCapture")["fields"]!.AsObject();
        Assert.Equal("attached-output\n", capture["output_sample"]!.GetValue<string>());
        Assert.Equal(id, capture["correlation_id"]!.GetValue<string>());
        Assert.Equal("ended", Single(doc, "SessionEnd")["fields"]!["status"]!.GetValue<string>());

        var report = await VerifyJsonAsync(trace, 0);
        Assert.Equal(0, report["unexplained"]!.GetValue<int>());
        var session = Assert.Single(report["sessions"]!.AsArray())!;
        Assert.True(session["matched"]!.GetValue<int>() >= 2);
        // SessionStart is in the trace when the attach won the race, else only in the journal and explained.
        Assert.All(session["only_in_journal"]!.AsArray(), e => Assert.NotNull(e!["explanation"]));
    }

    [Fact]
    public async Task Trace_attach_to_a_process_without_a_diagnostic_endpoint_fails_in_one_line_with_69()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "5") { UseShellExecute = false })!;
        try
        {
            var attach = await InProcessCli.RunAsync(Data, null, "trace", "attach", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", _dir.Combine("none.nettrace"));
            Assert.Equal(69, attach.ExitCode);
            Assert.StartsWith($"cfsession: cannot attach to process {sleeper.Id}: ", attach.Stderr);
            Assert.Single(attach.Stderr.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public async Task Trace_record_with_diagnostics_disabled_says_so_in_one_line_and_the_journal_still_records_the_run()
    {
        string trace = _dir.Combine("disabled.nettrace");
        var run = await CfSessionProcess.RunAsync(Data, ["trace", "record", "-o", trace, "--", "sh", "-c", "echo still-recorded"],
            environment: new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" });
        Assert.Equal(69, run.ExitCode);
        Assert.Equal("still-recorded\n", run.StdoutText);
        Assert.Equal("cfsession: EventPipe is disabled (DOTNET_EnableDiagnostics=0): the command ran (exit 0) and its journal was written, but no trace was recorded\n", run.Stderr);
        Assert.False(File.Exists(trace));
        var capture = JournalFiles.Single(Data, SessionEventNames.TerminalCapture);
        Assert.Equal("still-recorded\n", capture.GetString(JournalFields.OutputSample));
    }
}
