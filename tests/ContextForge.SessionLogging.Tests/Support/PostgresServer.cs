using System.Diagnostics;
using Npgsql;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL 15 cluster for the test run (scripts/postgres-test-server.sh: initdb in a temp directory,
/// as the postgres user under root, on a free loopback port), stopped and removed when the test process exits. Each
/// test takes a database of its own (<see cref="CreateDatabase"/>).
/// </summary>
internal static class PostgresServer
{
    private static readonly Lazy<(int Port, string Directory)?> s_server = new(Start);
    private static string? s_failure;

    /// <summary>Why the server is not available; null when it runs.</summary>
    public static string? Unavailable => s_server.Value is null ? s_failure ?? "the PostgreSQL test server did not start" : null;

    public static int Port => s_server.Value?.Port ?? throw new InvalidOperationException(Unavailable);

    public static string Directory => s_server.Value?.Directory ?? throw new InvalidOperationException(Unavailable);

    /// <summary>A superuser connection string to <paramref name="database"/>.</summary>
    public static string ConnectionString(string database = "postgres", string user = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = user, Database = database, Pooling = false, Timeout = 10 }.ConnectionString;

    /// <summary>The same as a postgresql:// URI.</summary>
    public static string Uri(string database, string user = "postgres") => $"postgresql://{user}@127.0.0.1:{Port}/{database}";

    /// <summary>Creates a fresh database and returns its name.</summary>
    public static string CreateDatabase()
    {
        string name = "t_" + Guid.NewGuid().ToString("N")[..16];
        Execute("postgres", $"CREATE DATABASE {name}");
        return name;
    }

    public static void Execute(string database, string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString(database));
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    public static List<object?[]> Query(string database, string sql, string user = "postgres")
    {
        using var connection = new NpgsqlConnection(ConnectionString(database, user));
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static long Count(string database, string sql) => Convert.ToInt64(Query(database, sql)[0][0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Restarts the server (immediate stop, same port and data): the test of a sync cut by a restart.</summary>
    public static int Restart() => Script("restart", Directory).ExitCode;

    private static (int Port, string Directory)? Start()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cfsession-pg-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, output) = Script("start", dir);
        if (code != 0 || !int.TryParse(output.Trim(), out int port))
        {
            s_failure = $"scripts/postgres-test-server.sh start failed (exit {code}): {output.Trim()}";
            return null;
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Script("stop", dir);
        return (port, dir);
    }

    /// <summary>
    /// Starts a second throwaway cluster in <paramref name="dir"/> with the script's environment <paramref name="environment"/>
    /// (POSTGRES_TEST_SSL_CERT and _KEY: TLS only); returns its port. <see cref="StopCluster"/> removes it.
    /// </summary>
    public static int StartCluster(string dir, IReadOnlyDictionary<string, string> environment)
    {
        var (code, output) = Script(environment, "start", dir);
        if (code != 0 || !int.TryParse(output.Trim(), out int port)) throw new InvalidOperationException($"postgres-test-server.sh start failed (exit {code}): {output.Trim()}");
        return port;
    }

    public static void StopCluster(string dir) => Script("stop", dir);

    private static (int ExitCode, string Output) Script(params string[] args) => Script(new Dictionary<string, string>(), args);

    private static (int ExitCode, string Output) Script(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        string script = Path.Combine(RepositoryRoot(), "scripts", "postgres-test-server.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        psi.ArgumentList.Add(script);
        foreach (string a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, "timed out");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (127, ex.Message);
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ContextForge.SessionLogging.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// A fact that needs the PostgreSQL test server. Where it cannot start, the test is Skipped with the reason, except in
/// CI (<c>CI=true</c>), where it runs and fails: CI installs postgresql-15 (scripts/install-deps.sh), so a server that
/// does not start there is a failure, never a silent skip.
/// </summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) && PostgresServer.Unavailable is { } reason)
            Skip = reason;
    }
}

/// <summary>The team-store tests share one server (one restarts it): they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection
{
    public const string Name = "postgres";
}
