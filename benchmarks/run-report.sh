#!/usr/bin/env bash
# Report load benchmark (issue 19): generates a session of N operations (default 10000) with realistic outputs, writes
# its report with `cfsession report`, and loads it in headless Chromium (the apt build scripts/install-deps.sh pins),
# best of R runs (default 5). The baseline, in the same run, is the report of a 1-operation session. "load" is
# performance.now() at the page's load event (the page records it in <html data-loaded-ms>): the page is usable, its
# first rows drawn; "all rows" is performance.now() when the last row chunk was drawn in the background
# (<html data-rendered-ms>, read with --virtual-time-budget so chromium waits for it); "process" is the wall time of
# the whole headless chromium run (start, load, DOM dump, exit). The report is written by the NativeAOT cfsession
# (scripts/install.sh builds artifacts/bin/cfsession; CFSESSION_BENCH_CLI=jit uses the JIT build instead).
# Writes benchmarks/results/report.md.
# Usage: bash benchmarks/run-report.sh [operations] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
OPS="${1:-10000}"
RUNS="${2:-5}"
WORK="${CFSESSION_BENCH_DIR:-${TMPDIR:-/tmp}/cfsession-report-bench}"
rm -rf "$WORK" && mkdir -p "$WORK"
command -v chromium >/dev/null || { echo "run-report: chromium is missing: run scripts/install-deps.sh" >&2; exit 1; }
dotnet build benchmarks/ContextForge.SessionLogging.Benchmarks -c Release --nologo -v quiet >/dev/null
BENCH="dotnet benchmarks/ContextForge.SessionLogging.Benchmarks/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll"
if [ "${CFSESSION_BENCH_CLI:-aot}" = jit ]; then
  dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
  CF="dotnet src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll" BUILD="JIT build"
else
  bash scripts/install.sh >/dev/null
  CF="artifacts/bin/cfsession" BUILD="NativeAOT build, artifacts/bin/cfsession from scripts/install.sh"
fi

$BENCH report-session "$OPS" "$WORK/big"
$BENCH report-session 1 "$WORK/small"
now_ms() { date +%s%3N; }
t0=$(now_ms); CFSESSION_HOME="$WORK/big" $CF report --all -o "$WORK/big.html" 2>/dev/null; write_big=$(( $(now_ms) - t0 ))
t0=$(now_ms); CFSESSION_HOME="$WORK/small" $CF report --all -o "$WORK/small.html" 2>/dev/null; write_small=$(( $(now_ms) - t0 ))

load() { # file -> "load_ms process_ms all_rows_ms"
  local start end dom all
  start=$(now_ms)
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$WORK/profile" --dump-dom "file://$1" 2>/dev/null)
  end=$(now_ms)
  # A second run waits (virtual time) for the background drawing of every row.
  all=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$WORK/profile" --virtual-time-budget=30000 --dump-dom "file://$1" 2>/dev/null | head -c 400 | grep -o 'data-rendered-ms="[0-9]*"' | grep -o '[0-9]*' || echo 0)
  echo "$(grep -o 'data-loaded-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*') $(( end - start )) $all"
}
best() { sort -n | head -1; }
big_load=(); big_proc=(); big_all=(); small_load=(); small_proc=(); small_all=()
for _ in $(seq "$RUNS"); do
  read -r l p a < <(load "$WORK/small.html"); small_load+=("$l"); small_proc+=("$p"); small_all+=("$a")
  read -r l p a < <(load "$WORK/big.html"); big_load+=("$l"); big_proc+=("$p"); big_all+=("$a")
done
bl=$(printf '%s\n' "${big_load[@]}" | best); bp=$(printf '%s\n' "${big_proc[@]}" | best); ba=$(printf '%s\n' "${big_all[@]}" | best)
sl=$(printf '%s\n' "${small_load[@]}" | best); sp=$(printf '%s\n' "${small_proc[@]}" | best); sa=$(printf '%s\n' "${small_all[@]}" | best)
size_big=$(stat -c %s "$WORK/big.html"); size_small=$(stat -c %s "$WORK/small.html")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.1f", a / b }'; }
mkdir -p benchmarks/results
cat > benchmarks/results/report.md <<MD
# Report load in headless Chromium (issue 19)

\`bash benchmarks/run-report.sh $OPS $RUNS\` on $(date -u +%Y-%m-%d) — $(nproc) cores, $(chromium --version 2>/dev/null | head -1),
best of $RUNS. The machine was shared with other engineers' builds and tests while this ran: absolute times are
noisy; the ratio is against the baseline measured in the same run.

Sessions written by the benchmark generator (HistoryGenerator: realistic command outputs of a few KB, some
ANSI-coloured, one in 200 a 64 KB output), report written by \`cfsession report --all\` ($BUILD).

| report | operations | HTML size | write (cfsession report) | load event (performance.now) | all rows drawn (virtual time) | chromium process (start to exit) |
|---|---:|---:|---:|---:|---:|---:|
| baseline | 1 | $size_small B | $write_small ms | $sl ms | $sa ms | $sp ms |
| big | $OPS | $size_big B | $write_big ms | $bl ms | $ba ms | $bp ms |

Load event: big / baseline = $(ratio "$bl" "$sl")x. Target: the $OPS-operation report loads in at most 1000 ms.
All runs (load ms): baseline ${small_load[*]}; big ${big_load[*]}. All rows drawn (ms): big ${big_all[*]}.
MD
cat benchmarks/results/report.md
