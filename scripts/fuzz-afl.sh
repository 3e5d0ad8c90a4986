#!/usr/bin/env bash
# Coverage-guided fuzzing with afl++ and SharpFuzz (on top of the random-mutation fuzzing of scripts/fuzz.sh).
#   scripts/fuzz-afl.sh [--target NAME|all] [--seconds N] [--soak] [--jobs N] [--keep]
# Targets (fuzz/ContextForge.SessionLogging.Fuzz/FuzzTargets.cs): journal-reader, trace-reader, redaction-config,
# milestones-config, cli-args, quantities, trace-payload. Each runs under afl-fuzz for N seconds (default 15;
# --soak: 600), up to --jobs targets at once (default: the number of cores). Installs afl++ (pinned) when missing,
# restores the pinned sharpfuzz tool, builds the harness, instruments our assemblies (and TraceEvent's parser,
# which reads .nettrace), generates the seed corpora, then replays every saved crash and hang through the
# uninstrumented harness. One summary line per target; exit 1 when any target saved a crash (or a hang that
# reproduces). Crash inputs are copied to artifacts/fuzz-crashes/<target>/; --keep keeps the whole work directory
# (artifacts/fuzz: afl output with queue, crashes, fuzzer_stats). A crash becomes a regression test: minimise it
# (afl-tmin, see docs/reliability.md), put it under tests/ContextForge.SessionLogging.Tests/Fuzz/Regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target=all seconds=15 keep=0 jobs="$(nproc)"
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --soak) seconds=600; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--target NAME|all] [--seconds N] [--soak] [--jobs N] [--keep]" >&2; exit 64 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
started=$(date +%s)

# 1. afl++, pinned (Debian 12's package).
afl_version=4.04c-4
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "fuzz-afl: installing afl++=$afl_version"
  if [ "$(id -u)" -ne 0 ]; then echo "fuzz-afl: afl-fuzz is missing and installing it needs root (apt-get install afl++=$afl_version)" >&2; exit 69; fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "afl++=$afl_version") </dev/null >/dev/null
fi

# 2. The pinned sharpfuzz tool, the harness, and an instrumented copy of it.
dotnet tool restore >/dev/null
work="$root/artifacts/fuzz"
rm -rf "$work"
mkdir -p "$work"
dotnet build fuzz/ContextForge.SessionLogging.Fuzz -c Release --nologo -v quiet -o "$work/plain" </dev/null | grep -E "error|rror CS" || true
[ -f "$work/plain/ContextForge.SessionLogging.Fuzz.dll" ] || { echo "fuzz-afl: build failed" >&2; exit 1; }
cp -r "$work/plain" "$work/instrumented"
# Our assemblies, plus the TraceEvent assemblies that parse .nettrace (not the BCL, not SharpFuzz, not the harness).
for dll in ContextForge.SessionLogging.dll ContextForge.SessionLogging.Tracing.dll cfsession.dll \
           Microsoft.Diagnostics.Tracing.TraceEvent.dll Microsoft.Diagnostics.FastSerialization.dll; do
  dotnet tool run sharpfuzz "$work/instrumented/$dll" >/dev/null
done
harness="$work/plain/ContextForge.SessionLogging.Fuzz.dll"
fuzzed="$work/instrumented/ContextForge.SessionLogging.Fuzz.dll"
mapfile -t all_targets < <(dotnet "$harness" --list)
if [ "$target" = all ]; then targets=("${all_targets[@]}"); else targets=("$target"); fi
for t in "${targets[@]}"; do
  printf '%s\n' "${all_targets[@]}" | grep -qx -- "$t" || { echo "fuzz-afl: unknown target '$t' (known: ${all_targets[*]})" >&2; exit 64; }
done

