namespace ContextForge.SessionLogging.Shell;

/// <summary>Where a shell's hooks send what they learn about each command.</summary>
internal enum HookTarget
{
    /// <summary><c>cfsession shell</c>: marks in the pty stream (OSC 133 A/B/C/D, OSC 7, OSC 6973 E).</summary>
    Marks,

    /// <summary><c>cfsession init</c>: one line per command appended to the spool file (no pty, no output).</summary>
    Spool,
}

/// <summary>
/// The one generator of the per-shell hook scripts, for both modes (<see cref="HookTarget"/>): per shell one skeleton
/// (the guard, the escaping function, the "command starts" and "command ended" hooks and how they are installed,
/// keeping the user's own DEBUG/EXIT traps and hook functions), and per mode what those hooks do: emit the marks, or
/// append a spool line. Builtins only: no process is started per command or prompt. Placeholders left for the caller:
/// <c>@SPOOL@</c> and <c>@SESSION@</c> (spool mode).
/// </summary>
internal static class ShellHooks
{
    /// <summary>The hooks of <paramref name="kind"/> for <paramref name="target"/>.</summary>
    public static string Script(ShellKind kind, HookTarget target) => kind switch
    {
        ShellKind.Bash => Bash(target),
        ShellKind.Zsh => Zsh(target),
        ShellKind.Fish => Fish(target),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no hooks for this shell"),
    };

    private static string Fill(string skeleton, params (string Name, string Text)[] parts)
    {
        foreach (var (name, text) in parts) skeleton = skeleton.Replace("@" + name + "@\n", text.Length == 0 ? string.Empty : text + "\n", StringComparison.Ordinal);
        return skeleton;
    }

    // The marks' and the spool's escaping, both undone by ShellMarkParser.Unescape: \\ \n \r \t \e \a.

    /// <summary>
    /// bash: PS0 (expanded when a command line has been read, before it runs) sets a flag with an arithmetic
    /// expansion, no fork; the DEBUG trap, on the first simple command after it, reads the command line from
    /// <c>history 1</c> (through a file, builtins only) and runs the start hook; PROMPT_COMMAND (first, so it sees
    /// <c>$?</c>) runs the end hook with the status. A DEBUG or EXIT trap the user set still runs.
    /// Marks: E and C at the start, D, OSC 7 and A before the prompt, PS1 ends with B. Spool: a C line at the end, an X
    /// line at exit (an EXIT trap).
    /// </summary>
    private static string Bash(HookTarget target)
    {
        bool marks = target == HookTarget.Marks;
        return Fill(BashSkeleton,
            ("HEADER", marks
                ? "# cfsession shell integration for bash (OSC 133 A/B/C/D, OSC 7, OSC 6973 E). Builtins only."
                : "# cfsession init bash: records each command's line, exit code, duration and cwd (no output) into session\n# @SESSION@. Builtins only; sourcing it again does nothing."),
            ("GUARD", marks ? "if [[ -z ${__cfsession_hooked-} && $- == *i* ]]; then\n__cfsession_hooked=1" : "if [[ -z ${__cfsession_spool-} ]]; then\n__cfsession_spool=@SPOOL@\nexport CFSESSION_ID=@SESSION@ CFSESSION_HOOKS_PID=$$\n__cfsession_cmdfile=$__cfsession_spool.cmd"),
            ("COMMAND_LINE_FUNCTION", ShellIntegration.BashCommandLineFunction),
            ("ON_START", marks ? """
                    __cfsession_esc "$__cfsession_line"
                    local op
                    printf -v op '%08x-%04x-4%03x-%04x-%04x%08x' $(( ((RANDOM << 16) | RANDOM) ^ ${SRANDOM:-0} )) $RANDOM $(( RANDOM & 4095 )) \
                        $(( (RANDOM & 16383) | 32768 )) $RANDOM $(( ((RANDOM << 16) | RANDOM) ^ ${SRANDOM:-0} ))
                    export CFSESSION_PARENT_ID=$op
                    printf '\e]6973;E;%s;%s\a\e]133;C\a' "$op" "$__cfsession_escaped"
                """ : """
                    __cfsession_cwd=$PWD
                    __cfsession_start=${EPOCHREALTIME/,/.}
                """),
            ("ON_END", marks ? """
                        printf '\e]133;D;%s\a' "$status"
                """ : """
                        local line cwd
                        __cfsession_esc "$__cfsession_line"; line=$__cfsession_escaped
                        __cfsession_esc "$__cfsession_cwd"; cwd=$__cfsession_escaped
                        { printf 'C\t%s\t%s\t%s\t%s\t%s\n' "$__cfsession_start" "${EPOCHREALTIME/,/.}" "$status" "$cwd" "$line" >> "$__cfsession_spool"; } 2>/dev/null
                """),
            ("ON_PROMPT", marks ? """
                    local p=${PWD//%/%25}
                    p=${p// /%20}; p=${p//$'\n'/%0A}; p=${p//$'\a'/%07}; p=${p//$'\e'/%1B}
                    printf '\e]7;file://%s%s\a\e]133;A\a' "${HOSTNAME-}" "$p"
                """ : ""),
            ("ON_EXIT", marks ? "" : """
                __cfsession_exit() {
                    local status=$?
                    { printf 'X\t%s\t%s\n' "${EPOCHREALTIME/,/.}" "$status" >> "$__cfsession_spool"; } 2>/dev/null
                    [[ -z $__cfsession_prev_exit ]] || eval "$__cfsession_prev_exit"
                }
                """),
            ("PS1", marks ? "PS1=\"${PS1-}\"'\\[\\e]133;B\\a\\]'" : ""),
            ("EXIT_TRAP", marks ? "" : "trap '__cfsession_exit' EXIT"));
    }

