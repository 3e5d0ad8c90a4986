using System.CommandLine;
using ContextForge.SessionLogging.Cli.Mcp;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession mcp [--allow-run]</c>: serves the recorded history to agents as an MCP server over stdio (docs/mcp.md).
/// Stdout carries the protocol only; notices go to stderr.
/// </summary>
internal static class McpCommand
{
    public static Command Create(CliContext context)
    {
        var allowRun = new Option<bool>("--allow-run") { Description = "Enable the run_command tool (runs shell commands the agent asks for, recorded in a session)" };
        var command = new Command("mcp", "Serve the recorded history to agents over MCP (stdio): list_sessions, search_output, get_operation, history, ... (docs/mcp.md)") { allowRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var server = new McpSessionServer(context, parse.GetValue(allowRun));
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
