using System.CommandLine;
using ContextForge.SessionLogging.Cli.Hooks;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession hook claude-code|generic</c>: records what a coding agent does, from the JSON its hook sends on stdin
/// (docs/agents.md). It fails open: whatever the payload, it exits 0 and prints nothing on stdout (which an agent may
/// read as a decision); a payload it cannot use is recorded as a HookWarning event.
/// </summary>
internal static class HookCommand
{
    /// <summary>The largest payload read; the rest is left unread and the call recorded as a warning.</summary>
    internal const int MaxPayloadBytes = 32 * 1024 * 1024;

    public static Command Create(CliContext context)
    {
        var command = new Command("hook", "Record an agent's tool calls and session from its hook payload on stdin (docs/agents.md); always exits 0");
        command.Subcommands.Add(Agent(context, "claude-code", "Claude Code hooks: SessionStart, PostToolUse, PostToolUseFailure, SessionEnd"));
        command.Subcommands.Add(Agent(context, "generic", "Any agent: {\"command\", \"output\", \"stderr\", \"exit_code\", \"cwd\", \"session_id\", \"agent\"}"));
        return command;
    }

    private static Command Agent(CliContext context, string name, string description)
    {
        var command = new Command(name, description);
        command.SetAction(async (_, cancellationToken) =>
        {
            try
            {
                byte[] payload = await ReadPayloadAsync(context.OpenStandardInput(), cancellationToken).ConfigureAwait(false);
                var manager = context.CreateManager();
                var recorder = new HookRecorder(context, manager);
                var now = DateTimeOffset.UtcNow;
                if (payload.Length > MaxPayloadBytes)
                {
                    recorder.Warn(name == "generic" ? GenericPayload.DefaultAgent : ClaudeCodePayload.Agent, null, $"the payload is over {MaxPayloadBytes} bytes: not read", PayloadFields.Head(payload));
                    return (int)ExitCodes.Success;
                }
                if (name == "generic")
                {
                    var (report, agent) = GenericPayload.Read(payload, now);
                    recorder.Record(report, agent);
                }
                else
                {
                    recorder.Record(ClaudeCodePayload.Read(payload, now), ClaudeCodePayload.Agent);
                }
            }
            catch (Exception ex)
            {
                // Fail open: the agent's work goes on whatever happens here.
                context.Notice($"hook {name}: not recorded: {ex.Message.ReplaceLineEndings(" ")}{(context.Verbose ? Environment.NewLine + ex : "")}");
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Stdin up to one byte over the limit (so an oversized payload is known as such without reading it all).</summary>
    private static async Task<byte[]> ReadPayloadAsync(Stream input, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        while (buffer.Length <= MaxPayloadBytes)
        {
            int read = await input.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
