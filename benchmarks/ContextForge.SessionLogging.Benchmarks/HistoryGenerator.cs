using System.Diagnostics.Tracing;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Writes realistic session histories straight into a data directory, in the journal format and layout <c>cfsession</c>
/// writes (through the same <see cref="JournalWriter"/>), with chosen timestamps: sessions with a start, commands with
/// outputs of a few KB (some ANSI-coloured, some large enough to go to the blob store), exit codes, achievements and
/// an end. As real processes do: <c>start</c>, each <c>run</c>, each <c>achievement</c> and <c>end</c> is a writer of its
/// own (its own pid, a Writer line) appending to the session's shared segment under its lock and recording itself in
/// the change log; a run writes OperationStarted, then its TerminalCapture. Used by the benchmarks (10k-1M operations)
/// and by the tests (small, exact histories).
/// </summary>
internal sealed class HistoryGenerator(DataDirectory data, int seed = 42)
{
    /// <summary>A pid no process has (Linux pid_max is at most 4194304), so generated sessions have no live writer.</summary>
    public const int DeadPid = 4_999_999;
    public const string Host = "bench-host";

    private readonly Random _random = new(seed);

    public sealed record OperationSpec(string CommandLine, int ExitCode, string Output, string Cwd, string Stderr = "");

    public sealed record AchievementSpec(string Type, string Description, JsonObject? Evidence);

    public sealed record SessionSpec(string Name, string Type, DateTimeOffset Start, IReadOnlyList<OperationSpec> Operations,
        IReadOnlyList<AchievementSpec> Achievements, bool Ended = true, string? ParentSessionId = null, string Host = Host, string? Id = null);

    public sealed record WrittenSession(string Id, string SegmentPath, SessionSpec Spec, IReadOnlyList<string> OperationIds);

    // The next generated writer process's pid: above Linux's pid_max, so no generated writer is alive.
    private int _nextPid = DeadPid + 1;

    /// <summary>
    /// Writes one session into its shared segment: SessionStart, then per operation (1 s apart) a run's OperationStarted
    /// and TerminalCapture, achievements, SessionEnd, each process a writer of its own.
    /// </summary>
    public WrittenSession Write(SessionSpec spec)
    {
        string id = spec.Id ?? NewSessionId();
        var activity = ActivityOf(id);
        string dir = data.SessionDirectory(id);
        Directory.CreateDirectory(dir);
        var operationIds = new List<string>();
        var t = spec.Start;
        JournalWriter? writer = null;
        // One writer per process: the previous one is closed when the next process starts writing.
        void NewProcess()
        {
            writer?.Dispose();
            writer = JournalWriter.ForSession(data, id, JournalDurability.Flush);
        }
        void Emit(string name, SessionKeywords keywords, JsonObject fields, EventLevel level = EventLevel.Informational) =>
            writer!.Emit(new SessionEvent(name, t, id, activity, level, keywords, fields));
        NewProcess();
        int pid = DeadPid;

        var start = new JsonObject
        {
            [JournalFields.SessionName] = spec.Name,
            [JournalFields.SessionType] = spec.Type,
            [JournalFields.StartTime] = Format(t),
            [JournalFields.Methodology] = SessionManager.DefaultMethodology,
            [JournalFields.CorrelationId] = id,
        };
        if (spec.ParentSessionId is not null) start[JournalFields.ParentSessionId] = spec.ParentSessionId;
        start[JournalFields.Provenance] = ProvenanceOf(spec.Host, "/home/dev", pid);
        Emit(SessionEventNames.SessionStart, SessionKeywords.Session, start);
        int failed = 0;
        // start's process ends; each run is a process of its own.
        writer!.Dispose();
        writer = null;
        foreach (var op in spec.Operations)
        {
            if (op.ExitCode != 0) failed++;
            operationIds.Add(WriteRun(id, activity, spec.Host, op, t, operationIds.Count));
            t = t.AddSeconds(1);
        }
        int number = 0;
        foreach (var a in spec.Achievements)
        {
            NewProcess();
            pid = _nextPid++;
            t = t.AddMilliseconds(100);
            number++;
            var fields = new JsonObject
            {
                [JournalFields.AchievementId] = string.Create(CultureInfo.InvariantCulture, $"ACH-{id[..8]}-{number:D3}"),
                [JournalFields.CorrelationId] = id,
                [JournalFields.AchievementType] = a.Type,
                [JournalFields.Description] = a.Description,
                [JournalFields.Timestamp] = Format(t),
            };
            if (a.Evidence is not null) fields[JournalFields.Evidence] = a.Evidence.DeepClone();
            fields[JournalFields.Provenance] = ProvenanceOf(spec.Host, "/home/dev", pid);
            Emit(SessionEventNames.AchievementLogged, SessionKeywords.Achievement, fields);
        }
        if (spec.Ended)
        {
            NewProcess();
            pid = _nextPid++;
            t = t.AddMilliseconds(10);
            Emit(SessionEventNames.SessionEnd, SessionKeywords.Session, new JsonObject
            {
                [JournalFields.CorrelationId] = id,
                [JournalFields.StartTime] = Format(spec.Start),
                [JournalFields.EndTime] = Format(t),
                [JournalFields.DurationMs] = (t - spec.Start).TotalMilliseconds,
                [JournalFields.OperationCount] = spec.Operations.Count,
                [JournalFields.FailedOperationCount] = failed,
                [JournalFields.AchievementCount] = spec.Achievements.Count,
                [JournalFields.Status] = "ended",
                [JournalFields.Provenance] = ProvenanceOf(spec.Host, "/home/dev", pid),
            });
        }
        writer?.Dispose();
        return new WrittenSession(id, Path.Combine(dir, JournalWriter.SharedSegmentFileName), spec, operationIds);
    }

