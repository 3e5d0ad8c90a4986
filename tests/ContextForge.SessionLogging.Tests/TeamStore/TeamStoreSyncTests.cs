using System.Diagnostics;
using System.Text;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;
using ContextForge.SessionLogging.Tests.Support;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.TeamStore;

/// <summary>cfsession sync against a real PostgreSQL 15 (scripts/postgres-test-server.sh): exact round-trips, idempotence, resumption, failures.</summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TeamStoreSyncTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static Task<InProcessCli.Result> Cli(string home, string? store, params string[] args) =>
        InProcessCli.RunAsync(home, new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = store, ["CFSESSION_TEAM"] = null }, args);

    /// <summary>A fresh database with the schema applied.</summary>
    internal static async Task<string> MigratedDatabase(string home)
    {
        string db = PostgresServer.CreateDatabase();
        var migrate = await Cli(home, PostgresServer.Uri(db), "sync", "--migrate");
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.Equal("applied migrations 1, 2, 3 to the team store at 127.0.0.1:" + PostgresServer.Port + "/" + db + " (schema version 3)\n", migrate.Stdout.ReplaceLineEndings("\n"));
        return db;
    }

    /// <summary>
    /// Sessions with inline outputs, a 64 KiB output (a blob), a failure and an achievement, over two months: 45, 28 and
    /// 11 days old, 34 days apart, so two calendar months on any day (40 to 10 days old fell in one 31-day month when
    /// the oldest was on its 1st: on 10 January, 10 February ...).
    /// </summary>
    internal static IReadOnlyList<WrittenSession> WriteHistory(DataDirectory data, int seed, string host = Host, int sessions = 3)
    {
        var generator = new HistoryGenerator(data, seed);
        var written = new List<WrittenSession>();
        for (int s = 0; s < sessions; s++)
        {
            written.Add(generator.Write(new SessionSpec($"session {s}", "command", Now.AddDays(-45 + 17 * s),
            [
                new OperationSpec("dotnet build", 0, "Build succeeded.\n", "/home/dev/api"),
                new OperationSpec("dotnet test", 1, "Failed: 1\nerror: expected 4 got 5\n", "/home/dev/api/tests"),
                new OperationSpec("cat big.log", 0, string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i} of the big log {seed}-{s}\n")), "/home/dev"),
            ], [new AchievementSpec("build_succeeded", "green", null)], Host: host)));
        }
        return written;
    }

    /// <summary>Every segment of the data directory rebuilt from the server's rows (ordered by seq), by file.</summary>
    internal static Dictionary<string, byte[]> SegmentsOnServer(string db)
    {
        var result = new Dictionary<string, MemoryStream>(StringComparer.Ordinal);
        foreach (var row in PostgresServer.Query(db, "SELECT session_id::text, segment, line FROM journal_lines ORDER BY session_id, segment, seq"))
        {
            string file = (string)row[0]! + "/" + (string)row[1]! + ".jsonl";
            if (!result.TryGetValue(file, out var ms)) result[file] = ms = new MemoryStream();
            ms.Write((byte[])row[2]!);
            ms.WriteByte((byte)'\n');
        }
        return result.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    internal static Dictionary<string, byte[]> SegmentsOnDisk(DataDirectory data) =>
        Directory.EnumerateFiles(data.SessionsDirectory, "*.jsonl", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetRelativePath(data.SessionsDirectory, p).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    private static long LineCount(DataDirectory data) => SegmentsOnDisk(data).Values.Sum(b => b.Count(c => c == (byte)'\n'));

    [PostgresFact]
    public async Task Sync_pushes_every_journal_line_byte_for_byte_and_every_blob_once()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        WriteHistory(data, seed: 1);
        string db = await MigratedDatabase(data.Root);

        var sync = await Cli(data.Root, PostgresServer.Uri(db), "sync");

        Assert.True(sync.ExitCode == 0, sync.Stderr);
        Assert.StartsWith($"pushed {LineCount(data)} lines ({LineCount(data)} new) and 3 blobs (", sync.Stdout);
        var onDisk = SegmentsOnDisk(data);
        var onServer = SegmentsOnServer(db);
        Assert.Equal(onDisk.Keys.Order(), onServer.Keys.Order());
        foreach (var (file, bytes) in onDisk) Assert.True(bytes.AsSpan().SequenceEqual(onServer[file]), $"{file} differs on the server");
        var blobs = PostgresServer.Query(db, "SELECT name, content FROM journal_blobs ORDER BY name");
        var blobFiles = Directory.EnumerateFiles(data.SessionsDirectory, "*.zst", SearchOption.AllDirectories).ToList();
        Assert.Equal(3, blobFiles.Count);
        Assert.Equal(blobFiles.Select(Path.GetFileName).Order(StringComparer.Ordinal), blobs.Select(b => (string)b[0]!));
        foreach (var row in blobs)
            Assert.Equal(File.ReadAllBytes(blobFiles.Single(f => Path.GetFileName(f) == (string)row[0]!)), (byte[])row[1]!);
        // host and user from each segment's provenance, the team from the syncing machine (here the default), two monthly partitions.
        Assert.Equal([[Host, "dev", "default"]], PostgresServer.Query(db, "SELECT DISTINCT host, user_name, team FROM journal_lines"));
        Assert.True(PostgresServer.Count(db, "SELECT count(DISTINCT tableoid) FROM journal_lines") >= 2);
    }

    [PostgresFact]
    public async Task Sync_twice_adds_nothing_and_a_lost_local_state_sends_again_without_duplicating()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        WriteHistory(data, seed: 2);
        string db = await MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, PostgresServer.Uri(db), "sync")).ExitCode);
        long lines = PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"), blobs = PostgresServer.Count(db, "SELECT count(*) FROM journal_blobs");

        var again = await Cli(data.Root, PostgresServer.Uri(db), "sync");
        Assert.Equal($"the team store at 127.0.0.1:{PostgresServer.Port}/{db} (team default) has every line: nothing to push\n", again.Stdout.ReplaceLineEndings("\n"));

        File.Delete(Path.Combine(data.Root, SyncState.FileName));
        var resent = await Cli(data.Root, PostgresServer.Uri(db), "sync");
        Assert.StartsWith($"pushed {lines} lines (0 new) and 0 blobs (0 bytes)", resent.Stdout);
        Assert.Equal(lines, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
        Assert.Equal(blobs, PostgresServer.Count(db, "SELECT count(*) FROM journal_blobs"));
        Assert.Equal(LineCount(data), lines);
    }

    [PostgresFact]
    public async Task Sync_after_new_runs_pushes_only_the_new_lines_named_by_the_change_log()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var first = WriteHistory(data, seed: 3, sessions: 2);
        string db = await MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, PostgresServer.Uri(db), "sync")).ExitCode);
        long before = PostgresServer.Count(db, "SELECT count(*) FROM journal_lines");

        var generator = new HistoryGenerator(data, seed: 33);
        generator.WriteRun(first[0].Id, ActivityOf(first[0].Id), Host, new OperationSpec("make again", 0, "again\n", "/home/dev"), Now, 99);
        var pending = await Cli(data.Root, PostgresServer.Uri(db), "sync", "--status");
        Assert.Contains("pending: 1 segments of 1 sessions, ", pending.Stdout);
        var sync = await Cli(data.Root, PostgresServer.Uri(db), "sync", "--json");

        Assert.Contains("\"lines_inserted\": 3", sync.Stdout); // the run's Writer line, OperationStarted, TerminalCapture
        Assert.Contains("\"segments_read\": 1", sync.Stdout);
        Assert.Equal(before + 3, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
        Assert.Contains("pending: nothing", (await Cli(data.Root, PostgresServer.Uri(db), "sync", "--status")).Stdout);
        Assert.True(SegmentsOnDisk(data)[first[0].Id + "/journal.jsonl"].AsSpan().SequenceEqual(SegmentsOnServer(db)[first[0].Id + "/journal.jsonl"]));
    }

    [PostgresFact]
    public async Task Server_down_exits_75_in_one_line_without_the_password_and_the_next_sync_pushes_everything()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        WriteHistory(data, seed: 4);
        string db = await MigratedDatabase(data.Root);
        int deadPort = FreePort();
        string secret = "pw-" + Guid.NewGuid().ToString("N")[..12];

        var down = await Cli(data.Root, null, "sync", "--to", $"postgresql://postgres:{secret}@127.0.0.1:{deadPort}/{db}");

        Assert.Equal(75, down.ExitCode);
        Assert.Equal("", down.Stdout);
        string line = Assert.Single(down.Stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"cfsession: cannot reach the team store at 127.0.0.1:{deadPort}/{db}: ", line);
        Assert.EndsWith("; nothing lost: 3 segments (" + SegmentsOnDisk(data).Values.Sum(b => b.Length) + " bytes) stay pending for the next sync", line);
        Assert.DoesNotContain(secret, down.Stderr + down.Stdout);
        var status = await Cli(data.Root, null, "sync", "--status", "--to", $"postgresql://postgres:{secret}@127.0.0.1:{deadPort}/{db}");
        Assert.Contains("last failure: ", status.Stdout);
        Assert.DoesNotContain(secret, status.Stdout);

        var up = await Cli(data.Root, PostgresServer.Uri(db), "sync");
        Assert.Equal(0, up.ExitCode);
        Assert.Equal(LineCount(data), PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
    }

    [PostgresFact]
    public async Task Sync_before_migrate_exits_78_and_a_team_store_file_readable_by_others_is_refused()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        WriteHistory(data, seed: 5, sessions: 1);
        string db = PostgresServer.CreateDatabase();
        var early = await Cli(data.Root, PostgresServer.Uri(db), "sync");
        Assert.Equal(78, early.ExitCode);
        Assert.Equal($"cfsession: the team store at 127.0.0.1:{PostgresServer.Port}/{db} has schema version 0, this cfsession needs 3: run 'cfsession sync --migrate' (as the schema's owner)\n", early.Stderr.ReplaceLineEndings("\n"));

        string file = Path.Combine(data.Root, TeamStoreAddress.FileName);
        File.WriteAllText(file, PostgresServer.Uri(db));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var open = await Cli(data.Root, null, "sync", "--migrate");
        Assert.Equal(78, open.ExitCode);
        Assert.Equal($"cfsession: {file} is readable or writable by others: it holds the team store's password; chmod 600 it\n", open.Stderr.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, (await Cli(data.Root, null, "sync", "--migrate")).ExitCode);
        Assert.Equal(0, (await Cli(data.Root, null, "sync")).ExitCode);
        Assert.Equal(LineCount(data), PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
    }

    [PostgresFact]
    public async Task Kill_9_of_sync_in_the_middle_of_batches_then_a_rerun_leaves_no_duplicate_and_no_gap()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        new HistoryGenerator(data, seed: 6).Generate(400, Now, TimeSpan.FromDays(3), operationsPerSession: 20);
        string db = await MigratedDatabase(data.Root);
        long total = LineCount(data);

        var env = new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_SYNC_BATCH_LINES"] = "7" };
        using var sync = StartSync(data.Root, env);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (PostgresServer.Count(db, "SELECT count(*) FROM journal_lines") < total / 4 && !sync.HasExited && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(sync.HasExited, "the sync finished before it could be killed: make the history larger");
        sync.Kill(entireProcessTree: true); // SIGKILL
        await sync.WaitForExitAsync();
        long partial = PostgresServer.Count(db, "SELECT count(*) FROM journal_lines");
        Assert.InRange(partial, 1, total - 1);

        var rerun = await CfSessionProcess.RunAsync(data.Root, ["sync"], environment: env, timeout: TimeSpan.FromSeconds(120));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        AssertExactlyOnce(data, db);
    }

    [PostgresFact]
    public async Task Server_restart_in_the_middle_of_a_sync_then_a_rerun_leaves_no_duplicate_and_no_gap()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        new HistoryGenerator(data, seed: 7).Generate(400, Now, TimeSpan.FromDays(3), operationsPerSession: 20);
        string db = await MigratedDatabase(data.Root);
        long total = LineCount(data);

        var env = new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_SYNC_BATCH_LINES"] = "7" };
        var syncTask = CfSessionProcess.RunAsync(data.Root, ["sync"], environment: env, timeout: TimeSpan.FromSeconds(120));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (SafeCount(db) < total / 4 && !syncTask.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(syncTask.IsCompleted, "the sync finished before the restart: make the history larger");
        Assert.Equal(0, PostgresServer.Restart());
        var cut = await syncTask;
        // Cut by the restart: exit 75 and one line; or it reconnected to nothing (it never does: a connection does not survive a restart).
        Assert.Equal(75, cut.ExitCode);
        Assert.Single(cut.Stderr.TrimEnd('\n').Split('\n'));

        var rerun = await CfSessionProcess.RunAsync(data.Root, ["sync"], environment: env, timeout: TimeSpan.FromSeconds(120));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        AssertExactlyOnce(data, db);
    }

    [PostgresFact]
    public async Task Eight_hosts_pushing_at_once_deliver_every_operation_exactly_once()
    {
        string db = await MigratedDatabase(_temp.Combine("migrator"));
        var homes = Enumerable.Range(0, 8).Select(i => new DataDirectory(_temp.Combine("host" + i))).ToList();
        for (int i = 0; i < homes.Count; i++) new HistoryGenerator(homes[i], seed: 100 + i).Generate(60, Now, TimeSpan.FromDays(1), operationsPerSession: 10);
        // Each host's generator names itself bench-host: give each its own name, as separate machines have.
        for (int i = 0; i < homes.Count; i++)
        {
            foreach (string segment in Directory.EnumerateFiles(homes[i].SessionsDirectory, "*.jsonl", SearchOption.AllDirectories))
                File.WriteAllText(segment, File.ReadAllText(segment).Replace("\"host\":\"bench-host\"", $"\"host\":\"host-{i}\"", StringComparison.Ordinal));
        }

        var env = new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_SYNC_BATCH_LINES"] = "50" };
        var runs = await Task.WhenAll(homes.Select(h => CfSessionProcess.RunAsync(h.Root, ["sync"], environment: env, timeout: TimeSpan.FromSeconds(180))));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stderr));
        Assert.Equal(8 * 60, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines WHERE event = 'TerminalCapture'"));
        Assert.Equal(8 * 60, PostgresServer.Count(db, "SELECT count(DISTINCT line) FROM journal_lines WHERE event = 'TerminalCapture'"));
        Assert.Equal(homes.Sum(LineCount), PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => "host-" + i), PostgresServer.Query(db, "SELECT DISTINCT host FROM journal_lines ORDER BY host").Select(r => (string)r[0]!));
    }

    [PostgresFact]
    public async Task Run_with_automatic_push_returns_at_once_and_the_background_sync_pushes_it()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        string db = await MigratedDatabase(data.Root);
        var env = new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_TEAM_SYNC"] = "auto" };

        var run = await CfSessionProcess.RunAsync(data.Root, ["run", "--no-pty", "--", "echo", "pushed in the background"], environment: env);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("pushed in the background\n", run.StdoutText);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (PostgresServer.Count(db, "SELECT count(*) FROM journal_lines WHERE event = 'SessionEnd'") == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines WHERE event = 'TerminalCapture'"));
        Assert.Contains("pushed in the background", Encoding.UTF8.GetString((byte[])PostgresServer.Query(db, "SELECT line FROM journal_lines WHERE event = 'TerminalCapture'")[0][0]!));
    }

    [Fact]
    public void A_postgresql_uri_becomes_the_same_settings_as_its_connection_string_and_errors_never_repeat_it()
    {
        var address = TeamStoreAddress.Parse("postgresql://alice:p%40ss%3Aword@db.example.org:5433/team_history?sslmode=require&application_name=ci", "--to");
        Assert.Equal("db.example.org", address.Builder.Host);
        Assert.Equal(5433, address.Builder.Port);
        Assert.Equal("alice", address.Builder.Username);
        Assert.Equal("p@ss:word", address.Builder.Password);
        Assert.Equal("team_history", address.Builder.Database);
        Assert.Equal(Npgsql.SslMode.Require, address.Builder.SslMode);
        Assert.Equal("ci", address.Builder.ApplicationName);
        Assert.Equal("db.example.org:5433/team_history", address.Describe());
        var plain = TeamStoreAddress.Parse("Host=db.example.org;Port=5433;Username=alice;Password=x;Database=team_history;SSL Mode=VerifyFull", "CFSESSION_TEAM_STORE");
        Assert.Equal(Npgsql.SslMode.VerifyFull, plain.Builder.SslMode);
        Assert.Equal(address.Key, plain.Key);

        var bad = Assert.Throws<TeamStoreConfigurationException>(() => TeamStoreAddress.Parse("Host=h;Password=hunter2secret;Bogus Key=1", "CFSESSION_TEAM_STORE"));
        Assert.StartsWith("CFSESSION_TEAM_STORE is not a postgresql:// URI or an Npgsql connection string", bad.Message);
        Assert.DoesNotContain("hunter2secret", bad.Message);
    }

    private static void AssertExactlyOnce(DataDirectory data, string db)
    {
        var onDisk = SegmentsOnDisk(data);
        var onServer = SegmentsOnServer(db);
        Assert.Equal(onDisk.Keys.Order(), onServer.Keys.Order());
        foreach (var (file, bytes) in onDisk) Assert.True(bytes.AsSpan().SequenceEqual(onServer[file]), $"{file}: a duplicate or a gap on the server");
    }

    private static long SafeCount(string db)
    {
        try { return PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"); }
        catch (Npgsql.NpgsqlException) { return 0; }
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static Process StartSync(string home, IReadOnlyDictionary<string, string?> env)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = home };
        psi.ArgumentList.Add(CfSessionProcess.DllPath);
        psi.ArgumentList.Add("sync");
        psi.Environment["CFSESSION_HOME"] = home;
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return process;
    }
}
