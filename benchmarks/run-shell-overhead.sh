#!/usr/bin/env bash
# cfsession shell and hook-only mode (issue 16), NativeAOT (scripts/install.sh -> artifacts/bin/cfsession), each
# against a baseline measured in the same run (best of N vs best of N; commands typed ahead into the shell's pty):
#  throughput: `script -qc "cfsession shell -- bash"` running `cat FILE` vs the same in a nested `script`
#              (`script -qc "script -qc 'bash -i'"`): both have two ptys;
#  per command at the prompt: 1000 `true` typed into `cfsession shell -- bash` vs into `script -qc 'bash -i'`,
#              minus the same with no command (start and exit), divided by 1000;
#  hook-only per prompt: 1000 `true` in `bash -i` whose rc runs `eval "$(cfsession init bash)"` vs a plain `bash -i`,
#              the same difference.
# Usage: benchmarks/run-shell-overhead.sh [SIZE_MB] [RUNS]   (defaults 64, 5). CF=/path/to/cfsession skips the install.
# Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-64}"
runs="${2:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cf="${CF:-artifacts/bin/cfsession}"
[ -n "${CF:-}" ] || bash scripts/install.sh >/dev/null
cf="$(realpath "$cf")"
mkdir -p "$work/bin" "$work/userhome"
ln -s "$cf" "$work/bin/cfsession"
export PATH="$work/bin:$PATH" HOME="$work/userhome" HISTFILE=/dev/null CFSESSION_HOME="$work/home"
unset CFSESSION_ID CFSESSION_PARENT_ID PROMPT_COMMAND
head -c $((size_mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 > "$work/corpus.txt"
printf 'cat %s\nexit\n' "$work/corpus.txt" > "$work/throughput.in"
printf 'exit\n' > "$work/empty.in"
{ for _ in $(seq 1000); do echo true; done; echo exit; } > "$work/commands.in"
printf 'PS1="$ "\neval "$(cfsession init bash)"\n' > "$work/hooks.rc"
printf 'PS1="$ "\n' > "$work/plain.rc"

# best_of NAME INPUT COMMAND: the best wall time (s) of $runs runs of COMMAND with INPUT as its terminal input.
best_of() {
  local input="$2" cmd="$3" best=""
  for _ in $(seq "$runs"); do
    rm -rf "$work/home"
    local t0 t1
    t0=$(date +%s.%N)
    script -q -c "$cmd" /dev/null < "$input" > /dev/null
    t1=$(date +%s.%N)
    best=$(python3 -c "t=$t1-$t0; b='$best'; print(min(t, float(b)) if b else t)")
  done
  printf '%.4f' "$best"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
nested="script -q -c 'bash --rcfile $work/plain.rc -i' /dev/null"
shell="$cf shell -- bash"
plain="bash --rcfile $work/plain.rc -i"
hooked="bash --rcfile $work/hooks.rc -i"
t_base=$(best_of x "$work/throughput.in" "$nested")
t_cf=$(best_of x "$work/throughput.in" "$shell")
c_base_n=$(best_of x "$work/commands.in" "$plain"); c_base_0=$(best_of x "$work/empty.in" "$plain")
c_cf_n=$(best_of x "$work/commands.in" "$shell"); c_cf_0=$(best_of x "$work/empty.in" "$shell")
h_n=$(best_of x "$work/commands.in" "$hooked"); h_0=$(best_of x "$work/empty.in" "$hooked")
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
per() { python3 -c "print('%.3f' % ((($1 - $2) - ($3 - $4)) / 1000 * 1000))"; }
echo "corpus: $(stat -c %s "$work/corpus.txt") bytes; best of $runs; load average before: $load_before; after: $load_after; $(nproc) cores (shared with other builds)"
echo
echo "| measure | cfsession | baseline (same run) | result | target |"
echo "|---|---|---|---|---|"
echo "| pty throughput: \`cat FILE\` in \`cfsession shell\` vs nested \`script\` | $t_cf s | $t_base s | $(python3 -c "print('%.2f' % ($t_cf / $t_base))")x | <= 1.10x |"
echo "| per command at the prompt (1000 \`true\`): \`cfsession shell -- bash\` vs \`script -qc 'bash -i'\` | $c_cf_n s (start+exit $c_cf_0 s) | $c_base_n s (start+exit $c_base_0 s) | $(per "$c_cf_n" "$c_cf_0" "$c_base_n" "$c_base_0") ms | <= 2 ms |"
echo "| hook-only per prompt (1000 \`true\`): \`eval \"\$(cfsession init bash)\"\` vs plain \`bash -i\` | $h_n s (start+exit $h_0 s) | $c_base_n s (start+exit $c_base_0 s) | $(per "$h_n" "$h_0" "$c_base_n" "$c_base_0") ms | <= 5 ms |"
