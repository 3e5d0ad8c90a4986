using System.CommandLine;
using ContextForge.SessionLogging.Cli.Mcp;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession mcp [--allow-run] [--http PORT [--token-file FILE]]</c>: serves the recorded history to agents as an MCP
/// server over stdio, or over Streamable HTTP on 127.0.0.1 behind a bearer token (docs/mcp.md). Over stdio, stdout
/// carries the protocol only; notices go to stderr.
/// </summary>
internal static class McpCommand
{
    public static Command Create(CliContext context)
    {
        var allowRun = new Option<bool>("--allow-run") { Description = "Enable the run_command tool (runs shell commands the agent asks for, recorded in a session)" };
        var http = new Option<int?>("--http") { Description = "Serve Streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio (every request needs the bearer token)", HelpName = "PORT" };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = $"With --http: the file holding the bearer token, readable by you only (mode 0600). Default: <data dir>/{BearerTokenFile.DefaultName}, created with a random token when missing",
            HelpName = "FILE",
        };
        var sessionIdle = new Option<string?>("--session-idle")
        {
            Description = "With --http: close an MCP session unused for this long (e.g. 90s, 30m, 2h; default 30m); the client initializes again",
            HelpName = "DURATION",
        };
        var command = new Command("mcp", "Serve the recorded history to agents over MCP (stdio, or --http): list_sessions, search_output, get_operation, history, ... (docs/mcp.md)") { allowRun, http, tokenFile, sessionIdle };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int? port = parse.GetValue(http);
            string? tokenPath = parse.GetValue(tokenFile);
            if (port is null && tokenPath is not null) throw new CliUsageException("mcp: --token-file goes with --http PORT");
            string? idleText = parse.GetValue(sessionIdle);
            if (port is null && idleText is not null) throw new CliUsageException("mcp: --session-idle goes with --http PORT");
            TimeSpan idle = idleText is null ? McpHttpHost.DefaultSessionIdle : Quantities.Duration(idleText, "--session-idle");
            if (idle <= TimeSpan.Zero) throw new CliUsageException($"mcp: --session-idle {idleText} must be more than 0");
            if (port is < 1 or > 65535) throw new CliUsageException($"mcp: --http {port} is not a port (1-65535)");
            using var server = new McpSessionServer(context, parse.GetValue(allowRun));
            if (port is not { } p)
            {
                await server.RunAsync(cancellationToken).ConfigureAwait(false);
                return (int)ExitCodes.Success;
            }
            string token = ReadToken(context, server, tokenPath);
            await using var host = McpHttpHost.Start(server, p, token, idle);
            context.Notice($"mcp: serving http://127.0.0.1:{p}{McpHttpHost.Path} (Authorization: Bearer <the token in {tokenPath ?? DefaultTokenPath(server)}>); Ctrl-C stops");
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    private static string DefaultTokenPath(McpSessionServer server) => Path.Combine(server.DataRoot, BearerTokenFile.DefaultName);

    /// <summary>The token of <c>--token-file</c>, or of the default file (written with a new random token when it does not exist yet).</summary>
    private static string ReadToken(CliContext context, McpSessionServer server, string? tokenPath)
    {
        if (tokenPath is not null) return BearerTokenFile.Read(Path.GetFullPath(tokenPath));
        string path = DefaultTokenPath(server);
        if (!File.Exists(path))
        {
            FileSecurity.CreatePrivateDirectory(server.DataRoot);
            BearerTokenFile.Create(path);
            context.Notice($"mcp: wrote a new bearer token to {path} (mode 0600)");
        }
        return BearerTokenFile.Read(path);
    }
}
