#!/usr/bin/env bash
# zstd settings for the background recompaction (issue 12, storage): ratio and CPU per MB of each candidate on the
# issue's kind of text (`ls -lR /usr` and Python sources from /usr/lib/python3*, as benchmarks/run-capture-speed.sh
# builds it), every candidate on the same text in the same run, CPU time best of RUNS, NativeAOT
# (benchmarks/RecompactionLevels, a tiny harness over ZstdSharp and BlobStore.BackgroundRecompaction).
# Usage: benchmarks/run-recompaction-levels.sh [RUNS] [CANDIDATE...]   (default 3 runs and the harness's list).
# TEXT=FILE uses that text instead. Prints a markdown table (see benchmarks/results/recompaction.md).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
shift || true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rid="linux-x64"; [ "$(uname -m)" = aarch64 ] && rid="linux-arm64"
dotnet publish benchmarks/RecompactionLevels -c Release -r "$rid" -o "$work/bin" --nologo -v quiet
text="${TEXT:-$work/text.txt}"
if [ -z "${TEXT:-}" ]; then
  { ls -lR /usr 2>/dev/null || true; find /usr/lib/python3* -name '*.py' 2>/dev/null | sort | head -2000 | xargs cat 2>/dev/null || true; } > "$text"
fi
"$work/bin/RecompactionLevels" "$text" "$runs" "$@"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
