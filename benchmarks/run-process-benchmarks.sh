#!/usr/bin/env bash
# Whole-process comparisons with hyperfine (apt: hyperfine 1.15.0-2) and GNU time (apt: time), each against its
# baseline in the same run. Writes benchmarks/results/process-*.{md,json} and process-rss.txt.
# Usage: benchmarks/run-process-benchmarks.sh [SIZE_MB]   (default 1024: the 1 GB capture; never run by the tests)
# PTY=0 skips the pty comparison (at 1 GB it takes ~15 minutes: a pty costs 15-25x a pipe in the kernel).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-1024}"
cf="$(pwd)/artifacts/bin/cfsession"
[ -x "$cf" ] || bash scripts/install.sh
command -v hyperfine >/dev/null || apt-get install -y hyperfine
[ -x /usr/bin/time ] || apt-get install -y time
out="benchmarks/results"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CFSESSION_HOME="$work/home"
hf() { local name="$1"; shift; hyperfine -N --export-markdown "$out/process-$name.md" --export-json "$out/process-$name.json" "$@"; }

{
  echo "# Machine"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
  echo "memory: $(grep MemTotal /proc/meminfo | awk '{print $2/1024/1024 " GiB"}')"
  echo "kernel: $(uname -r); os: $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "filesystem of CFSESSION_HOME: $(df -T "$work" | awk 'NR==2{print $2}')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "hyperfine: $(hyperfine --version); cfsession: NativeAOT $(stat -c %s "$cf") bytes"
} > "$out/process-machine.txt"

# 1. Wrapper overhead: cfsession run -- true vs true (no terminal: pipe mode).
hf run-true -w 5 -r 60 'true' "$cf run -- true"

# 2. 10k lines: bare, cfsession run, util-linux script.
cat > "$work/lines.sh" <<'S'
#!/bin/sh
i=0; while [ $i -lt 10000 ]; do echo "line $i: compiling module src/app/component_$i.c -> obj/component_$i.o [ok]"; i=$((i+1)); done
S
chmod +x "$work/lines.sh"
hf 10k-lines -w 3 -r 20 "$work/lines.sh" "$cf run -- $work/lines.sh" "script -q -c $work/lines.sh /dev/null"

# 3. Capture throughput of a big file. Pipe mode vs cat | tee (same disk write, no hashing); pty mode vs script.
{ base64 -w 120 /dev/urandom 2>/dev/null || true; } | head -c $((size_mb * 1024 * 1024)) > "$work/big.txt"
hf capture-pipe -w 1 -r 3 --prepare "rm -rf $work/home $work/copy; sync" \
  "sh -c 'cat $work/big.txt | tee $work/copy > /dev/null'" \
  "sh -c '$cf run -- cat $work/big.txt > /dev/null'"
[ "${PTY:-1}" = 0 ] || hf capture-pty -w 1 -r 3 --prepare "rm -rf $work/home; sync" \
  "script -q -c 'cat $work/big.txt' /dev/null" \
  "script -q -c '$cf run -- cat $work/big.txt' /dev/null"

# 4. Peak RSS, and memory per captured MB.
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/{gsub(/ /,"",$2); print $2}'; }
rm -rf "$work/home"
pipe_kb="$(rss "$cf" run -- cat "$work/big.txt")"
rm -rf "$work/home"
pty_kb="skipped"; [ "${PTY:-1}" = 0 ] || pty_kb="$(rss script -q -c "$cf run --pty -- cat $work/big.txt" /dev/null)"
rm -rf "$work/home"
true_kb="$(rss "$cf" run -- true)"
{
  echo "captured: $size_mb MiB"
  echo "peak RSS, cfsession run -- true: $true_kb KiB"
  echo "peak RSS, pipe mode (cfsession run -- cat): $pipe_kb KiB"
  echo "peak RSS, pty mode (cfsession run --pty -- cat, under script; the max of script and its children): $pty_kb KiB"
  echo "RSS above the empty run per captured MiB (pipe): $(awk -v a="$pipe_kb" -v b="$true_kb" -v s="$size_mb" 'BEGIN{printf "%.1f KiB", (a-b)/s}')"
} > "$out/process-rss.txt"
cat "$out/process-rss.txt"
