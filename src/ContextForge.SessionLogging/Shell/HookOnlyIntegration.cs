namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// The script <c>cfsession init bash|zsh|fish</c> prints (<c>eval "$(cfsession init bash)"</c>): hooks that record every
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
    public static string Script(ShellKind kind, string sessionId, string spoolPath) => kind switch
    {
        ShellKind.Bash => ShellIntegration.WithCommandLineFunction(Bash).Replace("@SPOOL@", ShellIntegration.Quote(spoolPath), StringComparison.Ordinal).Replace("@SESSION@", sessionId, StringComparison.Ordinal),
        ShellKind.Zsh => Zsh.Replace("@SPOOL@", ShellIntegration.Quote(spoolPath), StringComparison.Ordinal).Replace("@SESSION@", sessionId, StringComparison.Ordinal),
        ShellKind.Fish => Fish.Replace("@SPOOL@", ShellIntegration.QuoteFish(spoolPath), StringComparison.Ordinal).Replace("@SESSION@", sessionId, StringComparison.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no hooks for this shell"),
    };

    // Spool lines (tab-separated, fields escaped with \\ \n \r \t):
    //   C <start epoch s> <end epoch s> <exit status> <cwd> <command line> [<duration ms>]
    //   X <epoch s> <exit status>                      (the shell exited)
    // fish has no builtin clock: its C lines carry "-" for the times and the duration fish measured.

    private const string Bash = """
        # cfsession init bash: records each command's line, exit code, duration and cwd (no output) into session
        # @SESSION@. Builtins only; sourcing it again does nothing.
        if [[ -z ${__cfsession_spool-} ]]; then
        __cfsession_spool=@SPOOL@
        export CFSESSION_ID=@SESSION@ CFSESSION_HOOKS_PID=$$
        __cfsession_go=0 __cfsession_running=0 __cfsession_start= __cfsession_line= __cfsession_cwd= __cfsession_histno=
        __cfsession_prev_debug= __cfsession_prev_exit=
        __cfsession_esc() {
            local s=$1
            s=${s//\\/\\\\}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
            __cfsession_escaped=$s
        }
        __cfsession_cmdfile=$__cfsession_spool.cmd
        @COMMAND_LINE_FUNCTION@
        __cfsession_preexec() {
            [[ $__cfsession_go == 1 ]] || return 0
            __cfsession_go=0
            [[ $BASH_COMMAND == __cfsession_precmd* ]] && return 0
            __cfsession_command_line
            __cfsession_cwd=$PWD
            __cfsession_start=${EPOCHREALTIME/,/.}
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
                local line cwd
                __cfsession_esc "$__cfsession_line"; line=$__cfsession_escaped
                __cfsession_esc "$__cfsession_cwd"; cwd=$__cfsession_escaped
                { printf 'C\t%s\t%s\t%s\t%s\t%s\n' "$__cfsession_start" "${EPOCHREALTIME/,/.}" "$status" "$cwd" "$line" >> "$__cfsession_spool"; } 2>/dev/null
            fi
            return $status
        }
        __cfsession_exit() {
            local status=$?
            { printf 'X\t%s\t%s\n' "${EPOCHREALTIME/,/.}" "$status" >> "$__cfsession_spool"; } 2>/dev/null
            [[ -z $__cfsession_prev_exit ]] || eval "$__cfsession_prev_exit"
        }
        __cfsession_keep_traps() {
            local t
            t=$(trap -p DEBUG)
            if [[ -n $t ]]; then eval "set -- $t"; __cfsession_prev_debug=$3; fi
            t=$(trap -p EXIT)
            if [[ -n $t ]]; then eval "set -- $t"; __cfsession_prev_exit=$3; fi
        }
        __cfsession_keep_traps
        PS0='${__cfsession_go:$((__cfsession_go=1)):0}'"${PS0-}"
        PROMPT_COMMAND="__cfsession_precmd${PROMPT_COMMAND:+; $PROMPT_COMMAND}"
        trap '__cfsession_debug' DEBUG
        trap '__cfsession_exit' EXIT
        fi

        """;

    private const string Zsh = """
        # cfsession init zsh: records each command's line, exit code, duration and cwd (no output) into session
        # @SESSION@. Builtins only; sourcing it again does nothing.
        if [[ -z ${__cfsession_spool-} ]]; then
        typeset -g __cfsession_spool=@SPOOL@ __cfsession_running=0 __cfsession_start= __cfsession_line= __cfsession_cwd=
        export CFSESSION_ID=@SESSION@ CFSESSION_HOOKS_PID=$$
        zmodload zsh/datetime 2>/dev/null
        __cfsession_esc() {
            local s=$1
            s=${s//\\/\\\\}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
            REPLY=$s
        }
        __cfsession_preexec() {
            __cfsession_line=$1
            __cfsession_cwd=$PWD
            __cfsession_start=$EPOCHREALTIME
            __cfsession_running=1
        }
        __cfsession_precmd() {
            local st=$? line cwd REPLY
            if (( __cfsession_running )); then
                __cfsession_running=0
                __cfsession_esc "$__cfsession_line"; line=$REPLY
                __cfsession_esc "$__cfsession_cwd"; cwd=$REPLY
                { printf 'C\t%s\t%s\t%s\t%s\t%s\n' "$__cfsession_start" "$EPOCHREALTIME" "$st" "$cwd" "$line" >> "$__cfsession_spool"; } 2>/dev/null
            fi
            return $st
        }
        __cfsession_exit() {
            local st=$?
            { printf 'X\t%s\t%s\n' "$EPOCHREALTIME" "$st" >> "$__cfsession_spool"; } 2>/dev/null
        }
        autoload -Uz add-zsh-hook
        add-zsh-hook preexec __cfsession_preexec
        add-zsh-hook zshexit __cfsession_exit
        precmd_functions=(__cfsession_precmd ${precmd_functions[@]})
        fi

        """;

    private const string Fish = """
        # cfsession init fish: records each command's line, exit code, duration and cwd (no output) into session
        # @SESSION@. Builtins only; sourcing it again does nothing.
        if not set -q __cfsession_spool
            set -g __cfsession_spool @SPOOL@
            set -gx CFSESSION_ID @SESSION@
            set -gx CFSESSION_HOOKS_PID $fish_pid
            function __cfsession_esc
                string join -- '\\n' (string replace -a -- '\\' '\\\\' $argv[1] | string replace -a -- \t '\\t' | string replace -a -- \r '\\r')
            end
            function __cfsession_preexec --on-event fish_preexec
                set -g __cfsession_cwd $PWD
            end
            function __cfsession_postexec --on-event fish_postexec
                set -l st $status
                # The command that installed the hooks had no preexec: it is not recorded.
                set -q __cfsession_cwd; or return
                test -n "$argv[1]"; or return
                set -l cwd (__cfsession_esc "$__cfsession_cwd")
                set -l line (__cfsession_esc "$argv[1]")
                printf 'C\t-\t-\t%s\t%s\t%s\t%s\n' $st "$cwd" "$line" $CMD_DURATION 2>/dev/null >> $__cfsession_spool
            end
            function __cfsession_exit --on-event fish_exit
                printf 'X\t-\t%s\n' $status 2>/dev/null >> $__cfsession_spool
            end
        end

        """;
}
