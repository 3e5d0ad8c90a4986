using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Samples;

/// <summary>
/// Runs samples/SessionLoggingSample (built with the tests) under the real <c>cfsession run</c>: its ILogger,
/// Serilog, UnifiedTelemetry and milestone output lands in the run's session, and its OpenTelemetry spans join the
/// session's trace under the run's operation span.
/// </summary>
public sealed class SessionLoggingSampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string SampleDll()
    {
        // bin/<Configuration>/net10.0/ of the tests; the sample is built with the same configuration.
        var testsBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testsBin.Parent!.Name;
        var root = testsBin;
        while (!File.Exists(Path.Combine(root.FullName, "ContextForge.SessionLogging.slnx"))) root = root.Parent!;
        string dll = Path.Combine(root.FullName, "samples", "SessionLoggingSample", "bin", configuration, testsBin.Name, "SessionLoggingSample.dll");
        Assert.True(File.Exists(dll), $"the sample is built with the tests: {dll}");
        return dll;
    }

    [Fact]
    public async Task The_sample_run_by_cfsession_run_journals_its_logs_events_and_milestone_and_joins_the_trace()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "dotnet", SampleDll()], timeout: TimeSpan.FromSeconds(120));

        Assert.True(run.ExitCode == 0, run.Stderr + run.StdoutText);
        string sessionId = Assert.Single(JournalFiles.SessionIds(_dir.Path));
        var events = JournalFiles.ReadSession(_dir.Path, sessionId).Events;
        var capture = events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        string traceId = sessionId.Replace("-", "");

        var logs = events.Where(e => e.Name == "LogEntry").ToList();
        Assert.Equal(["Microsoft.Extensions.Logging", "Microsoft.Extensions.Logging", "Serilog"], logs.Select(e => e.GetString("log_source")));
        Assert.Equal("Placed order {OrderId} for {Amount}", logs[0].GetString("message_template"));
        Assert.Equal(1234, logs[0].GetInt64("OrderId"));
        Assert.Equal("req-42", logs[0].GetString("RequestId"));
        Assert.Equal(7, logs[0].GetInt64("event_id"));
        Assert.Equal(traceId, logs[0].GetString("TraceId")); // ILogger's activity tracking sees the session's trace
        Assert.Equal("disk full", logs[1].GetString("exception_message"));
        Assert.Equal("Processed {Count} items in {Elapsed} ms", logs[2].GetString("message_template"));
        Assert.Equal(3, logs[2].GetInt64("Count"));
        Assert.Equal("sample", logs[2].GetString("Component"));

        var checkpoint = events.Single(e => e.Name == "SampleCheckpoint");
        Assert.Equal(["step", "items", "total", "paid", "at", "order_guid", "provenance"], checkpoint.Fields.Select(f => f.Key));
        // Written by the sample (the child), not by cfsession.
        Assert.NotEqual(capture.Fields["provenance"]!["pid"]!.GetValue<int>(), checkpoint.Fields["provenance"]!["pid"]!.GetValue<int>());
        Assert.Equal("2026-01-02T03:04:05.0000000Z", checkpoint.GetString("at"));
        var milestone = events.Single(e => e.Name == "MilestoneReached");
        Assert.Equal("sample_done", milestone.GetString(JournalFields.MilestoneName));
        Assert.Equal(1, milestone.GetInt64("orders"));

        // The child saw the session's trace id, and its spans hang under the operation cfsession run journaled.
        Assert.Equal(traceId, events.Single(e => e.Name == "SampleTrace").GetString("observed_trace_id"));
        var lines = run.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(sessionId, lines[0]["session_id"]!.GetValue<string>());
        Assert.Equal($"00-{traceId}-{capture.GetString(JournalFields.SpanId)}-01", lines[0]["traceparent"]!.GetValue<string>());
        var spans = lines.Skip(1).ToList();
        Assert.All(spans, s => Assert.Equal(traceId, s["trace_id"]!.GetValue<string>()));
        var sessionSpan = spans.Single(s => s["span"]!.GetValue<string>() == "session");
        var workSpan = spans.Single(s => s["span"]!.GetValue<string>() == "sample.work");
        Assert.Equal(capture.GetString(JournalFields.SpanId), sessionSpan["parent_span_id"]!.GetValue<string>());
        Assert.Equal(sessionSpan["span_id"]!.GetValue<string>(), workSpan["parent_span_id"]!.GetValue<string>());

        // The events of the app's own keep the journal valid.
        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--all"]);
        Assert.True(validate.ExitCode == 0, validate.StdoutText + validate.Stderr);
    }
}
