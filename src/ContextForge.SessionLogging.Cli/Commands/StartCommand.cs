using System.CommandLine;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession start [--name N] [--type T]</c>: opens a session and prints the line that puts its id in the environment.</summary>
internal static class StartCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Option<string?>("--name", "-n") { Description = "A name for the session" };
        var type = new Option<string?>("--type", "-t") { Description = "The session type (default: interactive)" };
        var methodology = new Option<string?>("--methodology") { Description = "The methodology recorded with the session" };
        var shell = new Option<string>("--shell") { Description = "Shell syntax of the printed line: sh (bash, zsh), fish or pwsh", DefaultValueFactory = _ => "sh" };
        shell.AcceptOnlyFromAmong("sh", "fish", "pwsh");
        var command = new Command("start", "Open a session; use as: eval \"$(cfsession start --name NAME)\"") { name, type, methodology, shell };
        command.SetAction(parse =>
        {
            CliLimits.Text(parse.GetValue(name), InputLimits.MaxSessionLabelChars, "--name");
            CliLimits.Text(parse.GetValue(type), InputLimits.MaxSessionLabelChars, "--type");
            CliLimits.Text(parse.GetValue(methodology), InputLimits.MaxSessionLabelChars, "--methodology");
            var manager = context.CreateManager();
            if (manager.Data.CheckWritable() is { } problem)
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}");
            string? parent = context.GetEnvironment(SessionEnvironment.SessionId);
            using var session = manager.Start(parse.GetValue(name), parse.GetValue(type), parse.GetValue(methodology), string.IsNullOrEmpty(parent) ? null : parent, detached: true);
            // Started here, ended by `cfsession end`: this process must not end it on dispose.
            session.Detach();
            context.WriteRaw(ExportLine(parse.GetValue(shell)!, session.Id) + Environment.NewLine);
            context.Notice($"started session {session.Id}{(session.Name.Length > 0 ? $" ({session.Name})" : "")}; 'cfsession end' closes it");
            return (int)ExitCodes.Success;
        });
        return command;
    }

    internal static string ExportLine(string shell, string sessionId) => shell switch
    {
        "fish" => $"set -gx {SessionEnvironment.SessionId} {sessionId}",
        "pwsh" => $"$env:{SessionEnvironment.SessionId} = '{sessionId}'",
        _ => $"export {SessionEnvironment.SessionId}={sessionId}",
    };

    internal static string UnsetLine(string shell) => shell switch
    {
        "fish" => $"set -e {SessionEnvironment.SessionId}",
        "pwsh" => $"Remove-Item Env:{SessionEnvironment.SessionId}",
        _ => $"unset {SessionEnvironment.SessionId}",
    };
}
