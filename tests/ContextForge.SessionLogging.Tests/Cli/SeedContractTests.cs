using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>The seed's keys, in addition to ours: session_events in every grouped form, provenance.command, etw_correlation.</summary>
public sealed class SeedContractTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    private Task<string> StartAsync(string name) => InProcessCli.StartAsync(_dir.Path, "--name", name);

    [Fact]
    public async Task Grouped_history_and_inspects_cross_session_context_carry_session_events()
    {
        string first = await StartAsync("first");
        Assert.Equal(0, (await Cli(first, "achievement", "t", "d")).ExitCode);
        Assert.Equal(0, (await Cli(first, "milestone", "m1")).ExitCode);
        Assert.Equal(0, (await Cli(first, "end")).ExitCode);
        string second = await StartAsync("second");

        var grouped = JsonNode.Parse((await Cli(null, "history", "--group-by", "correlation", "--json")).Stdout)!["sessions"]!.AsArray();
        var group = grouped.Single(g => g!["correlation_id"]!.GetValue<string>() == first)!;
        Assert.Equal([SessionEventNames.SessionStart, "MilestoneReached", SessionEventNames.SessionEnd],
            group["session_events"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
        Assert.Equal("m1", group["session_events"]![1]!["fields"]!["milestone_name"]!.GetValue<string>());

        var cross = JsonNode.Parse((await Cli(null, "inspect", second, "--json")).Stdout)!["cross_session_context"]!.AsArray();
        var other = Assert.Single(cross)!;
        Assert.Contains(other["session_events"]!.AsArray(), e => e!["event"]!.GetValue<string>() == SessionEventNames.SessionEnd);
    }

    [Fact]
    public async Task Achievement_json_and_the_library_record_carry_etw_correlation()
    {
        string id = await StartAsync("s");

        var printed = JsonNode.Parse((await Cli(id, "achievement", "tests_passed", "green", "--json")).Stdout)!;
        var correlation = printed["etw_correlation"]!;
        Assert.Equal($"ACH-{id[..8]}-001", correlation["achievement_id"]!.GetValue<string>());
        Assert.False(correlation["etw_emitted"]!.GetValue<bool>());
        var journaled = JournalFiles.ReadSession(_dir.Path, id).Events.Single(e => e.Name == SessionEventNames.AchievementLogged);
        Assert.Equal(journaled.Fields[JournalFields.EtwCorrelation]!.ToJsonString(), correlation.ToJsonString());

        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Combine("lib") });
        using var session = manager.Start("lib", "test");
        var record = session.LogAchievement("built", "ok");
        Assert.Equal(record.AchievementId, record.EtwCorrelation!["achievement_id"].GetString());
        Assert.Equal(session.ActivityId.ToString("D"), record.EtwCorrelation!["activity_id"].GetString());
    }

    [Fact]
    public async Task Provenance_command_is_the_writing_process_argv_with_secrets_redacted()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "sh", "-c", "true", "sh", "--password", "hunter2", "ghp_" + new string('a', 36)]);
        Assert.Equal(0, run.ExitCode);

        string id = Assert.Single(JournalFiles.SessionIds(_dir.Path));
        var start = JournalFiles.ReadSession(_dir.Path, id).Events.First(e => e.Name == SessionEventNames.SessionStart);
        var command = start.Fields[JournalFields.Provenance]!["command"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.EndsWith("cfsession.dll", command[0], StringComparison.Ordinal);
        Assert.Equal(["run", "--no-pty", "--", "sh", "-c", "true", "sh", "--password", "[REDACTED:password_argument]"], command[1..^1]);
        Assert.StartsWith("[REDACTED:", command[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", string.Join(' ', command), StringComparison.Ordinal);
    }

    [Fact]
    public void Provenance_without_a_command_reads_back_as_before_and_equality_compares_the_command_by_value()
    {
        var old = ContextForge.SessionLogging.Records.Provenance.FromJson(new JsonObject { ["host"] = "h", ["user"] = "u", ["pid"] = 1, ["tool"] = "t", ["tool_version"] = "1", ["os"] = "o", ["os_platform"] = "linux", ["arch"] = "x64", ["runtime"] = "r", ["cwd"] = "/" })!;
        Assert.Null(old.Command);
        Assert.False(old.ToJson().ContainsKey("command"));
        var a = old with { Command = ["cfsession", "run"] };
        var b = old with { Command = new List<string> { "cfsession", "run" } };
        Assert.Equal(a, b);
        Assert.Equal(a, ContextForge.SessionLogging.Records.Provenance.FromJson(a.ToJson()));
        Assert.NotEqual(old, a);
    }
}
