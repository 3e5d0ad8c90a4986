using System.Diagnostics;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.TeamStore;

/// <summary>
/// sslmode against a real server that speaks TLS only (scripts/postgres-test-server.sh with a throwaway CA and server
/// certificate made by openssl here): require connects, verify-full checks the certificate, a wrong CA fails in one
/// line with exit 78, and the password never appears in any output.
/// </summary>
[Collection(PostgresCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TeamStoreTlsTests : IDisposable
{
    private const string Password = "pw-Tls-7f3a9c1e-not-a-real-secret";
    private readonly TempDirectory _temp = new();
    private string? _cluster;

    public void Dispose()
    {
        if (_cluster is not null) PostgresServer.StopCluster(_cluster);
        _temp.Dispose();
    }

    private static void OpenSsl(string directory, params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "openssl timed out");
        Assert.True(p.ExitCode == 0, $"openssl {string.Join(' ', args)}: {error}");
    }

    /// <summary>A CA, a server certificate it signs for 127.0.0.1, and a second CA that signs nothing here; the TLS-only cluster's port.</summary>
    private int StartTlsServer()
    {
        string certs = _temp.Combine("certs");
        Directory.CreateDirectory(certs);
        OpenSsl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=cfsession test CA", "-keyout", "ca.key", "-out", "ca.crt");
        OpenSsl(certs, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=someone else's CA", "-keyout", "wrong-ca.key", "-out", "wrong-ca.crt");
        OpenSsl(certs, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
        File.WriteAllText(Path.Combine(certs, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
        OpenSsl(certs, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
        _cluster = Path.Combine(Path.GetTempPath(), "cfsession-pg-tls-" + Guid.NewGuid().ToString("N")[..8]);
        return PostgresServer.StartCluster(_cluster, new Dictionary<string, string>
        {
            ["POSTGRES_TEST_SSL_CERT"] = Path.Combine(certs, "server.crt"),
            ["POSTGRES_TEST_SSL_KEY"] = Path.Combine(certs, "server.key"),
        });
    }

    private string Store(int port, string query) => $"postgresql://postgres:{Password}@127.0.0.1:{port}/postgres?{query}";

    private async Task<InProcessCli.Result> Cli(string home, string store, params string[] args)
    {
        var result = await InProcessCli.RunAsync(home, new Dictionary<string, string?> { [TeamStoreAddress.EnvironmentVariable] = store, ["CFSESSION_TEAM"] = null }, args);
        Assert.DoesNotContain(Password, result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.Stderr, StringComparison.Ordinal);
        return result;
    }

    [PostgresFact]
    public async Task Sslmode_require_and_verify_full_connect_to_a_tls_only_server_and_a_plain_connection_is_refused()
    {
        int port = StartTlsServer();
        var data = new DataDirectory(_temp.Combine("home"));
        var sessions = TeamStoreSyncTests.WriteHistory(data, seed: 51, sessions: 1);
        string certs = _temp.Combine("certs");

        var migrate = await Cli(data.Root, Store(port, "sslmode=require"), "sync", "--migrate");
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        var sync = await Cli(data.Root, Store(port, "sslmode=require"), "sync");
        Assert.True(sync.ExitCode == 0, sync.Stderr);
        var verified = await Cli(data.Root, Store(port, "sslmode=verify-full&sslrootcert=" + Uri.EscapeDataString(Path.Combine(certs, "ca.crt"))),
            "sessions", "--team", "--format", "{session}");
        Assert.True(verified.ExitCode == 0, verified.Stderr);
        Assert.Equal(sessions[0].Id + "\n", verified.Stdout.ReplaceLineEndings("\n"));

        // The server takes TLS only (hostssl): a connection without it is refused, so the ones above were encrypted.
        var plain = await Cli(data.Root, Store(port, "sslmode=disable"), "sessions", "--team");
        Assert.Equal(77, plain.ExitCode);
        Assert.StartsWith($"cfsession: the team store at 127.0.0.1:{port}/postgres refused: no pg_hba.conf entry", plain.Stderr);
        Assert.Single(plain.Stderr.TrimEnd('\n').Split('\n'));
        foreach (string file in Directory.EnumerateFiles(data.Root, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(Password, File.ReadAllText(file), StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Sslmode_verify_full_with_a_wrong_ca_fails_in_one_line_with_exit_78_and_never_shows_the_password()
    {
        int port = StartTlsServer();
        var data = new DataDirectory(_temp.Combine("home"));
        TeamStoreSyncTests.WriteHistory(data, seed: 52, sessions: 1);
        string wrongCa = Path.Combine(_temp.Combine("certs"), "wrong-ca.crt");
        string store = Store(port, "sslmode=verify-full&sslrootcert=" + Uri.EscapeDataString(wrongCa));

        foreach (string[] args in new[] { new[] { "sync", "--migrate" }, ["sync"], ["sessions", "--team"], ["history", "--team", "--json"] })
        {
            var result = await Cli(data.Root, store, args);
            Assert.True(result.ExitCode == 78, $"{string.Join(' ', args)}: exit {result.ExitCode}: {result.Stderr}");
            Assert.StartsWith($"cfsession: the team store at 127.0.0.1:{port}/postgres failed TLS verification (sslmode=verify-full): ", result.Stderr);
            Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Equal("", result.Stdout);
        }
    }
}
