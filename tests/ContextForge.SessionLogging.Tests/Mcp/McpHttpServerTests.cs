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
    private async Task<(Process Process, int Port)> StartServerAsync()
    {
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { CfSessionProcess.DllPath, "mcp", "--http", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--token-file", _tokenFile }) psi.ArgumentList.Add(a);
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