    private const string BashSkeleton = """
        @HEADER@
        @GUARD@
        __cfsession_go=0 __cfsession_running=0 __cfsession_start= __cfsession_line= __cfsession_cwd= __cfsession_histno=
        __cfsession_prev_debug= __cfsession_prev_exit=
        __cfsession_esc() {
            local s=$1
            s=${s//\\/\\\\}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}; s=${s//$'\e'/\\e}; s=${s//$'\a'/\\a}
            __cfsession_escaped=$s
        }
        @COMMAND_LINE_FUNCTION@
        __cfsession_preexec() {
            [[ $__cfsession_go == 1 ]] || return 0
            __cfsession_go=0
            [[ $BASH_COMMAND == __cfsession_precmd* ]] && return 0
            __cfsession_command_line
        @ON_START@
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
        @ON_END@
            fi
        @ON_PROMPT@
            return $status
        }
        @ON_EXIT@
        __cfsession_keep_traps() {
            local t
            t=$(trap -p DEBUG)
            if [[ -n $t ]]; then eval "set -- $t"; __cfsession_prev_debug=$3; fi
            t=$(trap -p EXIT)
            if [[ -n $t ]]; then eval "set -- $t"; __cfsession_prev_exit=$3; fi
        }
        __cfsession_keep_traps
        PS0='${__cfsession_go:$((__cfsession_go=1)):0}'"${PS0-}"
        @PS1@
        PROMPT_COMMAND="__cfsession_precmd${PROMPT_COMMAND:+; $PROMPT_COMMAND}"
        trap '__cfsession_debug' DEBUG
        @EXIT_TRAP@
        fi

        """;