# 3. Seed corpora: committed small files (fuzz/corpus/<target>/) plus a real journal segment and real traces.
seeds="$work/seeds"
mkdir -p "$seeds"
for t in "${all_targets[@]}"; do
  mkdir -p "$seeds/in/$t"
  [ -d "fuzz/corpus/$t" ] && cp fuzz/corpus/"$t"/* "$seeds/in/$t/"
done
export CFSESSION_HOME="$seeds/home"
cli="$work/plain/cfsession.dll"
dotnet "$cli" trace record -o "$seeds/in/trace-reader/run-exit-3.nettrace" -- sh -c 'echo hi; exit 3' </dev/null >/dev/null 2>&1 || true
dotnet "$cli" trace record -o "$seeds/in/trace-reader/run-ok.nettrace" -n seed -t test -- true </dev/null >/dev/null 2>&1 || true
find "$CFSESSION_HOME/sessions" -name '*.jsonl' | head -2 | while read -r segment; do cp "$segment" "$seeds/in/journal-reader/"; done
unset CFSESSION_HOME
for t in "${targets[@]}"; do
  [ -n "$(ls -A "$seeds/in/$t")" ] || { echo "fuzz-afl: no seeds for $t" >&2; exit 1; }
done

# 4. afl-fuzz, --jobs targets at a time, each for $seconds.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  AFL_SKIP_CRASHES=1 AFL_IGNORE_SEED_PROBLEMS=1 AFL_NO_WARN_INSTABILITY=1
run_target() {
  local t="$1" dict=()
  case "$t" in
    cli-args) dict=(-x "$root/fuzz/dict/cli-args.dict") ;;
    redaction-config|milestones-config|trace-payload) dict=(-x "$root/fuzz/dict/json.dict") ;;
  esac
  # -t: the per-input limit (ms); the first input of each child also pays for JIT.
  afl-fuzz -i "$seeds/in/$t" -o "$work/out/$t" -t 5000 -m none -V "$seconds" "${dict[@]}" -- dotnet "$fuzzed" "$t" \
    </dev/null >"$work/afl-$t.log" 2>&1
}
mkdir -p "$work/out"
echo "fuzz-afl: ${#targets[@]} target(s) x ${seconds}s, $jobs at a time"
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

# 5. Replay crashes and hangs through the uninstrumented harness; one line per target.
failed=0
stat() { sed -nE "s/^$1 *: *([^ ]+).*/\1/p" "$2" 2>/dev/null | head -1; }
for t in "${targets[@]}"; do
  dir="$work/out/$t/default"
  stats="$dir/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz-afl: $t: afl-fuzz did not run; its log:"; tail -15 "$work/afl-$t.log"; failed=1; continue
  fi
  crashes=(); hangs=()
  for f in "$dir"/crashes/id:*; do [ -e "$f" ] && crashes+=("$f"); done
  for f in "$dir"/hangs/id:*; do [ -e "$f" ] && hangs+=("$f"); done
  reproduced=0 hung=0
  if [ "${#crashes[@]}" -gt 0 ]; then
    mkdir -p "$root/artifacts/fuzz-crashes/$t"
    cp "${crashes[@]}" "$root/artifacts/fuzz-crashes/$t/"
    dotnet "$harness" "$t" "${crashes[@]}" </dev/null | grep -aE "^(CRASH|HANG)|^ *at " | head -20 | cut -c1-300 | sed "s|^|  $t: |" || true
    reproduced=$(dotnet "$harness" "$t" "${crashes[@]}" </dev/null | grep -acE "^(CRASH|HANG)" || true)
    failed=1
  fi
  if [ "${#hangs[@]}" -gt 0 ]; then
    # afl's hang limit is 5 s on a loaded machine; a hang counts when the replay is still running after 30 s.
    if ! CFSESSION_FUZZ_HANG_SECONDS=30 dotnet "$harness" "$t" "${hangs[@]}" </dev/null >"$work/hangs-$t.txt"; then hung=1; failed=1; sed "s|^|  $t: |" "$work/hangs-$t.txt" | grep -aE "CRASH|HANG" | head -5; fi
    if [ "$hung" -eq 0 ]; then sed -nE 's/^(ok|rejected) .*\(([0-9]+) ms\).*/\2/p' "$work/hangs-$t.txt" | sort -n | tail -1 | sed "s|^|  $t: hangs replay without crashing; slowest ms: |"; fi
  fi
  execs=$(stat execs_done "$stats"); rate=$(stat execs_per_sec "$stats"); corpus=$(stat corpus_count "$stats"); edges=$(stat edges_found "$stats")
  echo "fuzz-afl: $t: ${execs:-0} execs (${rate:-0}/s), corpus ${corpus:-0}, edges ${edges:-0}, crashes ${#crashes[@]} (reproduced $reproduced), hangs ${#hangs[@]}$([ "$hung" -eq 1 ] && echo ' (one reproduces)')"
done
[ "$keep" -eq 1 ] && echo "fuzz-afl: kept $work" || rm -rf "$work"
echo "fuzz-afl: $([ "$failed" -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - started ))s"
exit "$failed"
