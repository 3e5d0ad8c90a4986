using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tests.Telemetry;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>
/// <c>key=value</c> is a string byte for byte; <c>key:=JSON</c> is typed JSON whose numbers keep the digits as written,
/// in the journal, in <c>achievement --json</c> and in the provider's fields.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class ExactValuesTests : IDisposable
{
    private const string Big = "123456789012345678901234567890";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    private Task<string> StartAsync() => InProcessCli.StartAsync(_dir.Path);

    private string Journal(string id) => string.Join("\n", Directory.GetFiles(Path.Combine(_dir.Path, "sessions", id), "*.jsonl").Order().Select(File.ReadAllText));

    [Fact]
    public async Task Evidence_given_as_key_value_is_stored_as_the_string_given_byte_for_byte()
    {
        string id = await StartAsync();

        var logged = await Cli(id, "achievement", "release", "tagged", "--evidence", "commit=0012345", "--evidence", "version=1.10", "--evidence", $"big={Big}",
            "-e", "flag=true", "-e", "spaced= 7 ");

        Assert.Equal(0, logged.ExitCode);
        var evidence = JournalFiles.ReadSession(_dir.Path, id).Events.Single(e => e.Name == SessionEventNames.AchievementLogged).Fields[JournalFields.Evidence]!;
        Assert.Equal($"{{\"commit\":\"0012345\",\"version\":\"1.10\",\"big\":\"{Big}\",\"flag\":\"true\",\"spaced\":\" 7 \"}}", evidence.ToJsonString());
    }

    [Fact]
    public async Task Evidence_given_as_key_colon_equals_json_keeps_every_number_exactly_as_written()
    {
        string id = await StartAsync();

        var logged = await Cli(id, "achievement", "release", "tagged", "--json", "-e", "version:=1.10", "-e", $"big:={Big}", "-e", "exp:=1e400",
            "-e", "ok:=true", "-e", "none:=null", "-e", "list:=[1, 2.50]", "-e", "obj:={\"a\": 0.1}");

        Assert.Equal(0, logged.ExitCode);
        string line = Journal(id).Split('\n').Single(l => l.Contains("AchievementLogged", StringComparison.Ordinal));
        Assert.Contains($"\"evidence\":{{\"version\":1.10,\"big\":{Big},\"exp\":1e400,\"ok\":true,\"none\":null,\"list\":[1,2.50],\"obj\":{{\"a\":0.1}}}}", line, StringComparison.Ordinal);
        var printed = JsonNode.Parse(logged.Stdout)!["evidence"]!;
        Assert.Equal($"{{\"version\":1.10,\"big\":{Big},\"exp\":1e400,\"ok\":true,\"none\":null,\"list\":[1,2.50],\"obj\":{{\"a\":0.1}}}}", printed.ToJsonString());
        var shown = JsonNode.Parse((await Cli(null, "show", id, "--json")).Stdout)!["events"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "AchievementLogged")!;
        Assert.Equal("1.10", shown["evidence"]!["version"]!.ToJsonString());
        Assert.Equal(Big, shown["evidence"]!["big"]!.ToJsonString());
    }

    [Fact]
    public async Task Milestone_data_keeps_a_version_as_text_and_a_typed_number_as_written_in_journal_and_provider()
    {
        string id = await StartAsync();
        using var listener = new RecordingEventListener("ContextForge.UnifiedTelemetry", EventLevel.Informational, (EventKeywords)SessionKeywords.Milestone);

        var reached = await Cli(id, "milestone", "first_release", "--data", "version=1.0", "--data", "ratio:=0.50", "--data", $"big:={Big}");

        Assert.Equal(0, reached.ExitCode);
        string line = Journal(id).Split('\n').Single(l => l.Contains("MilestoneReached", StringComparison.Ordinal));
        Assert.Contains("\"version\":\"1.0\",\"ratio\":0.50,\"big\":" + Big, line, StringComparison.Ordinal);
        var e = Assert.Single(listener.Named("MilestoneReached"));
        string fields = (string)e.Payload![e.PayloadNames!.IndexOf("Fields")]!;
        Assert.Contains("\"version\":\"1.0\",\"ratio\":0.50,\"big\":" + Big, fields, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evidence_keys_count_every_entry_whatever_its_type()
    {
        string id = await StartAsync();
        using var listener = new RecordingEventListener("ContextForge.SessionLogging", EventLevel.Informational, (EventKeywords)SessionKeywords.Achievement);

        Assert.Equal(0, (await Cli(id, "achievement", "t", "d", "-e", "a=1", "-e", "b:=1.10", "-e", "c:=null", "-e", "d:=[]")).ExitCode);

        var e = Assert.Single(listener.Named("AchievementLogged"));
        Assert.Equal(4, Convert.ToInt64(e.Payload![e.PayloadNames!.IndexOf("EvidenceKeys")], System.Globalization.CultureInfo.InvariantCulture));
    }
}
