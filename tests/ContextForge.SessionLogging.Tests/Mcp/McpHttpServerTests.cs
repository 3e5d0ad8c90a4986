using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Tests.Support;
using ModelContextProtocol.Client;

namespace ContextForge.SessionLogging.Tests.Mcp;

/// <summary>
/// <c>cfsession mcp --http PORT</c> as a real child process, driven by the MCP SDK's own Streamable HTTP client
/// (<see cref="HttpClientTransport"/>) and by plain HTTP requests for what a client must not get through.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class McpHttpServerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private string _session = "";
    private string _tokenFile = "";
    private string _token = "";

    public async Task InitializeAsync()
    {
        _session = await InProcessCli.StartAsync(_dir.Path, "--name", "http-fixture");
        var env = new Dictionary<string, string?> { ["CFSESSION_ID"] = _session };
        Assert.Equal(3, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "sh", "-c", "printf 'alpha\\nbeta needle\\ngamma\\n'; exit 3"], environment: env)).ExitCode);
        _token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        _tokenFile = Path.Combine(_dir.Path, "token");
        File.WriteAllText(_tokenFile, _token + "\n");
        File.SetUnixFileMode(_tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    private async Task<(Process Process, int Port)> StartServerAsync(params string[] extra)
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { CfSessionProcess.DllPath, "mcp", "--http", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--token-file", _tokenFile }.Concat(extra)) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = _dir.Path;
        psi.Environment.Remove("CFSESSION_ID");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(psi)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return (process, port);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private Task<McpClient> ConnectAsync(int port, string token) => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}/mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
    }));

    [Fact]
    public async Task The_sdk_client_initializes_lists_tools_and_calls_one_over_http_with_the_token()
    {
        var (server, port) = await StartServerAsync();
        try
        {
            await using (var client = await ConnectAsync(port, _token))
            {
                Assert.Equal("cfsession", client.ServerInfo!.Name);
                var tools = await client.ListToolsAsync();
                Assert.Contains("search_output", tools.Select(t => t.Name));
                Assert.Equal(9, tools.Count);
                var (text, isError) = await client.CallAsync("search_output", new() { ["query"] = "needle" });
                Assert.False(isError, text);
                var hit = JsonNode.Parse(text)!["results"]![0]!;
                Assert.Equal(_session, hit["session_id"]!.GetValue<string>());
                Assert.Equal("beta needle", hit["matches"]![0]!["text"]!.GetValue<string>());
                var (error, failed) = await client.CallAsync("get_operation", new() { ["operation_id"] = "ffffffff" });
                Assert.True(failed);
                Assert.Contains("no recorded operation 'ffffffff'", error);
            }
            Assert.False(server.HasExited);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    private const string InitializeBody = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}""";

    /// <summary>POSTs one JSON-RPC message with the token, in session <paramref name="sessionId"/> when given.</summary>
    private async Task<HttpResponseMessage> PostAsync(HttpClient http, int port, string body, string? sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _token);
        if (sessionId is not null) request.Headers.TryAddWithoutValidation("Mcp-Session-Id", sessionId);
        return await http.SendAsync(request);
    }

    private async Task<string> InitializeAsync(HttpClient http, int port)
    {
        using var response = await PostAsync(http, port, InitializeBody, null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Mcp-Session-Id").Single();
    }

    private const string ListToolsBody = """{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}""";

    [Fact]
    public async Task A_session_idle_longer_than_session_idle_is_closed_and_its_id_gets_404_while_a_new_initialize_works()
    {
        var (server, port) = await StartServerAsync("--session-idle", "1s");
        try
        {
            using var http = new HttpClient();
            string id = await InitializeAsync(http, port);
            using (var used = await PostAsync(http, port, ListToolsBody, id))
            {
                Assert.Equal(HttpStatusCode.OK, used.StatusCode);
                Assert.Contains("search_output", await used.Content.ReadAsStringAsync());
            }
            await Task.Delay(TimeSpan.FromSeconds(3.5));
            using (var idle = await PostAsync(http, port, ListToolsBody, id))
            {
                Assert.Equal(HttpStatusCode.NotFound, idle.StatusCode);
                Assert.Contains("Session not found (closed, idle or never opened): initialize again", await idle.Content.ReadAsStringAsync());
            }
            string again = await InitializeAsync(http, port);
            Assert.NotEqual(id, again);
            using var fresh = await PostAsync(http, port, ListToolsBody, again);
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
            Assert.False(server.HasExited);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task Opening_one_session_more_than_the_limit_closes_the_least_recently_used_one_only()
    {
        var (server, port) = await StartServerAsync();
        try
        {
            using var http = new HttpClient();
            var ids = new List<string>();
            for (int i = 0; i < 64; i++) ids.Add(await InitializeAsync(http, port));
            // Session 0 is used again, so session 1 is now the least recently used.
            using (var touched = await PostAsync(http, port, ListToolsBody, ids[0])) Assert.Equal(HttpStatusCode.OK, touched.StatusCode);
            ids.Add(await InitializeAsync(http, port));
            using (var closed = await PostAsync(http, port, ListToolsBody, ids[1])) Assert.Equal(HttpStatusCode.NotFound, closed.StatusCode);
            foreach (string id in ids.Where((_, i) => i != 1))
            {
                using var open = await PostAsync(http, port, ListToolsBody, id);
                Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            }
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task Session_idle_without_http_or_not_a_duration_is_a_usage_error_with_64()
    {
        var alone = await CfSessionProcess.RunAsync(_dir.Path, ["mcp", "--session-idle", "5m"]);
        Assert.Equal(64, alone.ExitCode);
        Assert.Equal("cfsession: mcp: --session-idle goes with --http PORT", alone.Stderr.TrimEnd('\n'));
        var bad = await CfSessionProcess.RunAsync(_dir.Path, ["mcp", "--http", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--token-file", _tokenFile, "--session-idle", "soon"]);
        Assert.Equal(64, bad.ExitCode);
        Assert.Equal("cfsession: --session-idle 'soon' is not a duration: use a number and s, m, h, d or w (e.g. 2d)", bad.Stderr.TrimEnd('\n'));
    }

    [Fact]
    public async Task Requests_without_the_token_or_with_a_wrong_one_get_401_and_nothing_else()
    {
        var (server, port) = await StartServerAsync();
        try
        {
            using var http = new HttpClient();
            const string initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}""";
            foreach (string? authorization in new[] { null, "Bearer wrong-token-of-some-length", "Bearer " + _token + "x", "Basic " + _token, "Bearer " })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/mcp") { Content = new StringContent(initialize, Encoding.UTF8, "application/json") };
                request.Headers.Accept.ParseAdd("application/json, text/event-stream");
                if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                Assert.False(response.Headers.Contains("Mcp-Session-Id"));
                Assert.Contains("Unauthorized", await response.Content.ReadAsStringAsync());
            }
            // The SDK's client with a wrong token cannot connect.
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var refused = await ConnectAsync(port, "not-the-token-at-all");
            });
            // A web page of another origin is refused even with the token (DNS rebinding).
            using var fromPage = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/mcp") { Content = new StringContent(initialize, Encoding.UTF8, "application/json") };
            fromPage.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _token);
            fromPage.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(fromPage)).StatusCode);
            Assert.False(server.HasExited);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [Fact]
    public async Task A_token_file_readable_by_others_is_refused_with_exit_78_and_one_line()
    {
        File.SetUnixFileMode(_tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["mcp", "--http", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--token-file", _tokenFile]);
        Assert.Equal(78, run.ExitCode);
        Assert.Equal($"cfsession: mcp --http: the token file {_tokenFile} can be read or written by others (mode 0644): run chmod 600 {_tokenFile}", run.Stderr.TrimEnd('\n'));

        var missing = await CfSessionProcess.RunAsync(_dir.Path, ["mcp", "--http", "8123", "--token-file", Path.Combine(_dir.Path, "no-such-token")]);
        Assert.Equal(78, missing.ExitCode);
        Assert.Contains("no token file at", missing.Stderr);
    }
}
