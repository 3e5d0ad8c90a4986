using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Tests.Tracing;

/// <summary>verify finds every planted fault; query groups traced sessions; the ETW manifest names the providers' events.</summary>
public sealed class VerifyAndQueryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    /// <summary>A real trace (cfsession trace record) of a session with one failing capture.</summary>
    private async Task<(string Trace, string SessionId)> RecordAsync(string name = "faults")
    {
        Directory.CreateDirectory(_dir.Combine("traces"));
        string trace = _dir.Combine("traces", name + ".nettrace");
        var run = await CfSessionProcess.RunAsync(Data, ["trace", "record", "-o", trace, "--name", name, "--", "sh", "-c", "echo fault-output; exit 3"]);
        Assert.True(run.ExitCode == 3, run.Stderr);
        return (trace, JournalFiles.SessionIds(Data).Single(id => JournalFiles.ReadSession(Data, id).Events[0].GetString(JournalFields.SessionName) == name));
    }

    /// <summary>A copy of the data directory whose journal lines pass through <paramref name="edit"/> (null drops a line).</summary>
    private string CopyJournal(string sessionId, Func<JsonObject, JsonObject?> edit)
    {
        string copy = _dir.Combine("copy-" + Guid.NewGuid().ToString("N")[..8]);
        var source = new DataDirectory(Data).SessionDirectory(sessionId);
        var target = new DataDirectory(copy).SessionDirectory(sessionId);
        Directory.CreateDirectory(target);
        foreach (string segment in Directory.EnumerateFiles(source, "*.jsonl"))
        {
            var lines = File.ReadAllLines(segment).Select(l => edit((JsonObject)JsonNode.Parse(l)!)).Where(l => l is not null).Select(l => l!.ToJsonString());
            File.WriteAllLines(Path.Combine(target, Path.GetFileName(segment)), lines, new UTF8Encoding(false));
        }
        return copy;
    }

    private async Task<(int Exit, JsonObject Session)> VerifyAsync(string trace, string journalDir)
    {
        var result = await InProcessCli.RunAsync(Data, null, "verify", trace, "--journal-dir", journalDir, "--json");
        var doc = TraceTestSupport.Json(result.Stdout);
        return (result.ExitCode, Assert.Single(doc["sessions"]!.AsArray())!.AsObject());
    }

    [Fact]
    public async Task Verify_reports_an_event_missing_from_the_journal_as_only_in_trace_and_exits_1()
    {
        var (trace, id) = await RecordAsync();
        string copy = CopyJournal(id, line => line["event"]!.GetValue<string>() == "TerminalCapture" ? null : line);
        var (exit, session) = await VerifyAsync(trace, copy);
        Assert.Equal(1, exit);
        var only = Assert.Single(session["only_in_trace"]!.AsArray())!;
        Assert.Equal("TerminalCapture", only["event"]!.GetValue<string>());
        Assert.Equal(2, session["matched"]!.GetValue<int>());
        Assert.Equal(1, session["unexplained"]!.GetValue<int>());
    }

    [Fact]
    public async Task Verify_reports_a_changed_journal_field_with_both_values_and_exits_1()
    {
        var (trace, id) = await RecordAsync();
        string copy = CopyJournal(id, line =>
        {
            if (line["event"]!.GetValue<string>() == "TerminalCapture") line["exit_code"] = 4;
            return line;
        });
        var (exit, session) = await VerifyAsync(trace, copy);
        Assert.Equal(1, exit);
        var mismatch = Assert.Single(session["mismatches"]!.AsArray())!;
        Assert.Equal("TerminalCapture", mismatch["event"]!.GetValue<string>());
        var field = Assert.Single(mismatch["fields"]!.AsArray())!;
        Assert.Equal("exit_code", field["field"]!.GetValue<string>());
        Assert.Equal(4, field["journal"]!.GetValue<long>());
        Assert.Equal(3, field["trace"]!.GetValue<long>());
    }

    [Fact]
    public async Task Verify_reports_a_journal_event_inside_the_trace_window_that_the_trace_lacks_as_unexplained()
    {
        var (trace, id) = await RecordAsync();
        // Plant an extra capture in the journal copy, at the real capture's moment, with a new operation id.
        string copy = CopyJournal(id, line => line);
        string segment = Directory.EnumerateFiles(new DataDirectory(copy).SessionDirectory(id), "*.jsonl").Single();
        var capture = (JsonObject)JsonNode.Parse(File.ReadAllLines(segment).Single(l => l.Contains("\"TerminalCapture\"", StringComparison.Ordinal)))!;
        capture["operation_id"] = "00000000-0000-4000-8000-00000000beef";
        File.AppendAllText(segment, capture.ToJsonString() + "\n");

        var (exit, session) = await VerifyAsync(trace, copy);
        Assert.Equal(1, exit);
        var only = Assert.Single(session["only_in_journal"]!.AsArray())!;
        Assert.Equal("00000000-0000-4000-8000-00000000beef", only["key"]!.GetValue<string>());
        Assert.Null(only["explanation"]);
        Assert.Equal(3, session["matched"]!.GetValue<int>());
    }

    [Fact]
    public async Task Verify_finds_an_event_dropped_from_the_trace_and_a_field_changed_in_the_trace()
    {
        var (tracePath, id) = await RecordAsync();
        var trace = TraceReader.Read(tracePath);
        var journal = JournalFiles.ReadSession(Data, id).Events;
        Assert.Equal(0, TraceVerifier.Verify(trace, _ => journal).Unexplained);

        // Fault 1: the trace lacks SessionEnd.
        var withoutEnd = trace with { Events = trace.Events.Where(e => e.Event.Name != SessionEventNames.SessionEnd).ToList() };
        var missing = Assert.Single(TraceVerifier.Verify(withoutEnd, _ => journal).Sessions);
        var only = Assert.Single(missing.OnlyInJournal);
        Assert.Equal(SessionEventNames.SessionEnd, only.Event);
        Assert.Null(only.Explanation);

        // Fault 2: a field changed in the trace.
        var changed = trace with
        {
            Events = trace.Events.Select(t =>
            {
                if (t.Event.Name != SessionEventNames.TerminalCapture) return t;
                var fields = (JsonObject)t.Event.Fields.DeepClone();
                fields[JournalFields.OutputSample] = "tampered\n";
                return t with { Event = new SessionEvent(t.Event.Name, t.Event.Timestamp, t.Event.SessionId, t.Event.ActivityId, t.Event.Level, t.Event.Keywords, fields) };
            }).ToList(),
        };
        var mismatch = Assert.Single(Assert.Single(TraceVerifier.Verify(changed, _ => journal).Sessions).Mismatches);
        var field = Assert.Single(mismatch.Fields);
        Assert.Equal(JournalFields.OutputSample, field.Field);
        Assert.Equal("fault-output\n", field.Journal!.GetValue<string>());
        Assert.Equal("tampered\n", field.Trace!.GetValue<string>());

        // A lost-event count explains as many journal-only events as it counts, and no more.
        var lossy = withoutEnd with { LostEvents = 1 };
        Assert.NotNull(Assert.Single(Assert.Single(TraceVerifier.Verify(lossy, _ => journal).Sessions).OnlyInJournal).Explanation);
    }

    [Fact]
    public async Task Verify_of_a_trace_whose_session_has_no_journal_reports_every_event_only_in_trace()
    {
        var (trace, _) = await RecordAsync();
        Directory.CreateDirectory(_dir.Combine("empty"));
        var (exit, session) = await VerifyAsync(trace, _dir.Combine("empty"));
        Assert.Equal(1, exit);
        Assert.False(session["journal_found"]!.GetValue<bool>());
        Assert.Equal(3, session["only_in_trace"]!.AsArray().Count);
    }

    [Fact]
    public async Task Verify_and_read_of_a_missing_trace_exit_66_and_of_a_non_trace_exit_65()
    {
        var missing = await InProcessCli.RunAsync(Data, null, "verify", _dir.Combine("nope.nettrace"));
        Assert.Equal(66, missing.ExitCode);
        Assert.Equal($"cfsession: no trace file {_dir.Combine("nope.nettrace")}\n", missing.Stderr);
        File.WriteAllText(_dir.Combine("junk.nettrace"), "this is not a trace");
        var junk = await InProcessCli.RunAsync(Data, null, "trace", "read", _dir.Combine("junk.nettrace"));
        Assert.Equal(65, junk.ExitCode);
        Assert.StartsWith($"cfsession: {_dir.Combine("junk.nettrace")} is not a readable EventPipe trace: ", junk.Stderr);
    }

    [Fact]
    public async Task Reading_an_etl_off_Windows_says_it_needs_Windows_with_69()
    {
        if (OperatingSystem.IsWindows()) return;
        File.WriteAllText(_dir.Combine("x.etl"), "etl");
        var read = await InProcessCli.RunAsync(Data, null, "trace", "read", _dir.Combine("x.etl"));
        Assert.Equal(69, read.ExitCode);
        Assert.Contains("reading .etl needs Windows", read.Stderr);
    }

    [Fact]
    public async Task Trace_query_groups_traced_sessions_by_correlation_id_and_filters_by_keyword()
    {
        var (_, first) = await RecordAsync("first");
        var (_, second) = await RecordAsync("second");
        var all = await InProcessCli.RunAsync(Data, null, "trace", "query", "--days-back", "1", "--dir", _dir.Combine("traces"), "--json");
        Assert.True(all.ExitCode == 0, all.Stderr);
        var sessions = JsonNode.Parse(all.Stdout)!.AsArray();
        Assert.Equal([second, first], sessions.Select(s => s!["correlation_id"]!.GetValue<string>())); // newest first
        var s1 = sessions.Single(s => s!["correlation_id"]!.GetValue<string>() == first)!;
        // session_start is a timestamp string, as in every grouped form: the session's recorded start time.
        Assert.Equal(JournalFiles.ReadSession(Data, first).Events[0].GetString(JournalFields.StartTime), s1["session_start"]!.GetValue<string>());
        var capture = Assert.Single(s1["terminal_captures"]!.AsArray())!;
        Assert.Equal(JournalFiles.ReadSession(Data, first).Events[1].GetString(JournalFields.OperationId), capture["operation_id"]!.GetValue<string>());
        Assert.Equal(3, capture["exit_code"]!.GetValue<long>());
        Assert.Empty(s1["achievements"]!.AsArray());
        Assert.Equal(["first.nettrace"], s1["traces"]!.AsArray().Select(t => t!.GetValue<string>()));

        var sessionOnly = await InProcessCli.RunAsync(Data, null, "trace", "query", "--dir", _dir.Combine("traces"), "--keywords", "session", "--json");
        Assert.All(JsonNode.Parse(sessionOnly.Stdout)!.AsArray(), s => Assert.Empty(s!["terminal_captures"]!.AsArray()));

        var bad = await InProcessCli.RunAsync(Data, null, "trace", "query", "--keywords", "bogus");
        Assert.Equal(64, bad.ExitCode);
    }

    [Theory]
    [InlineData("session,terminal,achievement", SessionKeywords.Session | SessionKeywords.Terminal | SessionKeywords.Achievement)]
    [InlineData("milestone", SessionKeywords.Milestone)]
    [InlineData("0x5", SessionKeywords.Session | SessionKeywords.Terminal)]
    [InlineData("15", (SessionKeywords)0xF)]
    public void Keywords_parse_from_names_and_numbers(string text, SessionKeywords expected) =>
        Assert.Equal(expected, TraceQuery.ParseKeywords(text));

    [Fact]
    public async Task Etw_manifest_names_every_event_and_keyword_of_the_provider_and_prints_the_wevtutil_steps()
    {
        var result = await InProcessCli.RunAsync(Data, null, "etw", "manifest", "-o", _dir.Combine("manifest"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        string xml = File.ReadAllText(_dir.Combine("manifest", "ContextForge.SessionLogging.man"));
        var doc = System.Xml.Linq.XDocument.Parse(xml);
        System.Xml.Linq.XNamespace ns = "http://schemas.microsoft.com/win/2004/08/events";
        var provider = Assert.Single(doc.Descendants(ns + "provider"));
        Assert.Equal("ContextForge.SessionLogging", provider.Attribute("name")!.Value);
        // EventSourceMessage is the built-in event every EventSource manifest carries.
        Assert.Equal(["AchievementLogged", "EventSourceMessage", "SessionEnd", "SessionStart", "TerminalCapture", "TerminalCaptureFailed"],
            provider.Descendants(ns + "event").Select(e => e.Attribute("symbol")!.Value).Order(StringComparer.Ordinal));
        // Session0..Session3 (0x800000000000 ...) are EventSource's reserved session bits: the high bits traces show.
        Assert.Equal(["Achievement=0x2", "Milestone=0x8", "Session=0x1", "Terminal=0x4"],
            provider.Descendants(ns + "keyword").Where(k => !k.Attribute("name")!.Value.StartsWith("Session", StringComparison.Ordinal) || k.Attribute("name")!.Value == "Session").Select(k => $"{k.Attribute("name")!.Value}={k.Attribute("mask")!.Value}").Order(StringComparer.Ordinal));
        Assert.Contains("wevtutil im \"" + _dir.Combine("manifest", "ContextForge.SessionLogging.man") + "\"", result.Stdout);
    }

    [WindowsFact]
    public async Task Trace_record_to_an_etl_on_Windows_reads_back_and_verifies()
    {
        string trace = _dir.Combine("record.etl");
        var run = await CfSessionProcess.RunAsync(Data, ["trace", "record", "-o", trace, "--", "cmd", "/c", "echo etw"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var read = await InProcessCli.RunAsync(Data, null, "trace", "read", trace, "--json");
        Assert.Equal(["SessionStart", "TerminalCapture", "SessionEnd"], TraceTestSupport.Json(read.Stdout)["events"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
        var verify = await InProcessCli.RunAsync(Data, null, "verify", trace);
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task Trace_record_to_an_etl_off_Windows_says_ETW_is_Windows_only_with_69()
    {
        if (OperatingSystem.IsWindows()) return;
        var run = await InProcessCli.RunAsync(Data, null, "trace", "record", "-o", _dir.Combine("x.etl"), "--", "true");
        Assert.Equal(69, run.ExitCode);
        Assert.StartsWith("cfsession: ETW is Windows-only", run.Stderr);
    }
}
