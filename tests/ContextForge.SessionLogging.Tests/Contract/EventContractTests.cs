using System.Diagnostics.Tracing;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tests.Telemetry;
using Microsoft.Diagnostics.NETCore.Client;
using Spectre.Console;

namespace ContextForge.SessionLogging.Tests.Contract;

/// <summary>
/// The contract table (<see cref="EventContracts"/>) against what the tools people use actually see: a real EventPipe
/// recording decoded by TraceEvent, the journal lines the pipeline writes, and the two documents that describe the
/// contract (docs/events.md, docs/journal-format.md).
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed partial class EventContractTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One session that records every event kind, with both providers on.</summary>
    private string RecordEveryKind(SessionLoggingOptions? options = null)
    {
        options ??= new SessionLoggingOptions();
        options.DataDirectory = _dir.Path;
        File.WriteAllText(Path.Combine(_dir.Path, "milestones.json"), """{ "milestones": [ { "name": "first_achievement", "kind": "achievements", "count": 1 } ] }""");
        var manager = new SessionManager(options);
        using var session = manager.Start("contract", "test");
        session.Capture("render", console => console.WriteLine("rendered"));
        Assert.Throws<InvalidOperationException>(() => session.Capture("explode", _ => throw new InvalidOperationException("boom")));
        session.LogAchievement("tests_passed", "all green", new Dictionary<string, object?> { ["passed"] = 42, ["suite"] = "login" });
        session.LogEvent("ContractCustom", EventLevel.Warning, new Dictionary<string, object?> { ["ok"] = true, ["ms"] = 12.5 });
        // Warning, as UnifiedTelemetryTests uses: EventPipe keeps the level of the first write of a TraceLogging event name in a process.
        session.LogEvent("LogEntry", EventLevel.Warning, new Dictionary<string, object?> { ["message"] = "disk low" });
        UnifiedTelemetry.LogAchievementMilestone("manual_step", new Dictionary<string, object?> { ["n"] = 1 });
        return session.Id;
    }

    [Fact]
    public async Task Every_provider_event_in_a_real_EventPipe_recording_has_the_contract_name_fields_level_and_keywords()
    {
        await using var recorder = await EventPipeRecorder.StartAsync(Environment.ProcessId,
        [
            new EventPipeProvider(EventContracts.SessionLoggingProvider, EventLevel.Verbose, 0xF),
            new EventPipeProvider(EventContracts.UnifiedTelemetryProvider, EventLevel.Verbose, 0xF),
        ]);
        await EventPipeRecorder.WaitUntilAsync(() => SessionLoggingEventSource.Log.IsEnabled() && UnifiedTelemetry.IsEnabled(SessionKeywords.Milestone), Timeout, "both providers are enabled");
        string id = RecordEveryKind();
        var events = await recorder.StopAsync(Timeout);

        var ours = events.Where(e => e.ProviderName is EventContracts.SessionLoggingProvider or EventContracts.UnifiedTelemetryProvider)
            .Select(e => (Event: e, Session: TracePayload.Decode([.. e.PayloadNames], [.. e.PayloadNames.Select(n => e.Payload[n])]).SessionId))
            .Where(x => x.Session == id || x.Event.Payload.Values.Contains(id))
            .ToList();
        var seen = new List<string>();
        foreach (var (e, _) in ours)
        {
            var contract = EventContracts.ForProviderEvent(e.ProviderName, e.EventName);
            Assert.NotNull(contract);
            string name = SessionEventNames.Normalize(e.EventName);
            if (contract == EventContracts.CustomEvent) Assert.Contains(name, new[] { "ContractCustom", "LogEntry" });
            else Assert.Equal(contract.Name, name);
            seen.Add(name);
            Assert.Equal((long)contract.Keywords, e.Keywords);
            if (name != "ContractCustom" && name != "LogEntry") Assert.Equal(contract.Level, e.Level);
            var names = e.ProviderName == EventContracts.SessionLoggingProvider
                ? e.PayloadNames
                : Nested(e);
            Assert.Equal(contract.ProviderFields.Select(f => f.Name), names);
        }
        Assert.Equal(["SessionStart", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged", "MilestoneReached", "ContractCustom", "LogEntry", "MilestoneReached", "SessionEnd"], seen);
        Assert.Equal(EventLevel.Warning, ours.Single(x => x.Event.EventName == "ContractCustom").Event.Level);
        Assert.Equal(EventLevel.Warning, ours.Single(x => x.Event.EventName == "LogEntry").Event.Level);
    }

    /// <summary>A unified-provider event's field names: EventPipe nests a Write&lt;T&gt; payload in one unnamed struct.</summary>
    private static List<string> Nested(RecordedEvent e) =>
        [.. TracePayload.Unnest([.. e.PayloadNames], [.. e.PayloadNames.Select(n => e.Payload[n])]).Select(kv => kv.Key)];

    [Fact]
    public void Journal_lines_carry_their_fields_in_the_contract_order_and_read_back_as_equal_records()
    {
        var written = new List<SessionEvent>();
        var options = new SessionLoggingOptions();
        options.Sinks.Add(new CollectingSink(written));
        string id = RecordEveryKind(options);

        var read = JournalFiles.ReadSession(_dir.Path, id).Events;
        Assert.Equal(written.Select(e => (e.Name, e.Sequence)), read.Select(e => (e.Name, e.Sequence)));
        foreach (var (w, r) in written.Zip(read))
        {
            var contract = EventContracts.For(r.Name);
            // The line's own fields, in order, are the contract's list with the absent optional ones left out.
            var keys = r.Fields.Select(kv => kv.Key).Where(k => k != ContextForge.SessionLogging.Redaction.FieldRedaction.RedactionsField).ToList();
            if (contract != EventContracts.CustomEvent)
            {
                var expectedOrder = contract.JournalFields.Where(keys.Contains).ToList();
                Assert.Equal(expectedOrder, keys.Where(k => contract.JournalFields.Contains(k)).ToList());
                if (contract != EventContracts.MilestoneReached) Assert.Equal(expectedOrder, keys);
            }
            // What the sink was given and what the reader gives back are the same record.
            Assert.Equal(Canonical(w.ToRecord()), Canonical(r.ToRecord()));
            Assert.Equal(w.ToRecord().GetType(), r.ToRecord().GetType());
        }
        Assert.IsType<SessionStarted>(read[0].ToRecord());
        var achievement = Assert.IsType<AchievementLogged>(read.Single(e => e.Name == SessionEventNames.AchievementLogged).ToRecord());
        Assert.Equal([new EventField("passed", "42"), new EventField("suite", "\"login\"")], achievement.Evidence);
        Assert.Equal($"ACH-{id[..8]}-001", achievement.AchievementId);
        var log = Assert.IsType<LogEntry>(read.Single(e => e.Name == "LogEntry").ToRecord());
        Assert.Equal(EventLevel.Warning, log.Level);
        var ended = Assert.IsType<SessionEnded>(read[^1].ToRecord());
        Assert.Equal((2, 1, 1), (ended.OperationCount, ended.FailedOperationCount, ended.AchievementCount));
    }

    /// <summary>A record's value, property by property, as JSON (lists compare by content).</summary>
    private static string Canonical(SessionRecord record) => JsonSerializer.Serialize(record, record.GetType());

    [Fact]
    public void The_events_doc_lists_each_typed_event_with_the_contract_id_level_keyword_and_fields_in_order()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "events.md"));
        var typed = EventContracts.All.Where(c => c.Provider == EventContracts.SessionLoggingProvider).ToList();
        Assert.Equal(5, typed.Count);
        foreach (var contract in typed)
        {
            var row = Regex.Match(doc, $@"^\| `{contract.Name}` \((\d+)\)[^|]*\| (\d) \| (\w+) \| (.+) \|$", RegexOptions.Multiline);
            Assert.True(row.Success, $"docs/events.md has no row for {contract.Name}");
            Assert.Equal(contract.EventId, int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal((int)contract.Level, int.Parse(row.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(contract.Keywords.ToString(), row.Groups[3].Value);
            var fields = Regex.Matches(row.Groups[4].Value, @"`(\w+)` (\w+)").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
            Assert.Equal(contract.ProviderFields.Select(f => (f.Name, DocType(f.Type))), fields);
        }
    }

    private static string DocType(ProviderFieldType type) => type switch
    {
        ProviderFieldType.String => "string",
        ProviderFieldType.Int32 => "int32",
        ProviderFieldType.UInt32 => "uint32",
        ProviderFieldType.Double => "double",
        ProviderFieldType.DateTime => "DateTime",
        _ => "Guid",
    };

    [Fact]
    public void The_journal_format_doc_names_every_journal_field_of_each_event_kind()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "journal-format.md"));
        foreach (var contract in EventContracts.All.Where(c => c.Name.Length > 0))
        {
            // Every paragraph that starts with the event's name in bold describes it.
            var text = string.Join("\n", Regex.Matches(doc, $@"^\*\*{contract.Name}\*\*.*?(?=\n\n)", RegexOptions.Multiline | RegexOptions.Singleline).Select(m => m.Value));
            Assert.False(string.IsNullOrEmpty(text), $"docs/journal-format.md does not describe {contract.Name}");
            foreach (string field in contract.JournalFields)
            {
                Assert.True(text.Contains($"`{field}`", StringComparison.Ordinal)
                    || (field.EndsWith("_error", StringComparison.Ordinal) && text.Contains($"`{field}`", StringComparison.Ordinal))
                    || doc.Contains($"`{field}`", StringComparison.Ordinal) && IsSharedField(field),
                    $"docs/journal-format.md does not name {field} for {contract.Name}");
            }
        }
    }

    /// <summary>Fields the doc describes once for every capture (the trace fields, truncation) rather than per event.</summary>
    private static bool IsSharedField(string field) => field is JournalFields.TraceId or JournalFields.SpanId or JournalFields.ParentSpanId
        or JournalFields.OutputTruncated or JournalFields.OutputReceivedLength or JournalFields.StderrTruncated or JournalFields.StderrReceivedLength;

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    private sealed class CollectingSink(List<SessionEvent> events) : ISessionEventSink
    {
        public void Emit(SessionEvent sessionEvent) => events.Add(sessionEvent);

        public SinkStatistics Statistics => new("collecting", events.Count, events.Count, 0, null);
    }
}
