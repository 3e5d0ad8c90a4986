using System.CommandLine;
using System.Globalization;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Shell;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession init bash|zsh|fish [--name N]</c>: hook-only mode. Starts the shell's session and prints the hooks
/// to source (<c>eval "$(cfsession init bash)"</c>, or piped into <c>source</c>); they record every command's line,
/// exit code, duration and cwd (no output) through a spool file (docs/shell.md). Never makes the shell fail: when
/// nothing can be recorded it prints a one-line notice on stderr and a script that does nothing.
/// </summary>
internal static class InitCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var name = new Option<string?>("--name", "-n") { Description = "Name of the shell's session" };
        var command = new Command("init", "Print hooks that record every command of this shell (no output): eval \"$(cfsession init bash)\"") { shell, name };
        command.SetAction(parse =>
        {
            CliLimits.Text(parse.GetValue(name), InputLimits.MaxSessionLabelChars, "--name");
            string shellName = parse.GetValue(shell)!;
            var kind = ShellIntegration.KindOf(shellName);
            if (context.GetEnvironment(ShellIntegration.MarksVariable) == "1")
            {
                context.WriteRaw("# cfsession init: this shell runs inside 'cfsession shell', which records it already\n");
                return (int)ExitCodes.Success;
            }
            int shellPid = ParentProcessId();
            if (context.GetEnvironment(HookOnlyIntegration.HookedShellVariable) is { } hooked && hooked == shellPid.ToString(CultureInfo.InvariantCulture))
            {
                context.WriteRaw("# cfsession init: the hooks are installed in this shell already\n");
                return (int)ExitCodes.Success;
            }
            var manager = context.CreateManager();
            if (manager.Data.CheckWritable() is { } problem)
            {
                context.Notice($"cannot write to {manager.Data.Root}: {problem}; the commands of this shell are not recorded");
                context.WriteRaw("# cfsession init: nothing is recorded (the data directory is not writable)\n");
                return (int)ExitCodes.Success;
            }
            string? parent = context.GetEnvironment(SessionEnvironment.SessionId);
            using var session = manager.StartOwnedBy(shellPid, parse.GetValue(name), "shell", string.IsNullOrEmpty(parent) ? null : parent);
            ShellSpool.Create(manager.Data, session.Id, shellName);
            context.WriteRaw(HookOnlyIntegration.Script(kind, session.Id, ShellSpool.PathFor(manager.Data, session.Id)));
            return (int)ExitCodes.Success;
        });
        return command;
    }

    // The shell that runs 'eval "$(cfsession init bash)"' (or pipes it into source) is our parent: command
    // substitution and pipelines fork from it.
    private static int ParentProcessId()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return Environment.ProcessId;
        }
    }
}
