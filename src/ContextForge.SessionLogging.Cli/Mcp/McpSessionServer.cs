using System.Globalization;
using System.Text;
using System.Text.Json;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// <c>cfsession mcp</c>: an MCP server over stdio (or Streamable HTTP, <see cref="McpHttpHost"/>), a thin host over the query API (<see cref="SessionQueries"/>) and
/// the recording commands. Tools and resources are registered explicitly (handlers, hand-written JSON schemas), with
/// no reflection, so the NativeAOT build serves them exactly as the JIT build does.
/// </summary>
internal sealed class McpSessionServer : IDisposable
{
    /// <summary>The resource URI scheme.</summary>
    public const string Scheme = "cfsession";

    private const string SessionTemplate = "cfsession://session/{id}";
    private const string OperationTemplate = "cfsession://operation/{id}/output";

    private readonly CliContext _context;
    private readonly SessionManager _manager;
    private readonly WriteSessions _writes;
    private readonly Dictionary<string, McpTool> _tools;

    public McpSessionServer(CliContext context, bool allowRun)
    {
        _context = context;
        // Warnings (a bad milestones.json, rules file notices) go to stderr, never to the protocol's stdout.
        _manager = context.CreateManager();
        _writes = new WriteSessions(context, _manager);
        _tools = new ReadTools(context, _manager).Tools().Concat(new WriteTools(_manager, _writes, allowRun).Tools()).ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The data directory served.</summary>
    public string DataRoot => _manager.Data.Root;

    /// <summary>The tools, in the order <c>tools/list</c> gives them.</summary>
    public IReadOnlyCollection<McpTool> Tools => _tools.Values;

    public McpServerOptions Options() => new()
    {
        ServerInfo = new Implementation { Name = "cfsession", Version = typeof(McpSessionServer).Assembly.GetName().Version?.ToString(3) ?? "0" },
        ServerInstructions = "cfsession records terminal and agent work (commands, output, exit codes, achievements) in durable sessions. "
            + "Find sessions with list_sessions, what happened with history or inspect_session, text in any command's output with search_output, "
            + "and read an output page by page with get_operation. Record outcomes with log_achievement and record_milestone. "
            + "Results are bounded (200 lines / 16 KB); a cut result ends with the arguments of its next page. An exit_code of null means unknown.",
        Capabilities = new ServerCapabilities { Tools = new ToolsCapability(), Resources = new ResourcesCapability() },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult
            {
                Tools = _tools.Values.Select(t => new Tool
                {
                    Name = t.Name,
                    Description = t.Description,
                    InputSchema = t.InputSchema,
                    Annotations = new ToolAnnotations { ReadOnlyHint = t.ReadOnly, OpenWorldHint = false, DestructiveHint = false },
                }).ToList(),
            }),
            CallToolHandler = (request, cancellationToken) => CallToolAsync(request.Params?.Name ?? "", request.Params?.Arguments, cancellationToken),
            ListResourceTemplatesHandler = (_, _) => ValueTask.FromResult(new ListResourceTemplatesResult
            {
                ResourceTemplates =
                [
                    new ResourceTemplate { UriTemplate = SessionTemplate, Name = "session", MimeType = "application/json", Description = "A session's inspection document (indented JSON), 200 lines per read; add ?start_line=N for the next page." },
                    new ResourceTemplate { UriTemplate = OperationTemplate, Name = "operation output", MimeType = "text/plain", Description = "An operation's recorded output as plain text, 200 lines per read; add ?start_line=N for the next page." },
                ],
            }),
            ListResourcesHandler = (request, _) => ValueTask.FromResult(ListResources(request.Params?.Cursor)),
            ReadResourceHandler = (request, cancellationToken) => ReadResourceAsync(request.Params?.Uri ?? "", cancellationToken),
        },
    };

    /// <summary>Serves over stdin/stdout until the client closes stdin.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var options = Options();
        await using var transport = new StdioServerTransport(options);
        await using var server = McpServer.Create(transport, options);
        await server.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls a tool; every failure becomes a tool error result (isError) with a one-line message, and the server keeps serving.</summary>
    internal async ValueTask<CallToolResult> CallToolAsync(string name, IDictionary<string, JsonElement>? arguments, CancellationToken cancellationToken)
    {
        try
        {
            if (!_tools.TryGetValue(name, out var tool))
                throw new ToolInputException($"unknown tool '{Events.PrintableText.Escape(name)}'; the tools are {string.Join(", ", _tools.Keys)}");
            string text = await tool.Call(new ToolArguments(name, arguments, tool.ArgumentNames), cancellationToken).ConfigureAwait(false);
            return new CallToolResult { Content = [new TextContentBlock { Text = text }] };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Error(name, ex);
        }
    }

    private CallToolResult Error(string tool, Exception ex)
    {
        string message = ex switch
        {
            ToolInputException or CliUsageException => ex.Message,
            SessionNotFoundException => ex.Message,
            AmbiguousOperationException => ex.Message,
            ArgumentException => ex.Message,
            IOException or UnauthorizedAccessException => $"cannot read or write the data directory: {ex.Message}",
            Microsoft.Data.Sqlite.SqliteException => $"the history index failed: {ex.Message} (try 'cfsession reindex')",
            OperationCanceledException => "the call was cancelled (timed out)",
            _ => $"internal error in {tool}: {ex.GetType().Name}: {ex.Message}",
        };
        if (_context.Verbose) _context.Notice($"{tool}: {ex}");
        return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = Events.PrintableText.Escape(message.ReplaceLineEndings(" ")) }] };
    }

    private ListResourcesResult ListResources(string? cursor)
    {
        int offset = 0;
        if (cursor is not null && (!int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
            throw new McpProtocolException($"invalid cursor '{Events.PrintableText.Escape(cursor)}'", McpErrorCode.InvalidParams);
        const int pageSize = 50;
        using var queries = SessionQueries.Open(_manager.Data);
        var sessions = queries.SessionsMatching(new SessionFilter { Limit = pageSize + 1, Offset = offset }).Sessions;
        return new ListResourcesResult
        {
            Resources = sessions.Take(pageSize).Select(s => new Resource
            {
                Uri = $"{Scheme}://session/{s.SessionId}",
                Name = s.SessionName.Length > 0 ? s.SessionName : s.SessionId,
                Description = $"{s.SessionType} session, {s.Status}, started {s.StartTime}, {s.OperationCount} operations",
                MimeType = "application/json",
            }).ToList(),
            NextCursor = sessions.Count > pageSize ? (offset + pageSize).ToString(CultureInfo.InvariantCulture) : null,
        };
    }

    private async ValueTask<ReadResourceResult> ReadResourceAsync(string uri, CancellationToken cancellationToken)
    {
        var (kind, id, startLine) = ParseUri(uri);
        var arguments = new Dictionary<string, JsonElement>
        {
            [kind == "session" ? "session_id" : "operation_id"] = JsonSerializer.SerializeToElement(id, McpResourceJson.Default.String),
            ["start_line"] = JsonSerializer.SerializeToElement(startLine, McpResourceJson.Default.Int64),
        };
        var result = await CallToolAsync(kind == "session" ? "inspect_session" : "get_operation", arguments, cancellationToken).ConfigureAwait(false);
        string text = ((TextContentBlock)result.Content[0]).Text;
        if (result.IsError == true) throw new McpProtocolException(text, McpErrorCode.ResourceNotFound);
        // The next page of a resource is the same URI with ?start_line=N.
        int next = text.LastIndexOf("\"start_line\":", StringComparison.Ordinal);
        if (next >= 0)
        {
            string digits = new(text[(next + 13)..].TakeWhile(char.IsAsciiDigit).ToArray());
            text += $"next page: read {uri.Split('?')[0]}?start_line={digits}\n";
        }
        return new ReadResourceResult { Contents = [new TextResourceContents { Uri = uri, MimeType = kind == "session" ? "application/json" : "text/plain", Text = text }] };
    }

    /// <summary><c>cfsession://session/{id}</c> or <c>cfsession://operation/{id}/output</c>, with an optional <c>?start_line=N</c>.</summary>
    internal static (string Kind, string Id, long StartLine) ParseUri(string uri)
    {
        string prefix = Scheme + "://";
        var problem = new McpProtocolException($"unknown resource '{Events.PrintableText.Escape(uri.Length > 200 ? uri[..200] : uri)}': use {SessionTemplate} or {OperationTemplate}", McpErrorCode.ResourceNotFound);
        if (!uri.StartsWith(prefix, StringComparison.Ordinal)) throw problem;
        string rest = uri[prefix.Length..];
        long start = 1;
        int q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            string query = rest[(q + 1)..];
            rest = rest[..q];
            if (!query.StartsWith("start_line=", StringComparison.Ordinal) || !long.TryParse(query["start_line=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < 1)
                throw new McpProtocolException($"bad query in '{Events.PrintableText.Escape(uri)}': only ?start_line=N (N ≥ 1) is accepted", McpErrorCode.InvalidParams);
        }
        string[] parts = rest.Split('/');
        if (parts.Length == 2 && parts[0] == "session" && parts[1].Length > 0) return ("session", parts[1], start);
        if (parts.Length == 3 && parts[0] == "operation" && parts[1].Length > 0 && parts[2] == "output") return ("operation", parts[1], start);
        throw problem;
    }

    public void Dispose() => _writes.Dispose();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
internal sealed partial class McpResourceJson : System.Text.Json.Serialization.JsonSerializerContext;
