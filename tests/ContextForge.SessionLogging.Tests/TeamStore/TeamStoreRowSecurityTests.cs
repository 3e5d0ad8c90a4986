using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.TeamStore;

/// <summary>Row-level security by team on a real server: two teams' login roles, each seeing only its rows; an admin seeing all.</summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TeamStoreRowSecurityTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task<InProcessCli.Result> SyncAs(string home, string db, string login, string team) =>
        InProcessCli.RunAsync(home, new Dictionary<string, string?>
        {
            [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db, login),
            ["CFSESSION_TEAM"] = team,
        }, "sync");

    [PostgresFact]
    public async Task A_team_role_sees_and_pushes_only_its_team_rows_and_the_admin_role_sees_every_team()
    {
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string red = "red_" + suffix, blue = "blue_" + suffix;
        string alice = "alice_" + suffix, bob = "bob_" + suffix, carol = "carol_" + suffix;
        var redHome = new DataDirectory(_temp.Combine("red"));
        var blueHome = new DataDirectory(_temp.Combine("blue"));
        var redSessions = TeamStoreSyncTests.WriteHistory(redHome, seed: 11, host: "red-laptop", sessions: 2);
        var blueSessions = TeamStoreSyncTests.WriteHistory(blueHome, seed: 12, host: "blue-ci", sessions: 1);
        string db = await TeamStoreSyncTests.MigratedDatabase(_temp.Combine("owner"));
        // The roles as docs/team-store.md sets them up: a group role per team, a login per person, one admin.
        PostgresServer.Execute(db, $"""
            CREATE ROLE cfsession_team_{red} NOLOGIN IN ROLE cfsession_member;
            CREATE ROLE cfsession_team_{blue} NOLOGIN IN ROLE cfsession_member;
            CREATE ROLE {alice} LOGIN IN ROLE cfsession_team_{red};
            CREATE ROLE {bob} LOGIN IN ROLE cfsession_team_{blue};
            CREATE ROLE {carol} LOGIN IN ROLE cfsession_admin;
            GRANT CONNECT, TEMPORARY ON DATABASE {db} TO cfsession_member;
            """);

        var redSync = await SyncAs(redHome.Root, db, alice, red);
        var blueSync = await SyncAs(blueHome.Root, db, bob, blue);
        Assert.True(redSync.ExitCode == 0, redSync.Stderr);
        Assert.True(blueSync.ExitCode == 0, blueSync.Stderr);

        long redLines = TeamStoreSyncTests.SegmentsOnDisk(redHome).Values.Sum(b => b.Count(c => c == (byte)'\n'));
        long blueLines = TeamStoreSyncTests.SegmentsOnDisk(blueHome).Values.Sum(b => b.Count(c => c == (byte)'\n'));
        const string Teams = "SELECT team, host, count(*) FROM journal_lines GROUP BY team, host ORDER BY team";
        Assert.Equal([[red, "red-laptop", redLines]], PostgresServer.Query(db, Teams, alice));
        Assert.Equal([[blue, "blue-ci", blueLines]], PostgresServer.Query(db, Teams, bob));
        Assert.Equal([[blue, "blue-ci", blueLines], [red, "red-laptop", redLines]], PostgresServer.Query(db, Teams, carol));
        Assert.Equal([[(long)2]], PostgresServer.Query(db, "SELECT count(*) FROM journal_blobs", alice));
        Assert.Equal([[(long)1]], PostgresServer.Query(db, "SELECT count(*) FROM journal_blobs", bob));
        // --team queries run as the login: each answer holds only the rows its teams may see.
        async Task<string[]> TeamSessions(string login, params string[] args) =>
            (await InProcessCli.RunAsync(redHome.Root, new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db, login) },
                ["sessions", "--team", "--limit", "0", "--format", "{session}", .. args])).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        string[] Ids(params IEnumerable<ContextForge.SessionLogging.Benchmarks.HistoryGenerator.WrittenSession>[] lists) => lists.SelectMany(l => l).Select(s => s.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Ids(redSessions), await TeamSessions(alice));
        Assert.Equal(Ids(blueSessions), await TeamSessions(bob));
        Assert.Equal(Ids(redSessions, blueSessions), await TeamSessions(carol));
        Assert.Empty(await TeamSessions(alice, "--host", "blue-ci"));
        var crossTeam = await InProcessCli.RunAsync(redHome.Root, new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = PostgresServer.Uri(db, alice) },
            "show", blueSessions[0].Id, "--team", "--json");
        Assert.Equal(66, crossTeam.ExitCode);
        Assert.Equal([[(long)2]], PostgresServer.Query(db, "SELECT count(*) FROM journal_sessions", alice));

        // Not around the policy either: a partition is not granted to anyone. One that holds this history's rows (the
        // sessions are 28-45 days old: the current month has none before its 29th day, and no partition).
        const string Partitions = "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'journal_lines'::regclass ORDER BY 1";
        var partitions = PostgresServer.Query(db, Partitions).Select(row => (string)row[0]!).ToList();
        Assert.NotEmpty(partitions);
        foreach (string partition in partitions)
        {
            var direct = Assert.Throws<Npgsql.PostgresException>(() => PostgresServer.Query(db, $"SELECT count(*) FROM {partition}", alice));
            Assert.Equal("42501", direct.SqlState);
        }

        // Pushing as another team is refused by the policy: exit 77, one line, nothing stored.
        var intruder = await SyncAs(_temp.Combine("intruder"), db, alice, blue);
        Assert.Equal(0, intruder.ExitCode); // nothing to push: an empty data directory sends no row
        TeamStoreSyncTests.WriteHistory(new DataDirectory(_temp.Combine("intruder")), seed: 13, sessions: 1);
        intruder = await SyncAs(_temp.Combine("intruder"), db, alice, blue);
        Assert.Equal(77, intruder.ExitCode);
        Assert.StartsWith($"cfsession: the team store at 127.0.0.1:{PostgresServer.Port}/{db} refused: new row violates row-level security policy", intruder.Stderr);
        Assert.Single(intruder.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal(redLines + blueLines, PostgresServer.Count(db, "SELECT count(*) FROM journal_lines"));
    }
}
