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
/// <c>--init-command</c>. The hooks emit the marks <see cref="ShellMarkParser"/> reads (OSC 133 A/B/C/D, OSC 7,
/// OSC 6973 E) with shell builtins only: no process is started per command or prompt.
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
                string hooks = Write(directory, "hooks.bash", WithCommandLineFunction(BashHooks));
                string rc = Write(directory, "bashrc",
                    "# cfsession shell: the user's ~/.bashrc, then cfsession's hooks (no rc file is edited).\n" +
                    "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n" +
                    $"__cfsession_cmdfile={Quote(Path.Combine(directory, "command"))}\n" +
                    $". {Quote(hooks)}\n");
                return new ShellLaunch(program, ["--rcfile", rc, .. userArguments], environment);
            }
            case ShellKind.Zsh:
            {
                string hooks = Write(directory, "hooks.zsh", ZshHooks);
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
                string hooks = Write(directory, "hooks.fish", FishHooks);
                return new ShellLaunch(program, ["--init-command", "source " + QuoteFish(hooks), .. userArguments], environment);
            }
            default:
                return new ShellLaunch(program, [.. userArguments], environment);
        }
    }

    private static string Write(string directory, string name, string content)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Single-quoted for bash and zsh.</summary>
    internal static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Single-quoted for fish (where a backslash escapes a backslash or a quote).</summary>
    internal static string QuoteFish(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>Puts <see cref="BashCommandLineFunction"/> where a bash script says <c>@COMMAND_LINE_FUNCTION@</c>.</summary>
    internal static string WithCommandLineFunction(string script) =>
        script.Replace("@COMMAND_LINE_FUNCTION@", BashCommandLineFunction, StringComparison.Ordinal);

    /// <summary>
    /// bash, both modes: sets <c>__cfsession_line</c> to the command line just read, from <c>history 1</c> through the
    /// file <c>$__cfsession_cmdfile</c> (builtins only); a command not added to the history (history off, or a leading
    /// space with ignorespace) is known by its first simple command (<c>$BASH_COMMAND</c>, kept inside a trap).
    /// </summary>
    private const string BashCommandLineFunction = """
        __cfsession_command_line() {
            local line= num=
            if [[ -o history ]] && { HISTTIMEFORMAT= builtin history 1 >| "$__cfsession_cmdfile"; } 2>/dev/null; then
                IFS= read -r -d '' line < "$__cfsession_cmdfile"
                line=${line%$'\n'}
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

    /// <summary>
    /// bash: PS0 (expanded when a command line has been read, before it runs) sets a flag with an arithmetic
    /// expansion, no fork; the DEBUG trap, on the first simple command after it, reads the command line from
    /// <c>history 1</c> (through a file, builtins only) and emits E and C; PROMPT_COMMAND (first, so it sees
    /// <c>$?</c>) emits D with the status, OSC 7 and A; PS1 ends with B. A DEBUG trap the user's bashrc set still runs.
    /// </summary>
    internal const string BashHooks = """
        # cfsession shell integration for bash (OSC 133 A/B/C/D, OSC 7, OSC 6973 E). Builtins only.
        if [[ -z ${__cfsession_hooked-} && $- == *i* ]]; then
        __cfsession_hooked=1
        __cfsession_go=0
        __cfsession_running=0
        __cfsession_histno=
        __cfsession_prev_debug=
        @COMMAND_LINE_FUNCTION@
        __cfsession_preexec() {
            [[ $__cfsession_go == 1 ]] || return 0
            __cfsession_go=0
            [[ $BASH_COMMAND == __cfsession_precmd* ]] && return 0
            __cfsession_command_line
            local line=$__cfsession_line
            line=${line//\\/\\\\}; line=${line//$'\n'/\\n}; line=${line//$'\r'/\\r}; line=${line//$'\e'/\\e}; line=${line//$'\a'/\\a}
            local op
            printf -v op '%08x-%04x-4%03x-%04x-%04x%08x' $(( ((RANDOM << 16) | RANDOM) ^ ${SRANDOM:-0} )) $RANDOM $(( RANDOM & 4095 )) \
                $(( (RANDOM & 16383) | 32768 )) $RANDOM $(( ((RANDOM << 16) | RANDOM) ^ ${SRANDOM:-0} ))
            export CFSESSION_PARENT_ID=$op
            printf '\e]6973;E;%s;%s\a\e]133;C\a' "$op" "$line"
            __cfsession_running=1
        }
        __cfsession_debug() {
            __cfsession_preexec
            [[ -z $__cfsession_prev_debug ]] || eval "$__cfsession_prev_debug"
        }
        __cfsession_precmd() {
            local status=$?
            if [[ $__cfsession_running == 1 ]]; then
                __cfsession_running=0
                printf '\e]133;D;%s\a' "$status"
            fi
            local p=${PWD//%/%25}
            p=${p// /%20}; p=${p//$'\n'/%0A}; p=${p//$'\a'/%07}; p=${p//$'\e'/%1B}
            printf '\e]7;file://%s%s\a\e]133;A\a' "${HOSTNAME-}" "$p"
            return $status
        }
        __cfsession_keep_debug() {
            local t
            t=$(trap -p DEBUG)
            [[ -n $t ]] || return 0
            eval "set -- $t"
            __cfsession_prev_debug=$3
        }
        __cfsession_keep_debug
        PS0='${__cfsession_go:$((__cfsession_go=1)):0}'"${PS0-}"
        PS1="${PS1-}"'\[\e]133;B\a\]'
        PROMPT_COMMAND="__cfsession_precmd${PROMPT_COMMAND:+; $PROMPT_COMMAND}"
        trap '__cfsession_debug' DEBUG
        fi

        """;

    /// <summary>
    /// zsh: preexec gets the command line as typed; precmd (first of precmd_functions) sees <c>$?</c>. zsh draws its
    /// PROMPT_SP (the partial-line mark) before precmd, so the hooks draw it themselves after D.
    /// </summary>
    internal const string ZshHooks = """
        # cfsession shell integration for zsh (OSC 133 A/B/C/D, OSC 7, OSC 6973 E). Builtins only.
        if [[ -z ${__cfsession_hooked-} && -o interactive ]]; then
        typeset -g __cfsession_hooked=1 __cfsession_running=0 __cfsession_sp=0
        if [[ -o prompt_sp ]]; then __cfsession_sp=1; unsetopt prompt_sp; fi
        __cfsession_preexec() {
            emulate -L zsh
            local line=$1 op
            line=${line//\\/\\\\}; line=${line//$'\n'/\\n}; line=${line//$'\r'/\\r}; line=${line//$'\e'/\\e}; line=${line//$'\a'/\\a}
            printf -v op '%08x-%04x-4%03x-%04x-%04x%08x' $(( (RANDOM << 16) | RANDOM )) $RANDOM $(( RANDOM & 4095 )) \
                $(( (RANDOM & 16383) | 32768 )) $RANDOM $(( (RANDOM << 16) | RANDOM ))
            export CFSESSION_PARENT_ID=$op
            printf '\e]6973;E;%s;%s\a\e]133;C\a' "$op" "$line"
            __cfsession_running=1
        }
        __cfsession_precmd() {
            local st=$?
            emulate -L zsh
            if (( __cfsession_running )); then
                __cfsession_running=0
                printf '\e]133;D;%s\a' "$st"
            fi
            if (( __cfsession_sp )); then
                # zsh's PROMPT_SP, drawn after D so that it is not part of the command's output.
                print -Pn -- "${PROMPT_EOL_MARK-%B%S%#%s%b}"
                printf '%*s\r \r' $(( COLUMNS - 1 )) ''
            fi
            local p=${PWD//\%/%25}
            p=${p// /%20}
            printf '\e]7;file://%s%s\a\e]133;A\a' "$HOST" "$p"
            return $st
        }
        autoload -Uz add-zsh-hook
        add-zsh-hook preexec __cfsession_preexec
        precmd_functions=(__cfsession_precmd ${precmd_functions[@]})
        PS1="${PS1}%{"$'\e]133;B\a'"%}"
        fi

        """;

    /// <summary>fish: the fish_preexec, fish_postexec and fish_prompt events (builtins run in-process).</summary>
    internal const string FishHooks = """
        # cfsession shell integration for fish (OSC 133 A/C/D, OSC 7, OSC 6973 E). Builtins only.
        if not set -q __cfsession_hooked; and status is-interactive
            set -g __cfsession_hooked 1
            set -g __cfsession_running 0
            function __cfsession_preexec --on-event fish_preexec
                test -n "$argv[1]"; or return
                set -l line (string replace -a -- '\\' '\\\\' $argv[1] | string replace -a -- \e '\\e' | string replace -a -- \a '\\a' | string replace -a -- \r '\\r')
                set line (string join -- '\\n' $line)
                set -l op (printf '%08x-%04x-4%03x-%04x-%04x%08x' (random 0 4294967295) (random 0 65535) (random 0 4095) (random 32768 49151) (random 0 65535) (random 0 4294967295))
                set -gx CFSESSION_PARENT_ID $op
                printf '\e]6973;E;%s;%s\a\e]133;C\a' $op "$line"
                set -g __cfsession_running 1
            end
            function __cfsession_postexec --on-event fish_postexec
                set -l st $status
                if test "$__cfsession_running" = 1
                    set -g __cfsession_running 0
                    printf '\e]133;D;%s\a' $st
                end
            end
            function __cfsession_prompt --on-event fish_prompt
                printf '\e]7;file://%s%s\a\e]133;A\a' $hostname (string replace -a -- ' ' '%20' (string replace -a -- '%' '%25' $PWD))
            end
        end

        """;
}
