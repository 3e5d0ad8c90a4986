using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// <c>cfsession mcp --http PORT</c>: the same server over MCP's Streamable HTTP transport, on
/// <c>http://127.0.0.1:PORT/mcp</c> only. A small host on <see cref="HttpListener"/> (no ASP.NET Core, so the
/// NativeAOT binary serves it) drives the SDK's own <see cref="StreamableHttpServerTransport"/>: a POST carries one
/// JSON-RPC message and gets its answer as an event stream; <c>initialize</c> opens an MCP session named by the
/// <c>Mcp-Session-Id</c> header, DELETE ends it. Every request must carry <c>Authorization: Bearer &lt;token&gt;</c>
/// (401 otherwise, compared in constant time); a request from another address or a web page of another origin is
/// refused (403). GET (a stream of unsolicited messages) is not offered (405): the server sends none.
/// A session unused for the idle time (<c>--session-idle</c>, 30 minutes by default) is closed, as is the least
/// recently used one when <see cref="MaxSessions"/> are open and another client initializes; a request naming a
/// closed session gets 404, on which MCP clients initialize again.
/// </summary>
internal sealed class McpHttpHost : IAsyncDisposable
{
    /// <summary>The one path served.</summary>
    public const string Path = "/mcp";

    /// <summary>The idle time after which a session is closed when <c>--session-idle</c> is not given.</summary>
    public static readonly TimeSpan DefaultSessionIdle = TimeSpan.FromMinutes(30);

    /// <summary>At most this many sessions are open at once: a new one closes the least recently used.</summary>
    public const int MaxSessions = 64;

