using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;
using ContextForge.SessionLogging.Tests.Support;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.TeamStore;

/// <summary>--team answers from PostgreSQL with the same documents as local queries on the same data; --host and --user filter; hostile filter values stay data.</summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TeamStoreQueryTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task<InProcessCli.Result> Cli(string home, string db, params string[] args) =>
        InProcessCli.RunAsync(home, new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_ID"] = null }, args);

    [PostgresFact]
    public async Task Every_read_command_answers_the_same_json_from_the_team_store_as_from_the_local_journals()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var sessions = TeamStoreSyncTests.WriteHistory(data, seed: 21, sessions: 3);
        new HistoryGenerator(data, seed: 22).Generate(120, Now, TimeSpan.FromDays(2), operationsPerSession: 15);
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        string id = sessions[1].Id;

        string[][] commands =
        [
            ["sessions", "--limit", "0", "--json"],
            ["sessions", "--limit", "3", "--json"],
            ["history", "--limit", "0", "--json"],
            ["history", "--limit", "7", "--json"],
            ["history", "-k", "session,terminal,achievement", "--failed", "--json"],
            ["history", "-k", "session", "--limit", "0", "--json"],
            ["history", "-c", "dotnet", "--cwd", "/home/dev/api", "--json"],
            ["history", "-c", "^cat", "--json"],
            ["history", "--exit-code", "1", "--limit", "0", "--json"],
            ["history", "--name", "session 1", "--json"],
            ["history", "--type", "command", "--limit", "0", "--json"],
            ["history", "-s", id[..8], "--limit", "0", "--json"],
            ["history", "--since", "30d", "--limit", "0", "--json"],
            ["history", "--achievement-type", "build_succeeded", "--json"],
            ["history", "--host", HistoryGenerator.Host, "--limit", "5", "--json"],
            ["history", "--group-by", "correlation", "--json"],
            ["history", "--group-by", "correlation", "--failed", "--limit", "0", "--json"],
            ["search", "big", "log", "--json"],
            ["search", "expected", "--failed", "--json"],
            ["search", "line", "-s", id[..8], "--context", "0", "--max-matches", "1", "--json"],
            ["search", "zyzzogeton", "--json"],
            ["show", id, "--json"],
            ["show", id[..8], "--json"],
            ["show", "--json"],
            ["inspect", id, "--json"],
            ["inspect", "--json"],
            ["validate", id, "--json"],
            ["validate", "--all", "--json"],
        ];
        var local = new List<InProcessCli.Result>();
        foreach (var args in commands) local.Add(await Cli(data.Root, db, args));

        // The local journals and index go: every --team answer below comes from PostgreSQL alone.
        Directory.Delete(data.SessionsDirectory, recursive: true);
        foreach (string file in Directory.EnumerateFiles(data.Root, "index.sqlite*")) File.Delete(file);
        for (int i = 0; i < commands.Length; i++)
        {
            var args = commands[i];
            var team = await Cli(data.Root, db, [.. args, "--team"]);
            Assert.True(local[i].ExitCode == team.ExitCode, $"{string.Join(' ', args)}: exit {local[i].ExitCode} locally, {team.ExitCode} from the team store: {team.Stderr}");
            Assert.True(local[i].Stdout.Length > 2, $"{string.Join(' ', args)} printed nothing: {local[i].Stderr}");
            Assert.True(Normalize(local[i].Stdout) == Normalize(team.Stdout), $"{string.Join(' ', args)}: the team store answered differently");
        }
        Assert.False(Directory.Exists(data.SessionsDirectory), "a --team query wrote local journals");
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(data.Root, TeamHistoryStore.CacheDirectoryName), "journals-*"));
    }

    [PostgresFact]
    public async Task Lines_without_query_columns_are_left_out_until_sync_full_fills_them_without_touching_their_bytes()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        TeamStoreSyncTests.WriteHistory(data, seed: 25, sessions: 2);
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        var local = await Cli(data.Root, db, "history", "--limit", "0", "--json");
        var before = TeamStoreSyncTests.SegmentsOnServer(db);
        // As a line pushed by schema 1 stands: no query columns, no session row.
        PostgresServer.Execute(db, "UPDATE journal_lines SET ts_ticks = NULL, line_number = NULL, level = NULL, keywords = NULL, operation_id = NULL, fields = NULL, writer_provenance = NULL; DELETE FROM journal_sessions");

        var empty = await Cli(data.Root, db, "history", "--team", "--limit", "0", "--json");
        Assert.Contains("\"count\": 0", empty.Stdout);
        var full = await TeamStoreSyncTests.Cli(data.Root, PostgresServer.Uri(db), "sync", "--full");
        Assert.True(full.ExitCode == 0, full.Stderr);

        Assert.Equal(local.Stdout, (await Cli(data.Root, db, "history", "--team", "--limit", "0", "--json")).Stdout);
        Assert.Equal(before, TeamStoreSyncTests.SegmentsOnServer(db));
        Assert.Equal(2, PostgresServer.Count(db, "SELECT count(*) FROM journal_sessions"));
    }

    [PostgresFact]
    public async Task Show_output_of_a_blob_replays_the_same_bytes_from_the_team_store()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var sessions = TeamStoreSyncTests.WriteHistory(data, seed: 23, sessions: 1);
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        string[] args = ["show", sessions[0].Id, "--output", sessions[0].OperationIds[2][..8], "--raw"];

        byte[] local = await Raw(data.Root, db, args);
        byte[] team = await Raw(data.Root, db, [.. args, "--team"]);

        Assert.Equal(string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i} of the big log 23-0\n")), System.Text.Encoding.UTF8.GetString(local));
        Assert.Equal(local, team);
    }

    [PostgresFact]
    public async Task A_shell_commands_output_a_range_of_the_shell_stream_is_pushed_by_sync_and_shown_and_validated_from_the_team_store()
    {
        // A real `cfsession shell` (bash on a pty, commands typed on its stdin): each command's output is a byte range of
        // the shell's stream file, which sync must push as well as blobs (before, --team show found nothing).
        var data = new DataDirectory(_temp.Combine("home"));
        var shell = await CfSessionProcess.RunAsync(data.Root, ["shell", "--name", "ranges", "--", "bash"],
            stdin: System.Text.Encoding.UTF8.GetBytes("echo first-range-text\nprintf 'second %s\\n' range-text\nexit 0\n"),
            environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = null }, timeout: TimeSpan.FromSeconds(60));
        Assert.True(shell.ExitCode == 0, shell.Stderr);
        var history = await Cli(data.Root, "unused", "history", "--limit", "0", "--format", "{operation}\t{command}");
        var commands = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.True(commands.Count >= 3, history.Stdout + shell.Stderr);
        string first = commands.Single(c => c[1] == "echo first-range-text")[0];
        string second = commands.Single(c => c[1].StartsWith("printf", StringComparison.Ordinal))[0];
        string session = (await Cli(data.Root, "unused", "sessions", "--format", "{session}")).Stdout.Trim();
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);

        var sync = await Cli(data.Root, db, "sync", "--json");
        Assert.True(sync.ExitCode == 0, sync.Stderr);
        Assert.True(PostgresServer.Count(db, "SELECT count(*) FROM journal_blobs WHERE name LIKE '%@%'") >= 2);

        foreach (var (operation, expected) in new[] { (first, "first-range-text\r\n"), (second, "second range-text\r\n") })
        {
            string[] args = ["show", session, "--output", operation, "--raw"];
            byte[] local = await Raw(data.Root, db, args);
            byte[] team = await Raw(data.Root, db, [.. args, "--team"]);
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(local));
            Assert.Equal(local, team);
        }
        var validate = await Cli(data.Root, db, "validate", session, "--team", "--json");
        Assert.True(validate.ExitCode == 0, validate.Stdout + validate.Stderr);
        var search = await Cli(data.Root, db, "search", "text", "--team", "--json");
        using var found = System.Text.Json.JsonDocument.Parse(search.Stdout);
        Assert.Equal(new[] { first, second }.Order(), found.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("operation_id").GetString()!).Order());
    }

    private static async Task<byte[]> Raw(string home, string db, string[] args)
    {
        var raw = new MemoryStream();
        var env = new Dictionary<string, string?> { ["CFSESSION_HOME"] = home, [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db), ["CFSESSION_ID"] = null };
        var context = new SessionLogging.Cli.CliContext(new Spectre.Console.Testing.TestConsole(), new Spectre.Console.Testing.TestConsole(), env) { OpenRawOutput = () => new NonClosingStream(raw) };
        Assert.Equal(0, await SessionLogging.Cli.CliApplication.RunAsync(args, context));
        return raw.ToArray();
    }

    /// <summary>The one difference allowed: the moment a document was generated (inspect's generated_at) and the data directory's own path.</summary>
    private static string Normalize(string output) =>
        System.Text.RegularExpressions.Regex.Replace(output, "\"generated_at\": \"[^\"]*\"", "\"generated_at\": \"-\"");

    [PostgresFact]
    public async Task Host_and_user_filters_restrict_team_answers_and_new_pushes_show_up_on_the_next_query()
    {
        string db = await TeamStoreSyncTests.MigratedDatabase(_temp.Combine("owner"));
        var laptop = new DataDirectory(_temp.Combine("laptop"));
        var ci = new DataDirectory(_temp.Combine("ci"));
        var onLaptop = TeamStoreSyncTests.WriteHistory(laptop, seed: 31, host: "laptop-7", sessions: 2);
        var onCi = TeamStoreSyncTests.WriteHistory(ci, seed: 32, host: "ci-runner-3", sessions: 1);
        Assert.Equal(0, (await Cli(laptop.Root, db, "sync")).ExitCode);
        Assert.Equal(0, (await Cli(ci.Root, db, "sync")).ExitCode);

        var all = await Cli(laptop.Root, db, "sessions", "--team", "--format", "{session}");
        Assert.Equal(onLaptop.Concat(onCi).Select(s => s.Id).Order(), all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        var ciOnly = await Cli(laptop.Root, db, "sessions", "--team", "--host", "ci-runner-3", "--format", "{session}");
        Assert.Equal(onCi[0].Id + "\n", ciOnly.Stdout.ReplaceLineEndings("\n"));
        var byUser = await Cli(laptop.Root, db, "history", "--team", "--user", "dev", "--host", "laptop-7", "-c", "dotnet test", "--format", "{session}");
        Assert.Equal(onLaptop.Select(s => s.Id).Order(), byUser.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal("", (await Cli(laptop.Root, db, "sessions", "--team", "--user", "nobody")).Stdout);

        // A new run on the CI host, pushed: the next team query sees it (the answer is SQL on the server: nothing to refresh).
        new HistoryGenerator(ci, seed: 33).WriteRun(onCi[0].Id, ActivityOf(onCi[0].Id), "ci-runner-3", new OperationSpec("make deploy", 0, "deployed\n", "/srv"), Now, 7);
        Assert.Equal(0, (await Cli(ci.Root, db, "sync")).ExitCode);
        var deploy = await Cli(laptop.Root, db, "history", "--team", "-c", "make deploy", "--format", "{session}");
        Assert.Equal(onCi[0].Id + "\n", deploy.Stdout.ReplaceLineEndings("\n"));
    }

    [PostgresFact]
    public async Task Hostile_filter_values_are_parameters_never_sql()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var sessions = TeamStoreSyncTests.WriteHistory(data, seed: 41, sessions: 1);
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        long lines = PostgresServer.Count(db, "SELECT count(*) FROM journal_lines");
        var random = new Random(1234);
        string[] seeds =
        [
            "'; DROP TABLE journal_lines; --", "x' OR '1'='1", "\\", "%", "_", "$1", "\"", "); SELECT pg_sleep(10); --",
            "bench-host' --", "\u00e9\u4e2d\ud83d\ude00", "a\tb", "*", "'||(SELECT string_agg(team,',') FROM journal_lines)||'",
        ];
        var values = seeds.Concat(Enumerable.Range(0, 20).Select(_ => new string(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(0x20, 0x7f)).ToArray())));
        foreach (string value in values)
        {
            foreach (string option in new[] { "--host", "--user" })
            {
                var r = await Cli(data.Root, db, "sessions", "--team", option, value, "--json");
                Assert.True(r.ExitCode == 0, $"{option} {value}: exit {r.ExitCode}: {r.Stderr}");
                Assert.Equal("[]", r.Stdout.Trim());
            }
        }
        Assert.Equal(lines, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));

        // Every filter of every command: the team store's answer is the local one (the value matched as text, never run).
        foreach (string value in values.Take(seeds.Length + 8))
        {
            string[][] commands =
            [
                ["history", "-c", value, "--json"],
                ["history", "--name", value, "--json"],
                ["history", "--type", value, "--json"],
                ["history", "-s", value, "--json"],
                ["history", "--achievement-type", value, "--json"],
                ["history", "--cwd", "/" + value, "--json"],
                ["search", value, "--json"],
                ["show", value, "--json"],
                ["show", sessions[0].Id, "--output", value, "--json"],
            ];
            foreach (var args in commands)
            {
                var local = await Cli(data.Root, db, args);
                var team = await Cli(data.Root, db, [.. args, "--team"]);
                string shown = string.Join(' ', args);
                Assert.True(local.ExitCode == team.ExitCode, $"{shown}: exit {local.ExitCode} locally, {team.ExitCode} from the team store: {team.Stderr}");
                Assert.True(local.Stdout == team.Stdout, $"{shown}: the team store answered differently");
                Assert.DoesNotContain("internal error", team.Stderr, StringComparison.OrdinalIgnoreCase);
            }
        }
        Assert.Equal(lines, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
        Assert.Equal(1, PostgresServer.Count(db, "SELECT count(*) FROM journal_sessions"));
        var nul = await Cli(data.Root, db, "sessions", "--team", "--host", "a\0b");
        Assert.Equal(64, nul.ExitCode);
        Assert.Equal("cfsession: --host holds a NUL character, which no host or user name has\n", nul.Stderr.ReplaceLineEndings("\n"));
    }
}