    /// <summary>
    /// zsh: preexec gets the command line as typed; precmd (first of precmd_functions) sees <c>$?</c>. Marks: zsh draws
    /// its PROMPT_SP (the partial-line mark) before precmd, so the hooks draw it themselves after D. Spool: zshexit
    /// writes the X line.
    /// </summary>
    private static string Zsh(HookTarget target)
    {
        bool marks = target == HookTarget.Marks;
        return Fill(ZshSkeleton,
            ("HEADER", marks
                ? "# cfsession shell integration for zsh (OSC 133 A/B/C/D, OSC 7, OSC 6973 E). Builtins only."
                : "# cfsession init zsh: records each command's line, exit code, duration and cwd (no output) into session\n# @SESSION@. Builtins only; sourcing it again does nothing."),
            ("GUARD", marks
                ? "if [[ -z ${__cfsession_hooked-} && -o interactive ]]; then\ntypeset -g __cfsession_hooked=1 __cfsession_running=0 __cfsession_sp=0\nif [[ -o prompt_sp ]]; then __cfsession_sp=1; unsetopt prompt_sp; fi"
                : "if [[ -z ${__cfsession_spool-} ]]; then\ntypeset -g __cfsession_spool=@SPOOL@ __cfsession_running=0 __cfsession_start= __cfsession_line= __cfsession_cwd=\nexport CFSESSION_ID=@SESSION@ CFSESSION_HOOKS_PID=$$\nzmodload zsh/datetime 2>/dev/null"),
            ("ON_START", marks ? """
                    local op REPLY
                    __cfsession_esc "$1"
                    printf -v op '%08x-%04x-4%03x-%04x-%04x%08x' $(( (RANDOM << 16) | RANDOM )) $RANDOM $(( RANDOM & 4095 )) \
                        $(( (RANDOM & 16383) | 32768 )) $RANDOM $(( (RANDOM << 16) | RANDOM ))
                    export CFSESSION_PARENT_ID=$op
                    printf '\e]6973;E;%s;%s\a\e]133;C\a' "$op" "$REPLY"
                """ : """
                    __cfsession_line=$1
                    __cfsession_cwd=$PWD
                    __cfsession_start=$EPOCHREALTIME
                """),
            ("ON_END", marks ? """
                        printf '\e]133;D;%s\a' "$st"
                """ : """
                        local line cwd
                        __cfsession_esc "$__cfsession_line"; line=$REPLY
                        __cfsession_esc "$__cfsession_cwd"; cwd=$REPLY
                        { printf 'C\t%s\t%s\t%s\t%s\t%s\n' "$__cfsession_start" "$EPOCHREALTIME" "$st" "$cwd" "$line" >> "$__cfsession_spool"; } 2>/dev/null
                """),
            ("ON_PROMPT", marks ? """
                    if (( __cfsession_sp )); then
                        # zsh's PROMPT_SP, drawn after D so that it is not part of the command's output.
                        print -Pn -- "${PROMPT_EOL_MARK-%B%S%#%s%b}"
                        printf '%*s\r \r' $(( COLUMNS - 1 )) ''
                    fi
                    local p=${PWD//\%/%25}
                    p=${p// /%20}
                    printf '\e]7;file://%s%s\a\e]133;A\a' "$HOST" "$p"
                """ : ""),
            ("ON_EXIT", marks ? "" : """
                __cfsession_exit() {
                    local st=$?
                    { printf 'X\t%s\t%s\n' "$EPOCHREALTIME" "$st" >> "$__cfsession_spool"; } 2>/dev/null
                }
                """),
            ("EXIT_HOOK", marks ? "" : "add-zsh-hook zshexit __cfsession_exit"),
            ("PS1", marks ? "PS1=\"${PS1}%{\"$'\\e]133;B\\a'\"%}\"" : ""));
    }

    private const string ZshSkeleton = """
        @HEADER@
        @GUARD@
        __cfsession_esc() {
            local s=$1
            s=${s//\\/\\\\}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}; s=${s//$'\e'/\\e}; s=${s//$'\a'/\\a}
            REPLY=$s
        }
        __cfsession_preexec() {
            emulate -L zsh
        @ON_START@
            __cfsession_running=1
        }
        __cfsession_precmd() {
            local st=$? REPLY
            emulate -L zsh
            if (( __cfsession_running )); then
                __cfsession_running=0
        @ON_END@
            fi
        @ON_PROMPT@
            return $st
        }
        @ON_EXIT@
        autoload -Uz add-zsh-hook
        add-zsh-hook preexec __cfsession_preexec
        @EXIT_HOOK@
        precmd_functions=(__cfsession_precmd ${precmd_functions[@]})
        @PS1@
        fi

        """;

