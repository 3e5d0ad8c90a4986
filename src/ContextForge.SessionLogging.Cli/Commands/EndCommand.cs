using System.CommandLine;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession end [SESSION]</c>: closes the current (or given) session and prints the line that unsets its id.</summary>
internal static class EndCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string?>("session") { Description = "Session id or unique prefix (default: $CFSESSION_ID, else the newest session)", Arity = ArgumentArity.ZeroOrOne };
        var shell = new Option<string>("--shell") { Description = "Shell syntax of the printed line: sh, fish or pwsh", DefaultValueFactory = _ => "sh" };
        shell.AcceptOnlyFromAmong("sh", "fish", "pwsh");
        var command = new Command("end", "Close a session; use as: eval \"$(cfsession end)\"") { session, shell };
        command.SetAction(parse =>
        {
            var manager = context.CreateManager();
            string id = context.ResolveSession(manager, parse.GetValue(session));
            var ended = manager.End(id);
            if (ended is null) return context.Fail(ExitCodes.DataError, $"session {id} has already ended");
            context.WriteRaw(StartCommand.UnsetLine(parse.GetValue(shell)!) + Environment.NewLine);
            context.Notice($"ended session {id}: {ended.Value.Operations} operations, {ended.Value.Achievements} achievements");
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
