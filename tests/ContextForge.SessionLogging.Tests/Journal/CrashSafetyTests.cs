using System.Diagnostics;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>
/// The fast version of scripts/crash-test.sh: real 'cfsession run' processes SIGKILLed at random points while their
/// child prints, interleaved with runs that return. Journals still read, only a last line can be torn, nothing
/// acknowledged is lost, validate reports no integrity error, reindex rebuilds.
/// </summary>
public sealed class CrashSafetyTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Batches = 5, VictimsPerBatch = 4; // 20 kills
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Process StartVictim(int n, string? joinSession) =>
        CfSessionProcess.StartRun(_dir.Path, $"n=0; while [ $n -lt 40000 ]; do echo \"victim {n} line $n\"; n=$((n+1)); done", joinSession);

    [Fact]
    public async Task Sigkill_at_random_points_loses_nothing_acknowledged_and_breaks_no_journal()
    {
        int seed = TestSeed.Next(output);
        var random = new Random(seed);
        var start = await CfSessionProcess.RunAsync(_dir.Path, ["start", "--name", "crash-shared"]);
        string shared = start.StdoutText.Trim()["export CFSESSION_ID=".Length..];
        var acknowledged = new List<string>();
        int kills = 0;
        for (int batch = 0; batch < Batches; batch++)
        {
            var victims = Enumerable.Range(0, VictimsPerBatch).Select(v => StartVictim(batch * VictimsPerBatch + v, v % 2 == 0 ? shared : null)).ToList();
            var ack = CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "sh", "-c", $"echo 'ack {batch} a'; echo 'ack {batch} b'"],
                environment: batch % 2 == 0 ? new Dictionary<string, string?> { ["CFSESSION_ID"] = shared } : null);
            foreach (var victim in victims)
            {
                await Task.Delay(random.Next(0, 400));
                try { victim.Kill(); kills++; } catch (InvalidOperationException) { } // already exited: not a kill
            }
            foreach (var victim in victims) { await victim.WaitForExitAsync(); victim.Dispose(); }
            var ackRun = await ack;
            Assert.Equal(0, ackRun.ExitCode);
            acknowledged.Add($"ack {batch} a\nack {batch} b\n");
        }

        var outputs = new List<string>();
        foreach (string id in JournalFiles.SessionIds(_dir.Path))
        {
            var read = JournalFiles.ReadSession(_dir.Path, id);
            Assert.All(read.Problems, p => Assert.Equal(JournalProblemKind.TornLastLine, p.Kind));
            outputs.AddRange(read.Events.Where(e => e.Name == SessionEventNames.TerminalCapture).Select(e => e.GetString(JournalFields.Output) ?? ""));
        }
        foreach (string a in acknowledged) Assert.Single(outputs, o => o == a);
        Assert.True(kills > 0);

        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--all", "--json"]);
        var kinds = JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray().Select(f => f!["kind"]!.GetValue<string>()).ToList();
        Assert.All(kinds, k => Assert.Contains(k, new[] { "torn_line", "abandoned", "interrupted_operation", "capture_output_not_stored" }));
        // Every operation a victim started and never captured is flagged interrupted, at once.
        int started = 0, captured = 0;
        foreach (string id in JournalFiles.SessionIds(_dir.Path))
        {
            var events = JournalFiles.ReadSession(_dir.Path, id).Events;
            var done = events.Where(e => e.Name == SessionEventNames.TerminalCapture).Select(e => e.GetString(JournalFields.OperationId)).ToHashSet();
            started += events.Count(e => e.Name == SessionEventNames.OperationStarted);
            captured += events.Count(e => e.Name == SessionEventNames.OperationStarted && done.Contains(e.GetString(JournalFields.OperationId)));
        }
        Assert.Equal(started - captured, kinds.Count(k => k == "interrupted_operation"));
        // No session is left looking open but the shared one from 'start': each killed run's own session is abandoned.
        var sessions = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["sessions", "--limit", "0", "--json"])).Stdout)!.AsArray();
        Assert.All(sessions, s => Assert.Equal(s!["session_id"]!.GetValue<string>() == shared ? "open" : s["status"]!.GetValue<string>() == "ended" ? "ended" : "abandoned", s!["status"]!.GetValue<string>()));
        Assert.Equal(kinds.Count(k => k == "abandoned"), sessions.Count(s => s!["status"]!.GetValue<string>() == "abandoned"));
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["reindex"])).ExitCode);
        // The rebuilt index holds every acknowledged operation.
        string history = (await CfSessionProcess.RunAsync(_dir.Path, ["history", "--limit", "0", "--json"])).StdoutText;
        Assert.NotNull(JsonNode.Parse(history));
        for (int batch = 0; batch < Batches; batch++) Assert.Contains($"echo 'ack {batch} a'", history, StringComparison.Ordinal);
    }
}