    /// <summary>
    /// One <c>cfsession run</c> joining session <paramref name="id"/> (as a run started at <paramref name="start"/> that
    /// takes a second): its own writer appends OperationStarted and TerminalCapture. Returns the operation id.
    /// </summary>
    public string WriteRun(string id, Guid activity, string host, OperationSpec op, DateTimeOffset start, int number)
    {
        string dir = data.SessionDirectory(id);
        int pid = _nextPid++;
        using var writer = JournalWriter.ForSession(data, id, JournalDurability.Flush);
        string opId = GuidFrom(id + number).ToString("D");
        string command = op.CommandLine.Split(' ')[0];
        JsonArray Arguments() => new(op.CommandLine.Split(' ').Skip(1).Select(a => (JsonNode?)a).ToArray());
        writer.Emit(new SessionEvent(SessionEventNames.OperationStarted, start, id, activity, EventLevel.Informational, SessionKeywords.Terminal, new JsonObject
        {
            [JournalFields.OperationId] = opId,
            [JournalFields.OperationName] = op.CommandLine,
            [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = id,
            [JournalFields.StartTime] = Format(start),
            [JournalFields.Command] = command,
            [JournalFields.Arguments] = Arguments(),
            [JournalFields.Cwd] = op.Cwd,
            [JournalFields.Provenance] = ProvenanceOf(host, op.Cwd, pid),
        }));
        var end = start.AddSeconds(1);
        var fields = new JsonObject
        {
            [JournalFields.OperationId] = opId,
            [JournalFields.OperationName] = op.CommandLine,
            [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = id,
            [JournalFields.StartTime] = Format(start),
            [JournalFields.EndTime] = Format(end),
            [JournalFields.DurationMs] = 5.0 + _random.Next(0, 5000),
            [JournalFields.Command] = command,
            [JournalFields.Arguments] = Arguments(),
            [JournalFields.Cwd] = op.Cwd,
            [JournalFields.ExitCode] = op.ExitCode,
            [JournalFields.Signal] = null,
            [JournalFields.CaptureMode] = "pipe",
        };
        StoreOutput(dir, fields, op.Output, JournalFields.OutputLength, JournalFields.IntegrityHash, JournalFields.Output, JournalFields.OutputBlob);
        StoreOutput(dir, fields, op.Stderr, JournalFields.StderrLength, JournalFields.StderrHash, JournalFields.Stderr, JournalFields.StderrBlob);
        string plain = Capture.AnsiText.ToPlain(op.Output);
        fields[JournalFields.OutputSample] = plain.Length > 500 ? plain[..500] : plain;
        fields[JournalFields.Provenance] = ProvenanceOf(host, op.Cwd, pid);
        writer.Emit(new SessionEvent(SessionEventNames.TerminalCapture, end, id, activity, EventLevel.Informational, SessionKeywords.Terminal, fields));
        return opId;
    }

    /// <summary>The activity id the generator gives session <paramref name="id"/>.</summary>
    public static Guid ActivityOf(string id) => GuidFrom(id);

    /// <summary>
    /// Writes <paramref name="operations"/> operations in sessions of about <paramref name="operationsPerSession"/>,
    /// spread evenly over <paramref name="span"/> before <paramref name="end"/>. <paramref name="rareWord"/> appears in
    /// one output in a thousand; one output in two hundred is large (64 KiB, stored as a blob); one command in ten fails.
    /// </summary>
    public IReadOnlyList<WrittenSession> Generate(int operations, DateTimeOffset end, TimeSpan span, int operationsPerSession = 20, string rareWord = "zyzzogeton")
    {
        var sessions = new List<WrittenSession>();
        int sessionCount = Math.Max(1, operations / operationsPerSession);
        int written = 0;
        for (int s = 0; s < sessionCount; s++)
        {
            int n = s == sessionCount - 1 ? operations - written : operationsPerSession;
            var start = end - span + TimeSpan.FromTicks(span.Ticks / sessionCount * s);
            var ops = new List<OperationSpec>(n);
            for (int i = 0; i < n; i++)
            {
                int global = written + i;
                var (command, output, exit) = RandomCommand();
                if (global % 1000 == 500) output += $"\nnote: {rareWord} detected in module {global}\n";
                if (global % 200 == 50) output = LargeOutput(64 * 1024, global);
                ops.Add(new OperationSpec(command, exit, output, Cwds[_random.Next(Cwds.Length)]));
            }
            written += n;
            var achievements = _random.Next(4) == 0
                ? new[] { new AchievementSpec(AchievementTypes[_random.Next(AchievementTypes.Length)], "generated outcome", new JsonObject { ["tests"] = _random.Next(1, 500), ["commit"] = "abc1234" }) }
                : [];
            sessions.Add(Write(new SessionSpec($"session-{s}", s % 3 == 0 ? "interactive" : "command", start, ops, achievements)));
        }
        return sessions;
    }

    public string NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    private static readonly string[] Cwds = ["/home/dev/api", "/home/dev/api/src", "/home/dev/web", "/srv/build", "/home/dev/infra"];
    private static readonly string[] AchievementTypes = ["tests_passed", "build_succeeded", "deployed", "bug_fixed"];

    private (string Command, string Output, int Exit) RandomCommand()
    {
        int kind = _random.Next(6);
        bool fail = _random.Next(10) == 0;
        var sb = new StringBuilder();
        switch (kind)
        {
            case 0:
                for (int i = 0; i < 20 + _random.Next(40); i++) sb.Append(CultureInfo.InvariantCulture, $"  Restored /home/dev/api/Project{i}.csproj (in {_random.Next(10, 900)} ms).\n");
                sb.Append(fail ? "\u001b[31mBuild FAILED.\u001b[0m\nerror CS0103: The name 'x' does not exist in the current context\n" : "\u001b[32mBuild succeeded.\u001b[0m\n    0 Warning(s)\n    0 Error(s)\n");
                return ("dotnet build -c Release", sb.ToString(), fail ? 1 : 0);
            case 1:
                for (int i = 0; i < 30 + _random.Next(40); i++) sb.Append(CultureInfo.InvariantCulture, $"\u001b[32m  Passed\u001b[0m Tests.Unit{i}.Behaviour_{_random.Next(1000)} [{_random.Next(1, 90)} ms]\r\n");
                sb.Append(fail ? "Failed!  - Failed: 1, Passed: 41\n" : "Passed!  - Failed: 0, Passed: 42\n");
                return ("dotnet test --no-build", sb.ToString(), fail ? 1 : 0);
            case 2:
                for (int i = 0; i < 10 + _random.Next(30); i++) sb.Append(CultureInfo.InvariantCulture, $"{_random.Next():x8} commit message number {i} touching src/File{i}.cs\n");
                return ("git log --oneline -n 40", sb.ToString(), 0);
            case 3:
                for (int i = 0; i < 20 + _random.Next(60); i++) sb.Append(CultureInfo.InvariantCulture, $"-rw-r--r-- 1 dev dev {_random.Next(100, 99999),6} Nov 25 12:{i % 60:00} file{i}.txt\n");
                return ("ls -la", sb.ToString(), 0);
            case 4:
                for (int i = 0; i < 15 + _random.Next(30); i++) sb.Append(CultureInfo.InvariantCulture, $"src/Module{i}.cs:{_random.Next(1, 400)}: TODO handle the retry case {i}\n");
                return ("grep -rn TODO src", sb.ToString(), fail ? 2 : 0);
            default:
                for (int i = 0; i < 10 + _random.Next(20); i++) sb.Append(CultureInfo.InvariantCulture, $"{DateTime.UnixEpoch.AddSeconds(1_700_000_000 + i):O} info request {i} served in {_random.Next(1, 300)} ms\n");
                return ("kubectl logs deploy/api --tail 50", sb.ToString(), fail ? 1 : 0);
        }
    }

    private static string LargeOutput(int bytes, int salt)
    {
        var sb = new StringBuilder(bytes + 100);
        for (int i = 0; sb.Length < bytes; i++) sb.Append(CultureInfo.InvariantCulture, $"[{salt}:{i:D6}] streaming build log line with some padding text to look like real output\n");
        return sb.ToString();
    }

    private static void StoreOutput(string dir, JsonObject fields, string text, string lengthField, string hashField, string inlineField, string blobField)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        string hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
        fields[lengthField] = bytes.Length;
        fields[hashField] = "sha256:" + hex;
        if (bytes.Length <= 16 * 1024)
        {
            fields[inlineField] = text;
            return;
        }
        // Written as the capture path writes it: a zstd blob through the one BlobStore.
        string blobs = Path.Combine(dir, "blobs");
        using var output = new CapturedOutput("stdout", blobs);
        output.Write(bytes);
        fields[blobField] = BlobStore.Store(output, blobs, output.Complete());
    }

    private static JsonObject ProvenanceOf(string host, string cwd, int pid) => new()
    {
        ["host"] = host,
        ["user"] = "dev",
        ["pid"] = pid,
        ["tool"] = "history-generator",
        ["tool_version"] = "0.1.0",
        ["os"] = "Linux",
        ["os_platform"] = "linux",
        ["arch"] = "x64",
        ["runtime"] = ".NET 10",
        ["cwd"] = cwd,
    };

    private static Guid GuidFrom(string text) => new(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));

    private static string Format(DateTimeOffset t) => SessionManager.FormatTime(t);
}
