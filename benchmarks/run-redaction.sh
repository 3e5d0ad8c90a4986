#!/usr/bin/env bash
# Redaction throughput, NativeAOT, on realistic text with no secret (benchmarks/ContextForge.SessionLogging.Benchmarks/
# RealisticCorpus.cs: build and app logs, Python/C# source, ls -lR, an npm lockfile, minified JS, base64 blobs).
#  1. the scanner alone: benchmarks/RedactionScan (a tiny NativeAOT harness) feeds the corpus to LineRedactor in 64 KiB
#     writes as the capture path does, best of 5, against passing the same writes through;
#  2. the process: `cfsession run -- cat FILE` (redaction on, and --no-redact) against `cat FILE | tee copy`, each
#     best of 3 in the same hyperfine run (the baseline varies by ~25% on a 2-core machine).
# Usage: benchmarks/run-redaction.sh [SIZE_MB]   (default 256). Writes benchmarks/results/redaction-scan.md.
# ISA=native builds both binaries with -p:IlcInstructionSet=native (AVX2 where the machine has it).
# BASELINE_CF=/path/to/cfsession adds that binary (e.g. main's, built by scripts/install.sh there) to the same run.
# CF=/path/to/cfsession uses an already built binary of this tree instead of publishing one.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-256}"
out="benchmarks/results"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
isa=()
[ "${ISA:-}" = native ] && isa=(-p:IlcInstructionSet=native)
command -v hyperfine >/dev/null || apt-get install -y hyperfine
rid="linux-x64"; [ "$(uname -m)" = aarch64 ] && rid="linux-arm64"
dotnet publish benchmarks/RedactionScan -c Release -r "$rid" "${isa[@]}" -o "$work/scan" --nologo -v quiet
"$work/scan/RedactionScan" write "$work/corpus.txt" "$size_mb"
scan="$("$work/scan/RedactionScan" scan "$work/corpus.txt")"
echo "$scan"

cf="${CF:-$work/cf/cfsession}"
[ -n "${CF:-}" ] || dotnet publish src/ContextForge.SessionLogging.Cli -c Release -r "$rid" -p:PublishAot=true "${isa[@]}" -o "$work/cf" --nologo -v quiet
baseline=()
[ -z "${BASELINE_CF:-}" ] || baseline=("sh -c '$BASELINE_CF run -- cat $work/corpus.txt > /dev/null'")
export CFSESSION_HOME="$work/home"
hyperfine -N -w 1 -r 3 --prepare "rm -rf $work/home $work/copy" --export-json "$work/pipe.json" \
  "sh -c 'cat $work/corpus.txt | tee $work/copy > /dev/null'" \
  "sh -c '$cf run -- cat $work/corpus.txt > /dev/null'" \
  "sh -c '$cf run --no-redact -- cat $work/corpus.txt > /dev/null'" \
  "${baseline[@]}"
best() { python3 -c "import json,sys; r=json.load(open('$work/pipe.json'))['results']; print('%.3f' % min(r[$1]['times']))"; }
base="$(best 0)"; on="$(best 1)"; off="$(best 2)"; main_on=""; [ -z "${BASELINE_CF:-}" ] || main_on="$(best 3)"
ratio() { python3 -c "print('%.2f' % ($1 / $base))"; }
{
  echo "# Redaction throughput (NativeAOT, realistic text with no secret)"
  echo
  echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ). Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc),"
  echo "$(grep MemTotal /proc/meminfo | awk '{printf "%.0f GiB", $2/1024/1024}'), $(. /etc/os-release; echo "$PRETTY_NAME"); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Instruction set: ${ISA:-the SDK default for NativeAOT}. Command: \`bash benchmarks/run-redaction.sh $size_mb\`${ISA:+ with ISA=$ISA}."
  echo
  echo "Scanner alone (benchmarks/RedactionScan, LineRedactor in 64 KiB writes, best of 5):"
  echo
  echo "    $scan"
  echo
  echo "Process, pipes, best of 3 each, same hyperfine run:"
  echo
  echo "| command | best (s) | ratio to cat \\| tee |"
  echo "|---|---|---|"
  echo "| \`cat FILE \\| tee copy >/dev/null\` | $base | 1.00 |"
  echo "| \`cfsession run -- cat FILE >/dev/null\` (redaction on) | $on | $(ratio "$on") |"
  echo "| \`cfsession run --no-redact -- cat FILE >/dev/null\` | $off | $(ratio "$off") |"
  [ -z "$main_on" ] || echo "| baseline \`$BASELINE_CF run -- cat FILE >/dev/null\` (redaction on) | $main_on | $(ratio "$main_on") |"
} > "$out/redaction-scan${ISA:+-$ISA}.md"
cat "$out/redaction-scan${ISA:+-$ISA}.md"