    /// <summary>
    /// fish: the fish_preexec and fish_postexec events (builtins run in-process). Marks: E and C, D, and OSC 7 and A on
    /// fish_prompt. Spool: a C line with the duration fish measured (fish has no builtin clock), an X line on fish_exit.
    /// </summary>
    private static string Fish(HookTarget target)
    {
        bool marks = target == HookTarget.Marks;
        return Fill(FishSkeleton,
            ("HEADER", marks
                ? "# cfsession shell integration for fish (OSC 133 A/C/D, OSC 7, OSC 6973 E). Builtins only."
                : "# cfsession init fish: records each command's line, exit code, duration and cwd (no output) into session\n# @SESSION@. Builtins only; sourcing it again does nothing."),
            ("GUARD", marks
                ? "if not set -q __cfsession_hooked; and status is-interactive\n    set -g __cfsession_hooked 1\n    set -g __cfsession_running 0"
                : "if not set -q __cfsession_spool\n    set -g __cfsession_spool @SPOOL@\n    set -gx CFSESSION_ID @SESSION@\n    set -gx CFSESSION_HOOKS_PID $fish_pid"),
            ("ON_START", marks ? """
                        test -n "$argv[1]"; or return
                        set -l line (__cfsession_esc "$argv[1]")
                        set -l op (printf '%08x-%04x-4%03x-%04x-%04x%08x' (random 0 4294967295) (random 0 65535) (random 0 4095) (random 32768 49151) (random 0 65535) (random 0 4294967295))
                        set -gx CFSESSION_PARENT_ID $op
                        printf '\e]6973;E;%s;%s\a\e]133;C\a' $op "$line"
                        set -g __cfsession_running 1
                """ : """
                        set -g __cfsession_cwd $PWD
                """),
            ("ON_END", marks ? """
                        if test "$__cfsession_running" = 1
                            set -g __cfsession_running 0
                            printf '\e]133;D;%s\a' $st
                        end
                """ : """
                        # The command that installed the hooks had no preexec: it is not recorded.
                        set -q __cfsession_cwd; or return
                        test -n "$argv[1]"; or return
                        set -l cwd (__cfsession_esc "$__cfsession_cwd")
                        set -l line (__cfsession_esc "$argv[1]")
                        printf 'C\t-\t-\t%s\t%s\t%s\t%s\n' $st "$cwd" "$line" $CMD_DURATION 2>/dev/null >> $__cfsession_spool
                """),
            ("ON_PROMPT", marks ? """
                    function __cfsession_prompt --on-event fish_prompt
                        printf '\e]7;file://%s%s\a\e]133;A\a' $hostname (string replace -a -- ' ' '%20' (string replace -a -- '%' '%25' $PWD))
                    end
                """ : ""),
            ("ON_EXIT", marks ? "" : """
                    function __cfsession_exit --on-event fish_exit
                        printf 'X\t-\t%s\n' $status 2>/dev/null >> $__cfsession_spool
                    end
                """));
    }

    private const string FishSkeleton = """
        @HEADER@
        @GUARD@
            function __cfsession_esc
                string join -- '\\n' (string replace -a -- '\\' '\\\\' $argv[1] | string replace -a -- \t '\\t' | string replace -a -- \r '\\r' | string replace -a -- \e '\\e' | string replace -a -- \a '\\a')
            end
            function __cfsession_preexec --on-event fish_preexec
        @ON_START@
            end
            function __cfsession_postexec --on-event fish_postexec
                set -l st $status
        @ON_END@
            end
        @ON_PROMPT@
        @ON_EXIT@
        end

        """;
}
