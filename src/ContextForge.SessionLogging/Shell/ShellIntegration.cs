namespace ContextForge.SessionLogging.Shell;

/// <summary>The shells whose integration cfsession knows.</summary>
internal enum ShellKind
{
    /// <summary>A shell cfsession has no hooks for: it runs and its stream is recorded whole, not split per command.</summary>
    Unknown,
    Bash,
    Zsh,
    Fish,
}

/// <summary>How to start a shell with cfsession's hooks: the program, its arguments and environment additions.</summary>
internal sealed record ShellLaunch(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string?> Environment);

/// <summary>
/// The shell integration of <c>cfsession shell</c>, injected without editing any rc file: bash gets an
/// <c>--rcfile</c> wrapper that sources <c>~/.bashrc</c> and then the hooks; zsh a <c>ZDOTDIR</c> whose startup
/// files source the user's own (from <c>$ZDOTDIR</c> or <c>$HOME</c>) and then the hooks; fish an
/// <c>--init-command</c>. The hooks (<see cref="ShellHooks"/>, <see cref="HookTarget.Marks"/>) emit the marks
/// <see cref="ShellMarkParser"/> reads (OSC 133 A/B/C/D, OSC 7, OSC 6973 E) with shell builtins only: no process is
/// started per command or prompt.
/// </summary>
internal static class ShellIntegration
{
    /// <summary>The directory of the integration files, for the hooks (bash keeps its last history line there).</summary>
    public const string DirectoryVariable = "CFSESSION_SHELL_DIR";

    /// <summary>Set (to 1) in the shell: a <c>cfsession run</c> inside announces its operation with OSC 6973 R.</summary>
    public const string MarksVariable = "CFSESSION_SHELL_MARKS";

    private const string UserZdotdirVariable = "CFSESSION_USER_ZDOTDIR";

    public static ShellKind KindOf(string program) => Path.GetFileName(program) switch
    {
        "bash" => ShellKind.Bash,
        "zsh" => ShellKind.Zsh,
        "fish" => ShellKind.Fish,
        _ => ShellKind.Unknown,
    };

    /// <summary>Writes the integration files into <paramref name="directory"/> and says how to start the shell.</summary>
    public static ShellLaunch Prepare(string program, IReadOnlyList<string> userArguments, string directory)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [DirectoryVariable] = directory,
            [MarksVariable] = "1",
        };
        switch (KindOf(program))
        {
            case ShellKind.Bash:
            {
                string hooks = Write(directory, "hooks.bash", ShellHooks.Script(ShellKind.Bash, HookTarget.Marks));
                string rc = Write(directory, "bashrc",
                    "# cfsession shell: the user's ~/.bashrc, then cfsession's hooks (no rc file is edited).\n" +
                    "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n" +
                    $"__cfsession_cmdfile={Quote(Path.Combine(directory, "command"))}\n" +
                    $". {Quote(hooks)}\n");
                return new ShellLaunch(program, ["--rcfile", rc, .. userArguments], environment);
            }
            case ShellKind.Zsh:
            {
                string hooks = Write(directory, "hooks.zsh", ShellHooks.Script(ShellKind.Zsh, HookTarget.Marks));
                environment[UserZdotdirVariable] = System.Environment.GetEnvironmentVariable("ZDOTDIR") is { Length: > 0 } z ? z : null;
                environment["ZDOTDIR"] = directory;
                foreach (string file in new[] { ".zshenv", ".zprofile", ".zlogin" })
                {
                    Write(directory, file,
                        $"# cfsession shell: the user's {file}\n" +
                        "__cfsession_zdotdir=$ZDOTDIR\n" +
                        $"ZDOTDIR=${{{UserZdotdirVariable}:-$HOME}}\n" +
                        $"[[ -f $ZDOTDIR/{file} ]] && . $ZDOTDIR/{file}\n" +
                        (file == ".zlogin" ? string.Empty : "ZDOTDIR=$__cfsession_zdotdir\n"));
                }
                Write(directory, ".zshrc",
                    "# cfsession shell: the user's .zshrc, then cfsession's hooks (no rc file is edited).\n" +
                    $"ZDOTDIR=${{{UserZdotdirVariable}:-$HOME}}\n" +
                    "[[ -f $ZDOTDIR/.zshrc ]] && . $ZDOTDIR/.zshrc\n" +
                    $". {Quote(hooks)}\n" +
                    $"[[ -n ${{{UserZdotdirVariable}-}} ]] || unset ZDOTDIR\n" +
                    $"unset {UserZdotdirVariable}\n");
                return new ShellLaunch(program, [.. userArguments], environment);
            }
            case ShellKind.Fish:
            {
                string hooks = Write(directory, "hooks.fish", ShellHooks.Script(ShellKind.Fish, HookTarget.Marks));
                return new ShellLaunch(program, ["--init-command", "source " + QuoteFish(hooks), .. userArguments], environment);
            }
            default:
                return new ShellLaunch(program, [.. userArguments], environment);
        }
    }

    private static string Write(string directory, string name, string content)
    {
        string path = Path.Combine(directory, name);
        FileSecurity.WriteAllTextPrivate(path, content);
        return path;
    }

    /// <summary>Single-quoted for bash and zsh.</summary>
    internal static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Single-quoted for fish (where a backslash escapes a backslash or a quote).</summary>
    internal static string QuoteFish(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>
    /// bash, both modes: sets <c>__cfsession_line</c> to the command line just read, from <c>history 1</c> through the
    /// file <c>$__cfsession_cmdfile</c> (builtins only); a command not added to the history (history off, or a leading
    /// space with ignorespace) is known by its first simple command (<c>$BASH_COMMAND</c>, kept inside a trap).
    /// </summary>
    internal const string BashCommandLineFunction = """
        __cfsession_command_line() {
            local line= num=
            if [[ -o history ]] && { HISTTIMEFORMAT= builtin history 1 >| "$__cfsession_cmdfile"; } 2>/dev/null; then
                IFS= read -r -d '' line < "$__cfsession_cmdfile"
                while [[ $line == *$'\n' ]]; do line=${line%$'\n'}; done
                if [[ $line =~ ^[[:space:]]*([0-9]+)[*[:space:]][[:space:]](.*)$ ]]; then
                    num=${BASH_REMATCH[1]}
                    line=${BASH_REMATCH[2]}
                fi
            fi
            if [[ -z $line || ( $num == "$__cfsession_histno" && $line != "$BASH_COMMAND"* ) ]]; then line=$BASH_COMMAND; fi
            __cfsession_histno=$num
            __cfsession_line=$line
        }
        """;
}
