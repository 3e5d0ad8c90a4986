#!/usr/bin/env bash
# Process-level history commands on generated histories (issue 15): the NativeAOT cfsession (scripts/install.sh)
# timed by hyperfine (apt: hyperfine), against `true` in the same run as the process-start baseline.
# For each data directory given (made by `benchmarks/run-history.sh SIZE`, under
# ${CFSESSION_BENCH_DIR:-/tmp/cfsession-history-bench}/SIZE), times:
#   sessions                 the 50 newest sessions
#   history                  the 50 newest events
#   history -l 100           the 100 newest events (every row's fields read back from its journal line)
#   search zyzzogeton        the generator's rare word (one output in a thousand)
#   inspect                  the newest session's inspection document (with 5 other sessions as context); INSPECT=ID
#                            inspects that session instead (the same one for two binaries: each run adds a session)
#   history after a run      `cfsession history -l 1` right after a `cfsession run` joined a session (hyperfine
#                            --prepare): the catch-up reads one change-log record, never lists the session directories
# and, with strace, whether that catch-up opened the sessions directory itself (a listing: it should not) and how many
# directories it opened (the sessions re-examined: those active in the last hour).
# Writes benchmarks/results/history-commands.md (OUT=FILE for another). CF=BINARY times another cfsession (a build
# of an earlier commit, for a before/after in the same run). Usage: benchmarks/run-history-commands.sh DATA_DIR...
set -euo pipefail
cd "$(dirname "$0")/.."
cf="${CF:-$(pwd)/artifacts/bin/cfsession}"
[ -x "$cf" ] || bash scripts/install.sh
out="${OUT:-benchmarks/results/history-commands.md}"
runs="${RUNS:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# CPU time (user + system) of one command, median of $runs: what the command costs, whatever the machine's load.
cpu() { python3 - "$runs" "$@" <<'PY'
import resource, subprocess, sys
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    times.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
times.sort()
print("%.1f" % times[len(times) // 2])
PY
}
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; t=sorted(r["times"]); print("%.1f | %.1f | %.1f" % (r["median"]*1000, t[0]*1000, t[-1]*1000))' "$1"; }
{
  echo "# History commands as processes (NativeAOT)"
  echo
  echo "- command: \`bash benchmarks/run-history-commands.sh $*\`; binary: $cf ($("$cf" --version))"
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- wall: hyperfine $runs runs after 3 warm-ups each, ms: median | min | max. The machine is shared with other builds:"
  echo "  wall medians are upper bounds. cpu: user + system time of the process (getrusage), median of $runs runs, ms."
  echo
  echo "| data directory | sessions | command | wall median | wall min | wall max | cpu median |"
  echo "|---|---:|---|---:|---:|---:|---:|"
} > "$out.tmp"
for dir in "$@"; do
  export CFSESSION_HOME="$dir"
  n=$(find "$dir/sessions" -mindepth 1 -maxdepth 1 -type d | wc -l)
  "$cf" sessions >/dev/null # catch the index up first: the commands below measure a caught-up index
  hyperfine -N -w 3 -r "$runs" --export-json "$work/true.json" "true" >/dev/null
  echo "| $dir | $n | \`true\` (process start baseline) | $(median "$work/true.json") | $(cpu true) |" >> "$out.tmp"
  newest=${INSPECT:-$("$cf" sessions --limit 1 | cut -f1)}
  for c in "sessions" "history" "history -l 100" "search zyzzogeton" "inspect $newest"; do
    hyperfine -N -w 3 -r "$runs" --export-json "$work/c.json" "$cf $c" >/dev/null
    # shellcheck disable=SC2086
    echo "| $dir | $n | \`$c\` | $(median "$work/c.json") | $(cpu "$cf" $c) |" >> "$out.tmp"
  done
  id=$("$cf" start --name history-commands-bench | sed -n 's/^export CFSESSION_ID=//p')
  export CFSESSION_ID="$id"
  hyperfine -w 3 -r "$runs" --export-json "$work/c.json" --prepare "$cf run --no-pty -- echo hello >/dev/null" "$cf history -l 1" >/dev/null
  echo "| $dir | $n | \`history -l 1\` after one \`run\` joined a session | $(median "$work/c.json") | |" >> "$out.tmp"
  "$cf" run --no-pty -- echo hello >/dev/null
  # Did that catch-up list the sessions directory? (It opens only the session directories it re-examines.)
  strace -f -e trace=openat -o "$work/strace.txt" "$cf" history -l 1 >/dev/null
  listed=$(grep -c "\"$dir/sessions\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY" "$work/strace.txt" || true)
  dirs=$(grep -c "O_DIRECTORY" "$work/strace.txt" || true)
  echo "| $dir | $n | that catch-up: opens of \`sessions/\` itself (a listing) / of any directory | $listed / $dirs | | | |" >> "$out.tmp"
  "$cf" end >/dev/null || true
  unset CFSESSION_ID
done
mv "$out.tmp" "$out"
cat "$out"
