using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Capture;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Reliability;

/// <summary>
/// A SIGKILLed <c>cfsession run</c> is detected at once where it can be proven: a session the killed run owned is
/// abandoned, its operation interrupted (exit code unknown); a session from <c>cfsession start</c> stays open with
/// no live process; a pid reused by another process (same pid, other start time) counts as dead.
/// </summary>
public sealed class KilledRunTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Loop = "n=0; while :; do echo \"line $n\"; n=$((n+1)); sleep 0.02; done";

    /// <summary>
    /// Starts a real 'cfsession run' whose child prints forever, and waits until its OperationStarted is journaled: in a
    /// segment that is new, or (a joined session's shared segment) past where the segment ended before the run started.
    /// </summary>
    private async Task<(Process Victim, string SessionId)> StartVictimAsync(string? joinSession)
    {
        string sessions = Path.Combine(_dir.Path, "sessions");
        var before = Directory.Exists(sessions)
            ? Directory.EnumerateFiles(sessions, "*.jsonl", SearchOption.AllDirectories).ToDictionary(f => f, f => new FileInfo(f).Length, StringComparer.Ordinal)
            : [];
        var victim = CfSessionProcess.StartRun(_dir.Path, Loop, joinSession);
        // Wait (bounded) for the victim's OperationStarted: the child is running then.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var segment = Directory.Exists(sessions)
                ? Directory.EnumerateFiles(sessions, "*.jsonl", SearchOption.AllDirectories)
                    .FirstOrDefault(f => WrittenSince(f, before.GetValueOrDefault(f)).Contains("\"OperationStarted\"", StringComparison.Ordinal))
                : null;
            if (segment is not null) return (victim, Path.GetFileName(Path.GetDirectoryName(segment)!));
            await Task.Delay(20, cts.Token);
        }
    }

    /// <summary>The text of <paramref name="path"/> from byte <paramref name="offset"/> on.</summary>
    private static string WrittenSince(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = Math.Min(offset, stream.Length);
        return new StreamReader(stream).ReadToEnd();
    }

    private static async Task KillAsync(Process victim)
    {
        victim.Kill(); // SIGKILL
        await victim.WaitForExitAsync();
        victim.Dispose();
    }

    private async Task<JsonObject> SessionRowAsync(string sessionId)
    {
        var sessions = await CfSessionProcess.RunAsync(_dir.Path, ["sessions", "--json"]);
        Assert.Equal(0, sessions.ExitCode);
        return (JsonObject)JsonNode.Parse(sessions.Stdout)!.AsArray().Single(s => s!["session_id"]!.GetValue<string>() == sessionId)!;
    }

    private async Task<JsonArray> FindingsAsync()
    {
        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--all", "--json"]);
        Assert.Equal(0, validate.ExitCode); // warnings only
        return JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray();
    }

    private SessionEvent Started(string sessionId) =>
        JournalFiles.ReadSession(_dir.Path, sessionId).Events.Single(e => e.Name == SessionEventNames.OperationStarted);

    [LinuxFact]
    public async Task Killed_run_that_owns_its_session_is_abandoned_and_its_operation_interrupted_at_once()
    {
        var (victim, sessionId) = await StartVictimAsync(joinSession: null);
        int pid = victim.Id;
        await KillAsync(victim);

        var row = await SessionRowAsync(sessionId);
        Assert.Equal("abandoned", row["status"]!.GetValue<string>());
        Assert.Equal(1, row["interrupted_operation_count"]!.GetValue<long>());
        Assert.Equal(0, row["operation_count"]!.GetValue<long>());

        var started = Started(sessionId);
        string operationId = started.GetString(JournalFields.OperationId)!;
        string segment = sessionId + "/" + started.Segment + ".jsonl";
        var findings = await FindingsAsync();
        Assert.Equal(2, findings.Count);
        var abandoned = findings.Single(f => f!["kind"]!.GetValue<string>() == "abandoned")!;
        Assert.Equal("warning", abandoned["severity"]!.GetValue<string>());
        Assert.Equal($"no SessionEnd, and the process that started it and would have ended it (pid {pid}, cfsession) is gone: flagged abandoned (its events are kept)",
            abandoned["message"]!.GetValue<string>());
        var interrupted = findings.Single(f => f!["kind"]!.GetValue<string>() == "interrupted_operation")!;
        Assert.Equal("warning", interrupted["severity"]!.GetValue<string>());
        Assert.Equal(segment, interrupted["file"]!.GetValue<string>());
        Assert.Equal(3, interrupted["line"]!.GetValue<long>()); // the run's Writer line, SessionStart, then OperationStarted
        Assert.Equal($"operation {operationId} (sh -c '{Loop}') started at {started.GetString(JournalFields.StartTime)} and has no capture; the process running it (pid {pid}, cfsession) is gone: interrupted, exit code unknown",
            interrupted["message"]!.GetValue<string>());

        // history lists it as interrupted with no exit code; inspect too; show marks it.
        var history = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["history", "--json", "--limit", "0"])).Stdout)!;
        var op = history["events"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == SessionEventNames.OperationStarted)!;
        Assert.Equal("interrupted", op["operation_status"]!.GetValue<string>());
        Assert.Null(op["exit_code"]);
        Assert.Equal(operationId, op["operation_id"]!.GetValue<string>());

        var inspect = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["inspect", sessionId, "--json"])).Stdout)!;
        Assert.Equal("abandoned", inspect["session"]!["status"]!.GetValue<string>());
        Assert.Equal(1, inspect["session"]!["interrupted_operation_count"]!.GetValue<int>());
        var incomplete = inspect["incomplete_operations"]!.AsArray().Single()!;
        Assert.Equal("interrupted", incomplete["operation_status"]!.GetValue<string>());
        Assert.Equal(operationId, incomplete["operation_id"]!.GetValue<string>());
        Assert.True(incomplete.AsObject().ContainsKey("exit_code"));
        Assert.Null(incomplete["exit_code"]);
        Assert.Empty(inspect["terminal_captures"]!.AsArray());
        Assert.DoesNotContain(inspect["session_events"]!.AsArray(), e => e!["event"]!.GetValue<string>() == SessionEventNames.OperationStarted);

        // Not a terminal: the event lines on stdout, the summary line (with the status) on stderr.
        var shown = await CfSessionProcess.RunAsync(_dir.Path, ["show", sessionId]);
        string show = shown.StdoutText + shown.Stderr;
        Assert.Contains("op interrupted", show, StringComparison.Ordinal);
        Assert.Contains("abandoned", show, StringComparison.Ordinal);

        // The seed's grouped forms say abandoned too: history --group-by correlation, and inspect's
        // cross_session_context when another session is inspected.
        var grouped = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["history", "--group-by", "correlation", "--json"])).Stdout)!;
        var group = grouped["sessions"]!.AsArray().Single(g => g!["correlation_id"]!.GetValue<string>() == sessionId)!;
        Assert.Equal("abandoned", group["status"]!.GetValue<string>());
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "true"])).ExitCode);
        var other = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["inspect", "--json"])).Stdout)!;
        Assert.NotEqual(sessionId, other["session"]!["session_id"]!.GetValue<string>());
        var context = other["cross_session_context"]!.AsArray().Single(g => g!["correlation_id"]!.GetValue<string>() == sessionId)!;
        Assert.Equal("abandoned", context["status"]!.GetValue<string>());
    }

    [LinuxFact]
    public async Task Killed_run_in_a_started_session_leaves_it_open_with_the_operation_interrupted()
    {
        var start = await CfSessionProcess.RunAsync(_dir.Path, ["start", "--name", "shell"]);
        string shared = start.StdoutText.Trim()["export CFSESSION_ID=".Length..];
        var (victim, sessionId) = await StartVictimAsync(shared);
        Assert.Equal(shared, sessionId);
        int pid = victim.Id;
        await KillAsync(victim);

        var row = await SessionRowAsync(shared);
        Assert.Equal("open", row["status"]!.GetValue<string>());
        Assert.Equal(1, row["interrupted_operation_count"]!.GetValue<long>());
        var findings = await FindingsAsync();
        var finding = Assert.Single(findings)!;
        Assert.Equal("interrupted_operation", finding["kind"]!.GetValue<string>());
        Assert.Contains($"the process running it (pid {pid}, cfsession) is gone: interrupted, exit code unknown", finding["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The shared segment: 'start' wrote its Writer line and SessionStart, the joined run its Writer line, then this.
        Assert.Equal(shared + "/" + JournalWriter.SharedSegmentFileName, finding["file"]!.GetValue<string>());
        Assert.Equal(4, finding["line"]!.GetValue<long>());

        // A later run in the same session completes normally; the interrupted one stays interrupted; 'end' ends it.
        var next = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "echo", "after"], environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = shared });
        Assert.Equal(0, next.ExitCode);
        var history = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["history", "--json", "--limit", "0"])).Stdout)!["events"]!.AsArray();
        Assert.Single(history, e => e!["event"]!.GetValue<string>() == SessionEventNames.OperationStarted); // the completed run's is not listed
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["end"], environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = shared })).ExitCode);
        row = await SessionRowAsync(shared);
        Assert.Equal("ended", row["status"]!.GetValue<string>());
        Assert.Equal(1, row["interrupted_operation_count"]!.GetValue<long>());
        Assert.Equal(1, row["operation_count"]!.GetValue<long>());
        // The later writers continued the killed run's segment: still one segment, its chain intact.
        Assert.Equal(JournalWriter.SharedSegmentFileName, Path.GetFileName(Assert.Single(Directory.GetFiles(new DataDirectory(_dir.Path).SessionDirectory(shared), "*.jsonl"))));
        Assert.Equal("interrupted_operation", Assert.Single(await FindingsAsync())!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Started_session_with_no_live_process_stays_open()
    {
        var start = await CfSessionProcess.RunAsync(_dir.Path, ["start", "--name", "between-runs"]);
        string id = start.StdoutText.Trim()["export CFSESSION_ID=".Length..];
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "true"], environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = id })).ExitCode);
        // Both writers ('start' and the run) have exited; nothing is running in the session.
        var row = await SessionRowAsync(id);
        Assert.Equal("open", row["status"]!.GetValue<string>());
        Assert.Equal(0, row["interrupted_operation_count"]!.GetValue<long>());
        Assert.Empty(await FindingsAsync());
        Assert.Equal("detached", JournalFiles.ReadSession(_dir.Path, id).Events.Single(e => e.Name == SessionEventNames.SessionStart).GetString(JournalFields.SessionLifetime));
    }

    [Fact]
    public async Task Completed_run_records_process_lifetime_and_its_writer_identity()
    {
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "echo", "hi"])).ExitCode);
        var events = JournalFiles.ReadSession(_dir.Path, JournalFiles.SessionIds(_dir.Path).Single()).Events;
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.OperationStarted, SessionEventNames.TerminalCapture, SessionEventNames.SessionEnd], events.Select(e => e.Name));
        Assert.Equal("process", events[0].GetString(JournalFields.SessionLifetime));
        Assert.Equal(events[1].GetString(JournalFields.OperationId), events[2].GetString(JournalFields.OperationId));
        if (OperatingSystem.IsLinux())
        {
            var provenance = (JsonObject)events[0].Fields[JournalFields.Provenance]!;
            Assert.True(provenance[ProvenanceFields.ProcessStartTicks]!.GetValue<long>() > 0);
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), provenance[ProvenanceFields.BootId]!.GetValue<string>());
        }
        var row = await SessionRowAsync(events[0].SessionId);
        Assert.Equal("ended", row["status"]!.GetValue<string>());
        Assert.Empty(await FindingsAsync());
        // A completed operation's OperationStarted is not listed by history.
        var history = JsonNode.Parse((await CfSessionProcess.RunAsync(_dir.Path, ["history", "--json", "--limit", "0"])).Stdout)!["events"]!.AsArray();
        Assert.DoesNotContain(history, e => e!["event"]!.GetValue<string>() == SessionEventNames.OperationStarted);
    }

    /// <summary>Writes a session whose SessionStart (lifetime "process") and OperationStarted claim to come from <paramref name="pid"/>.</summary>
    private string FakeSession(int pid, long? startTicks, string? bootId)
    {
        string id = Guid.NewGuid().ToString("D");
        var data = new DataDirectory(_dir.Path);
        string path = Path.Combine(data.SessionDirectory(id), string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}-{pid}-0badc0de.jsonl"));
        JsonObject Provenance()
        {
            var p = new JsonObject { ["host"] = Environment.MachineName, ["user"] = "u", ["pid"] = pid, ["tool"] = "cfsession", ["tool_version"] = "1", ["cwd"] = "/" };
            if (startTicks is { } t) p[ProvenanceFields.ProcessStartTicks] = t;
            if (bootId is not null) p[ProvenanceFields.BootId] = bootId;
            return p;
        }
        var now = DateTimeOffset.UtcNow;
        using var writer = new JournalWriter(path, JournalDurability.FsyncPerEvent);
        writer.Emit(new SessionEvent(SessionEventNames.SessionStart, now, id, Guid.NewGuid(), EventLevel.Informational, SessionKeywords.Session, new JsonObject
        {
            [JournalFields.SessionName] = "fake", [JournalFields.SessionType] = "command", [JournalFields.StartTime] = SessionManager.FormatTime(now),
            [JournalFields.CorrelationId] = id, [JournalFields.SessionLifetime] = "process", [JournalFields.Provenance] = Provenance(),
        }));
        writer.Emit(new SessionEvent(SessionEventNames.OperationStarted, now, id, Guid.NewGuid(), EventLevel.Informational, SessionKeywords.Terminal, new JsonObject
        {
            [JournalFields.OperationId] = Guid.NewGuid().ToString("D"), [JournalFields.OperationName] = "make", [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = id, [JournalFields.StartTime] = SessionManager.FormatTime(now), [JournalFields.Command] = "make",
            [JournalFields.Arguments] = new JsonArray(), [JournalFields.Cwd] = "/", [JournalFields.Provenance] = Provenance(),
        }));
        return id;
    }

    [LinuxFact]
    public async Task A_live_pid_with_another_start_time_is_a_reused_pid_so_the_writer_counts_as_dead()
    {
        // A real live process stands in for "some other process that got the writer's pid".
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            long ticks = ProcessLiveness.ReadStat(sleeper.Id)!.Value.StartTicks;
            string boot = ProcessLiveness.CurrentBootId!;
            string reused = FakeSession(sleeper.Id, ticks + 1, boot);
            string rebooted = FakeSession(sleeper.Id, ticks, "00000000-0000-0000-0000-000000000000");
            string alive = FakeSession(sleeper.Id, ticks, boot);
            string legacy = FakeSession(sleeper.Id, startTicks: null, bootId: null); // journaled before start times: the pid alone

            Assert.Equal(WriterState.Dead, ProcessLiveness.Check(sleeper.Id, ticks + 1, boot));
            Assert.Equal(WriterState.Alive, ProcessLiveness.Check(sleeper.Id, ticks, boot));
            Assert.Equal(WriterState.Unknown, ProcessLiveness.Check(new JsonObject { ["host"] = "another-host", ["pid"] = sleeper.Id }));

            Assert.Equal("abandoned", (await SessionRowAsync(reused))["status"]!.GetValue<string>());
            Assert.Equal(1, (await SessionRowAsync(reused))["interrupted_operation_count"]!.GetValue<long>());
            Assert.Equal("abandoned", (await SessionRowAsync(rebooted))["status"]!.GetValue<string>());
            Assert.Equal("open", (await SessionRowAsync(alive))["status"]!.GetValue<string>());
            Assert.Equal(0, (await SessionRowAsync(alive))["interrupted_operation_count"]!.GetValue<long>());
            Assert.Equal("open", (await SessionRowAsync(legacy))["status"]!.GetValue<string>());

            var findings = await FindingsAsync();
            var tags = findings.Select(f => (f!["session_id"]!.GetValue<string>() == reused ? "reused" : f["session_id"]!.GetValue<string>() == rebooted ? "rebooted" : "other") + ":" + f["kind"]!.GetValue<string>());
            Assert.Equal(["rebooted:abandoned", "rebooted:interrupted_operation", "reused:abandoned", "reused:interrupted_operation"], tags.Order(StringComparer.Ordinal));
        }
        finally
        {
            sleeper.Kill();
            await sleeper.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Another_hosts_session_cannot_be_told_and_stays_open()
    {
        string id = FakeSession(pid: 999_999, startTicks: 1, bootId: null);
        // Rewrite the host: the same journal, written on another machine.
        string segment = Directory.EnumerateFiles(new DataDirectory(_dir.Path).SessionDirectory(id), "*.jsonl").Single();
        File.WriteAllText(segment, File.ReadAllText(segment).Replace($"\"host\":\"{Environment.MachineName}\"", "\"host\":\"elsewhere\"", StringComparison.Ordinal));
        var row = await SessionRowAsync(id);
        Assert.Equal("open", row["status"]!.GetValue<string>());
        Assert.Equal(0, row["interrupted_operation_count"]!.GetValue<long>());
    }
}
