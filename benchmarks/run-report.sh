#!/usr/bin/env bash
# Report load benchmark (issue 19): generates a session of N operations (default 10000) with realistic outputs, writes
# its report with `cfsession report`, and loads it in headless Chromium (the apt build scripts/install-deps.sh pins),
# best of R runs (default 5). The baseline, in the same run, is the report of a 1-operation session. "load" is
# performance.now() at the page's load event (the page records it in <html data-loaded-ms>); "process" is the wall time
# of the whole headless chromium run (start, load, DOM dump, exit). Writes benchmarks/results/report.md.
# Usage: bash benchmarks/run-report.sh [operations] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
OPS="${1:-10000}"
RUNS="${2:-5}"
WORK="${CFSESSION_BENCH_DIR:-${TMPDIR:-/tmp}/cfsession-report-bench}"
rm -rf "$WORK" && mkdir -p "$WORK"
command -v chromium >/dev/null || { echo "run-report: chromium is missing: run scripts/install-deps.sh" >&2; exit 1; }
dotnet build benchmarks/ContextForge.SessionLogging.Benchmarks -c Release --nologo -v quiet >/dev/null
dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
BENCH="dotnet benchmarks/ContextForge.SessionLogging.Benchmarks/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll"
CF="dotnet src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll"

$BENCH report-session "$OPS" "$WORK/big"
$BENCH report-session 1 "$WORK/small"
now_ms() { date +%s%3N; }
t0=$(now_ms); CFSESSION_HOME="$WORK/big" $CF report --all -o "$WORK/big.html" 2>/dev/null; write_big=$(( $(now_ms) - t0 ))
t0=$(now_ms); CFSESSION_HOME="$WORK/small" $CF report --all -o "$WORK/small.html" 2>/dev/null; write_small=$(( $(now_ms) - t0 ))

load() { # file -> "load_ms process_ms"
  local start end dom
  start=$(now_ms)
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$WORK/profile" --dump-dom "file://$1" 2>/dev/null)
  end=$(now_ms)
  echo "$(grep -o 'data-loaded-ms="[0-9]*"' <<<"$dom" | grep -o '[0-9]*') $(( end - start ))"
}
best() { sort -n | head -1; }
big_load=(); big_proc=(); small_load=(); small_proc=()
for _ in $(seq "$RUNS"); do
  read -r l p < <(load "$WORK/small.html"); small_load+=("$l"); small_proc+=("$p")
  read -r l p < <(load "$WORK/big.html"); big_load+=("$l"); big_proc+=("$p")
done
bl=$(printf '%s\n' "${big_load[@]}" | best); bp=$(printf '%s\n' "${big_proc[@]}" | best)
sl=$(printf '%s\n' "${small_load[@]}" | best); sp=$(printf '%s\n' "${small_proc[@]}" | best)
size_big=$(stat -c %s "$WORK/big.html"); size_small=$(stat -c %s "$WORK/small.html")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.1f", a / b }'; }
mkdir -p benchmarks/results
cat > benchmarks/results/report.md <<MD
# Report load in headless Chromium (issue 19)

\`bash benchmarks/run-report.sh $OPS $RUNS\` on $(date -u +%Y-%m-%d) — $(nproc) cores, $(chromium --version 2>/dev/null | head -1),
best of $RUNS. The machine was shared with other engineers' builds and tests while this ran: absolute times are
noisy; the ratio is against the baseline measured in the same run.

Sessions written by the benchmark generator (HistoryGenerator: realistic command outputs of a few KB, some
ANSI-coloured, one in 200 a 64 KB output), report written by \`cfsession report --all\` (JIT build).

| report | operations | HTML size | write (cfsession report) | load event (performance.now) | chromium process (start to exit) |
|---|---:|---:|---:|---:|---:|
| baseline | 1 | $size_small B | $write_small ms | $sl ms | $sp ms |
| big | $OPS | $size_big B | $write_big ms | $bl ms | $bp ms |

Load event: big / baseline = $(ratio "$bl" "$sl")x. Target: the $OPS-operation report loads in at most 1000 ms.
All runs (load ms): baseline ${small_load[*]}; big ${big_load[*]}.
MD
cat benchmarks/results/report.md
