namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// The script <c>cfsession init bash|zsh|fish</c> prints (<c>eval "$(cfsession init bash)"</c>; <see cref="ShellHooks"/>,
/// <see cref="HookTarget.Spool"/>): hooks that record every
/// command's line, exit code, start and end time and cwd, without a pty and without output, by appending one line to
/// the shell's spool file with shell builtins (no process is started per prompt; <see cref="ShellSpool"/> ingests it).
/// The script is guarded (sourcing it twice installs the hooks once), does not look at its stdin (it works piped
/// into <c>source</c>), and every write is silenced: a missing cfsession or an unwritable spool never breaks the prompt.
/// </summary>
internal static class HookOnlyIntegration
{
    /// <summary>Exported by the script: the pid of the shell whose hooks are installed (a second init there is a no-op).</summary>
    public const string HookedShellVariable = "CFSESSION_HOOKS_PID";

    /// <summary>The script for <paramref name="kind"/> recording into <paramref name="sessionId"/> through <paramref name="spoolPath"/>.</summary>
    public static string Script(ShellKind kind, string sessionId, string spoolPath) =>
        ShellHooks.Script(kind, HookTarget.Spool)
            .Replace("@SPOOL@", kind == ShellKind.Fish ? ShellIntegration.QuoteFish(spoolPath) : ShellIntegration.Quote(spoolPath), StringComparison.Ordinal)
            .Replace("@SESSION@", sessionId, StringComparison.Ordinal);

    // Spool lines (tab-separated, fields escaped with \\ \n \r \t \e \a, as ShellMarkParser.Unescape reads them):
    //   C <start epoch s> <end epoch s> <exit status> <cwd> <command line> [<duration ms>]
    //   X <epoch s> <exit status>                      (the shell exited)
    // fish has no builtin clock: its C lines carry "-" for the times and the duration fish measured.
}
