using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Query;
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

    [PostgresFact]
    public async Task A_range_of_a_recompacted_shell_stream_is_pushed_by_sync_with_the_bytes_the_command_printed()
    {
        // The stream is recompacted (reindex) before sync: the range is read from streams/<id>.zst, not the raw file.
        var data = new DataDirectory(_temp.Combine("home"));
        var shell = await CfSessionProcess.RunAsync(data.Root, ["shell", "--name", "recompacted", "--", "bash"],
            stdin: System.Text.Encoding.UTF8.GetBytes("seq -f 'line %g of a recompacted stream' 1 20000\nexit 0\n"),
            environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = null }, timeout: TimeSpan.FromSeconds(60));
        Assert.True(shell.ExitCode == 0, shell.Stderr);
        string session = (await Cli(data.Root, "unused", "sessions", "--format", "{session}")).Stdout.Trim();
        var reindex = await Cli(data.Root, "unused", "reindex");
        Assert.True(reindex.ExitCode == 0, reindex.Stderr);
        string stream = Assert.Single(Directory.GetFiles(data.StreamDirectory(session)), f => !Path.GetFileName(f).StartsWith('.'));
        Assert.EndsWith(".zst", stream, StringComparison.Ordinal);
        var history = await Cli(data.Root, "unused", "history", "--limit", "0", "--format", "{operation}\t{command}");
        string seq = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Single(c => c[1].StartsWith("seq", StringComparison.Ordinal))[0];
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);

        var sync = await Cli(data.Root, db, "sync", "--json");
        Assert.True(sync.ExitCode == 0, sync.Stderr);

        string[] args = ["show", session, "--output", seq, "--raw"];
        byte[] local = await Raw(data.Root, db, args);
        byte[] team = await Raw(data.Root, db, [.. args, "--team"]);
        Assert.Equal(string.Concat(Enumerable.Range(1, 20000).Select(i => $"line {i} of a recompacted stream\r\n")), System.Text.Encoding.UTF8.GetString(local));
        Assert.Equal(local, team);
        var validate = await Cli(data.Root, db, "validate", session, "--team", "--json");
        Assert.True(validate.ExitCode == 0, validate.Stdout + validate.Stderr);
    }

    [PostgresFact]
    public async Task Sessions_read_in_keyset_pages_are_every_session_once_in_the_order_of_the_whole_list_ties_included()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var generator = new HistoryGenerator(data, seed: 71);
        var start = Now.AddDays(-3);
        // 11 sessions, seven of them starting at the same instant: pages of 3 end inside the tie.
        for (int i = 0; i < 11; i++)
            generator.Write(new SessionSpec($"paged {i}", "command", i < 7 ? start : start.AddMinutes(i), [new OperationSpec("true", 0, "", "/home/dev")], []));
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);

        using var store = new TeamHistoryStore(new TeamStoreConnection(TeamStoreAddress.Parse(PostgresServer.Uri(db), "--to")), data, null, null) { SessionPageRows = 3 };
        var whole = store.Sessions(0).Select(s => s.SessionId).ToList();
        var paged = store.EachSession(null).Select(s => s.SessionId).ToList();
        Assert.Equal(11, whole.Count);
        Assert.Equal(whole, paged);
        var filtered = store.EachSession(new SessionFilter { Name = "paged 1" }).Select(s => s.SessionId).ToList();
        Assert.Equal(store.Sessions(0, new SessionFilter { Name = "paged 1" }).Select(s => s.SessionId), filtered);
        Assert.Equal(2, filtered.Count); // "paged 1" and "paged 10"

        // The streamed JSON is the list's JSON, byte for byte, locally and from the team store.
        using var local = SessionLogging.Query.SessionQueries.Open(data);
        var written = new StringWriter();
        local.WriteSessionsJson(written, new SessionFilter { Limit = 0 });
        Assert.Equal(local.Sessions(0).ToJson(), written.ToString());
        var team = await Cli(data.Root, db, "sessions", "--limit", "0", "--json", "--team");
        Assert.Equal(local.Sessions(0).ToJson() + "\n", team.Stdout.ReplaceLineEndings("\n"));
    }

    /// <summary>Outputs whose words the two tokenizers (SQLite FTS5 unicode61, PostgreSQL's parser) used to cut differently.</summary>
    private static readonly string[] TrickyOutputs =
    [
        "first-range-text done\n",
        "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c9COLE\n",
        "cafe plain ecole\n",
        "e\u0301te combining accent\n",
        "MixedCase LOUD quiet\n",
        "build 1.5.2 v2 x86_64 0x1F 3rd 42\n",
        "snake_case_name __dunder__ a_b\n",
        "System.Text.Json config.yaml ../a/b.c\n",
        "it's \"quoted\" 'single' `tick`\n",
        "building builder builds\n",
        "Stra\u00dfe \u0130stanbul \uff21\uff22\uff23 \u65e5\u672c\u8a9e\u30c6\u30b9\u30c8 \u0394\u03b5\u03bb\u03c4\u03b1\n",
        "user@example.test https://example.test/x?y=1&z=2\n",
        "tab\tseparated\u00a0nbsp\u2003emspace\n",
        "price $5 100% a+b c#d e/f\n",
        "word-range text range-word\n",
    ];

    /// <summary>Queries: hyphenated words, accents (é/e), case, digits, underscores, dotted names, quotes, prefix-looking terms.</summary>
    private static readonly string[] TrickyQueries =
    [
        "range-text", "first-range-text", "range text", "text-range", "first", "cafe", "caf\u00e9", "CAF\u00c9", "ecole", "\u00e9cole", "naive", "resume",
        "ete", "\u00e9t\u00e9", "e", "mixedcase", "MIXEDCASE", "loud", "1.5.2", "1.5", "5.2", "2.5", "x86_64", "x86", "64", "0x1f", "3rd", "42", "4",
        "snake_case_name", "snake", "case_name", "dunder", "__dunder__", "a_b", "System.Text.Json", "text.json", "json", "config.yaml", "b.c",
        "it's", "\"quoted\"", "'single'", "`tick`", "s", "buil*", "build*", "building", "builder", "strasse", "stra\u00dfe", "istanbul", "abc",
        "\u65e5\u672c\u8a9e", "\u65e5\u672c\u8a9e\u30c6\u30b9\u30c8", "\u03b4\u03b5\u03bb\u03c4\u03b1", "user@example.test", "example.test/x",
        "y=1&z=2", "tab", "separated", "nbsp", "emspace", "$5", "100%", "a+b", "c#d", "e/f", "---", "-", "word-range", "range-word", "range", "word",
        "\u00e9", "''", "\"\"", "%", "_", "\\", "line of", "of-the", "big log 21-0",
    ];

    [PostgresFact]
    public async Task Search_finds_the_same_operations_in_the_team_store_as_the_local_index_for_hyphens_accents_case_digits_underscores_dots_and_quotes()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var generator = new HistoryGenerator(data, seed: 61);
        generator.Write(new SessionSpec("tricky", "command", Now.AddDays(-1),
            TrickyOutputs.Select((output, i) => new OperationSpec($"echo {i}", 0, output, "/home/dev")).ToList(), []));
        TeamStoreSyncTests.WriteHistory(data, seed: 21, sessions: 1);
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);

        int found = 0;
        foreach (string query in TrickyQueries)
        {
            var (local, team) = await SearchBoth(data.Root, db, query);
            Assert.True(local == team, $"search '{query}': the team store answered differently\nlocal: {local}\nteam:  {team}");
            if (!local.Contains("\"count\": 0", StringComparison.Ordinal)) found++;
        }
        // Most of the queries find something (the comparison is not between two empty answers).
        Assert.True(found >= TrickyQueries.Length * 2 / 3, $"only {found} of {TrickyQueries.Length} queries found anything");
        // The cases the issue named: a hyphenated word is a phrase of its parts (in "first-range-text" and in
        // "word-range text"), and accents fold ("Café" and "cafe").
        Assert.Equal(["echo 0", "echo 14"], Commands((await SearchBoth(data.Root, db, "range-text")).Team));
        Assert.Equal(["echo 1", "echo 2"], Commands((await SearchBoth(data.Root, db, "cafe")).Team));
        Assert.Equal(["echo 3"], Commands((await SearchBoth(data.Root, db, "\u00e9t\u00e9")).Team));
    }

    [PostgresFact]
    public async Task Search_of_hostile_random_text_answers_the_same_from_the_team_store_as_locally()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        var generator = new HistoryGenerator(data, seed: 62);
        generator.Write(new SessionSpec("tricky", "command", Now.AddDays(-1),
            TrickyOutputs.Select((output, i) => new OperationSpec($"echo {i}", 0, output, "/home/dev")).ToList(), []));
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        long lines = PostgresServer.Count(db, "SELECT count(*) FROM journal_lines");

        // Fragments of the outputs glued with punctuation, SQL and tsquery syntax, controls and random code points.
        var random = new Random(4242);
        string[] pieces = [.. TrickyOutputs.SelectMany(o => o.Split(' ', '\n')).Where(p => p.Length > 0),
            "'", "\"", "\\", "&", "|", "!", "<->", ":*", "(", ")", "*", "%", "_", "-", ".", "'; DROP TABLE journal_lines; --", "$1", "\t", "\u0001"];
        for (int i = 0; i < 60; i++)
        {
            var text = new System.Text.StringBuilder();
            for (int n = random.Next(1, 5); n > 0; n--)
            {
                text.Append(random.Next(4) == 0 ? (char)random.Next(0x21, 0x3000) : pieces[random.Next(pieces.Length)]);
                if (random.Next(3) > 0) text.Append(random.Next(2) == 0 ? ' ' : pieces[random.Next(pieces.Length)]);
            }
            string query = text.ToString();
            if (char.IsSurrogate(query[^1]) || string.IsNullOrWhiteSpace(query.Replace('\u0001', ' '))) continue;
            var (local, team) = await SearchBoth(data.Root, db, query);
            Assert.True(local == team, $"search '{query}': the team store answered differently\nlocal: {local}\nteam:  {team}");
        }
        Assert.Equal(lines, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
    }

    [PostgresFact]
    public async Task Sync_migrate_cuts_the_words_of_lines_pushed_before_schema_3_and_search_then_answers_as_locally()
    {
        var data = new DataDirectory(_temp.Combine("home"));
        new HistoryGenerator(data, seed: 63).Write(new SessionSpec("tricky", "command", Now.AddDays(-1),
            TrickyOutputs.Select((output, i) => new OperationSpec($"echo {i}", 0, output, "/home/dev")).ToList(), []));
        string db = await TeamStoreSyncTests.MigratedDatabase(data.Root);
        Assert.Equal(0, (await Cli(data.Root, db, "sync")).ExitCode);
        // The server as schema 2 left it: each capture's searchable text, the 'simple' parser's tsvector, no words.
        string texts = string.Join(", ", TrickyOutputs.Select((output, i) => $"('echo {i}', $text${output}$text$)"));
        PostgresServer.Execute(db, $"""
            UPDATE journal_lines l SET search_text = v.text FROM (VALUES {texts}) v(name, text) WHERE l.operation_name = v.name AND l.event = 'TerminalCapture';
            ALTER TABLE journal_lines DROP COLUMN search_tokens, DROP COLUMN search_words;
            ALTER TABLE journal_lines ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED;
            DELETE FROM cfsession_migrations WHERE version = 3;
            """);
        var old = await Cli(data.Root, db, "search", "cafe", "--team", "--json");
        Assert.Equal(78, old.ExitCode);

        var migrate = await TeamStoreSyncTests.Cli(data.Root, PostgresServer.Uri(db), "sync", "--migrate");
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.Equal($"applied migrations 3 to the team store at 127.0.0.1:{PostgresServer.Port}/{db} (schema version 3)\n", migrate.Stdout.ReplaceLineEndings("\n"));
        Assert.Equal(TrickyOutputs.Length, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines WHERE search_tokens IS NOT NULL"));
        Assert.Equal(0, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines WHERE search_text IS NOT NULL AND search_words IS NULL"));
        foreach (string query in new[] { "range-text", "cafe", "x86_64", "istanbul", "ete", "mixedcase" })
        {
            var (local, team) = await SearchBoth(data.Root, db, query);
            Assert.True(local == team, $"search '{query}' after the backfill: the team store answered differently\nlocal: {local}\nteam:  {team}");
            Assert.DoesNotContain("\"count\": 0", team);
        }
    }

    /// <summary>The command lines of a search document's results, in order.</summary>
    private static string[] Commands(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("operation_name").GetString()!).Order(StringComparer.Ordinal)];
    }

    private static async Task<(string Local, string Team)> SearchBoth(string home, string db, string query)
    {
        var local = await Cli(home, db, "search", "--limit", "0", "--json", "--", query);
        var team = await Cli(home, db, "search", "--limit", "0", "--json", "--team", "--", query);
        Assert.True(local.ExitCode == team.ExitCode, $"search '{query}': exit {local.ExitCode} locally ({local.Stderr}), {team.ExitCode} from the team store ({team.Stderr})");
        return (local.Stdout + local.Stderr, team.Stdout + team.Stderr);
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