    private static readonly JsonTypeInfo<JsonRpcMessage> s_message = (JsonTypeInfo<JsonRpcMessage>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));

    private readonly McpSessionServer _server;
    private readonly byte[] _tokenHash;
    private readonly HttpListener _listener;
    private readonly ConcurrentDictionary<string, HttpSession> _sessions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _sessionIdle;

    private McpHttpHost(McpSessionServer server, string token, HttpListener listener, TimeSpan sessionIdle)
    {
        _server = server;
        _tokenHash = BearerTokenFile.Hash(token);
        _listener = listener;
        _sessionIdle = sessionIdle;
    }

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>.</summary>
    /// <exception cref="CliConfigurationException">The port cannot be bound (in use, or not allowed).</exception>
    public static McpHttpHost Start(McpSessionServer server, int port, string token, TimeSpan sessionIdle)
    {
        var listener = new HttpListener { IgnoreWriteExceptions = true };
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException ex)
        {
            throw new CliConfigurationException($"mcp --http: cannot listen on 127.0.0.1:{port}: {ex.Message}");
        }
        return new McpHttpHost(server, token, listener, sessionIdle);
    }

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled (Ctrl-C, SIGTERM).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = cancellationToken.Register(() => _listener.Stop());
        var running = new List<Task> { CloseIdleSessionsAsync(_stopping.Token) };
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                if (cancellationToken.IsCancellationRequested) break;
                throw;
            }
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Task.Run(() => HandleAsync(context)));
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (!IPAddress.IsLoopback(request.RemoteEndPoint.Address) || !IsLocalOrigin(request.Headers["Origin"]))
                await ErrorAsync(response, HttpStatusCode.Forbidden, "Forbidden: cfsession mcp serves this machine only").ConfigureAwait(false);
            else if (!BearerTokenFile.Matches(request.Headers["Authorization"], _tokenHash))
            {
                response.Headers["WWW-Authenticate"] = "Bearer realm=\"cfsession\"";
                await ErrorAsync(response, HttpStatusCode.Unauthorized, "Unauthorized: send Authorization: Bearer <the token in the server's token file>").ConfigureAwait(false);
            }
            else if (request.Url?.AbsolutePath != Path)
                await ErrorAsync(response, HttpStatusCode.NotFound, $"Not Found: the MCP endpoint is {Path}").ConfigureAwait(false);
            else if (request.HttpMethod == "POST")
                await PostAsync(request, response).ConfigureAwait(false);
            else if (request.HttpMethod == "DELETE")
                await DeleteAsync(request, response).ConfigureAwait(false);
            else
            {
                response.Headers["Allow"] = "POST, DELETE";
                await ErrorAsync(response, HttpStatusCode.MethodNotAllowed, "Method Not Allowed: POST JSON-RPC messages; this server sends no unsolicited messages").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            try
            {
                await ErrorAsync(response, HttpStatusCode.InternalServerError, $"Internal Server Error: {ex.GetType().Name}").ConfigureAwait(false);
            }
            catch (Exception gone) when (gone is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away, or the answer had begun: nothing more to tell it.
            }
        }
        finally
        {
            response.Close();
        }
    }

    private async Task PostAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        JsonRpcMessage? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync(request.InputStream, s_message, _stopping.Token).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            await ErrorAsync(response, HttpStatusCode.BadRequest, $"Bad Request: the body is not one JSON-RPC message: {ex.Message}", -32700).ConfigureAwait(false);
            return;
        }
        if (message is null)
        {
            await ErrorAsync(response, HttpStatusCode.BadRequest, "Bad Request: the body is not one JSON-RPC message", -32700).ConfigureAwait(false);
            return;
        }
        string? sessionId = request.Headers["Mcp-Session-Id"];
        HttpSession? session;
        if (string.IsNullOrEmpty(sessionId))
        {
            if (message is not JsonRpcRequest { Method: RequestMethods.Initialize })
            {
                await ErrorAsync(response, HttpStatusCode.BadRequest, "Bad Request: send Mcp-Session-Id (initialize first)").ConfigureAwait(false);
                return;
            }
            session = OpenSession();
        }
        else if (!_sessions.TryGetValue(sessionId, out session))
        {
            await ErrorAsync(response, HttpStatusCode.NotFound, "Session not found (closed, idle or never opened): initialize again", -32001).ConfigureAwait(false);
            return;
        }
        session.Touch();
        // The answer is bounded (16 KB per tool result), so it is gathered before the status line is chosen.
        using var answer = new MemoryStream();
        bool wrote = await session.Transport.HandlePostRequestAsync(message, answer, _stopping.Token).ConfigureAwait(false);
        response.Headers["Mcp-Session-Id"] = session.Id;
        if (!wrote)
        {
            response.StatusCode = (int)HttpStatusCode.Accepted;
            return;
        }
        response.StatusCode = (int)HttpStatusCode.OK;
        response.ContentType = "text/event-stream";
        response.Headers["Cache-Control"] = "no-cache, no-store";
        response.ContentLength64 = answer.Length;
        answer.Position = 0;
        await answer.CopyToAsync(response.OutputStream, _stopping.Token).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (request.Headers["Mcp-Session-Id"] is not { Length: > 0 } id || !_sessions.TryRemove(id, out var session))
        {
            await ErrorAsync(response, HttpStatusCode.NotFound, "Session not found", -32001).ConfigureAwait(false);
            return;
        }
        await session.DisposeAsync().ConfigureAwait(false);
        response.StatusCode = (int)HttpStatusCode.OK;
    }

    private HttpSession OpenSession()
    {
        while (_sessions.Count >= MaxSessions)
        {
            var oldest = _sessions.Values.MinBy(s => s.LastUsedOrder);
            if (oldest is null) break;
            CloseInBackground(oldest);
        }
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var transport = new StreamableHttpServerTransport(null) { SessionId = id };
        var server = McpServer.Create(transport, _server.Options());
        var session = new HttpSession(id, transport, server, server.RunAsync(_stopping.Token));
        _sessions[id] = session;
        return session;
    }

    /// <summary>Closes the sessions idle for longer than the idle time, checking every tenth of it (at least every second, at most every minute).</summary>
    private async Task CloseIdleSessionsAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(_sessionIdle.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                foreach (var session in _sessions.Values)
                {
                    if (TimeSpan.FromMilliseconds(now - session.LastUsedTicks) > _sessionIdle) CloseInBackground(session);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Forgets <paramref name="session"/> at once (its id answers 404 from now on) and disposes of it without waiting.</summary>
    private void CloseInBackground(HttpSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, HttpSession>(session.Id, session)))
            _ = Task.Run(async () => await session.DisposeAsync().ConfigureAwait(false));
    }

    /// <summary>No Origin (not a browser), or a page of this machine: a web page elsewhere cannot reach the server through a browser (DNS rebinding).</summary>
    private static bool IsLocalOrigin(string? origin) =>
        origin is null || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Host == "localhost"));

    private static async Task ErrorAsync(HttpListenerResponse response, HttpStatusCode status, string message, int code = -32000)
    {
        response.StatusCode = (int)status;
        response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc", "2.0");
            json.WriteNull("id");
            json.WriteStartObject("error");
            json.WriteNumber("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        byte[] body = buffer.ToArray();
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var session in _sessions.Values) await session.DisposeAsync().ConfigureAwait(false);
        _sessions.Clear();
        _listener.Close();
        _stopping.Dispose();
    }

    /// <summary>One MCP session over HTTP: its transport and the server running on it.</summary>
    private sealed record HttpSession(string Id, StreamableHttpServerTransport Transport, McpServer Server, Task Running) : IAsyncDisposable
    {
        private static long s_uses;
        private long _lastUsedTicks = Environment.TickCount64;
        private long _lastUsedOrder = Interlocked.Increment(ref s_uses);

        /// <summary>When a request last named this session (<see cref="Environment.TickCount64"/>, milliseconds): for the idle time.</summary>
        public long LastUsedTicks => Interlocked.Read(ref _lastUsedTicks);

        /// <summary>The rank of its last use among all sessions' uses (unique, unlike a clock): for least recently used.</summary>
        public long LastUsedOrder => Interlocked.Read(ref _lastUsedOrder);

        public void Touch()
        {
            Interlocked.Exchange(ref _lastUsedTicks, Environment.TickCount64);
            Interlocked.Exchange(ref _lastUsedOrder, Interlocked.Increment(ref s_uses));
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync().ConfigureAwait(false);
            await Transport.DisposeAsync().ConfigureAwait(false);
            try
            {
                await Running.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
