#!/usr/bin/env bash
# Issue 5 benchmarks (BenchmarkDotNet, one run, ratios to each class's baseline):
#   UnifiedTelemetryBenchmarks: LogSessionEvent with 5 fields, no listener vs an EventListener.
#   LoggingBenchmarks: one structured message through our ILogger provider / Serilog sink vs Microsoft's console
#   and JSON console providers and Serilog's file sink.
# Results (markdown + JSON) and the machine description go to benchmarks/results/unified/.
# Usage: bash benchmarks/run-unified.sh [extra BenchmarkDotNet args, default: --job medium]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=benchmarks/ContextForge.SessionLogging.Benchmarks
out=$(mktemp -d)
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--job medium)
dotnet run -c Release --project "$project" -- --filter '*UnifiedTelemetryBenchmarks*' '*LoggingBenchmarks*' \
  --exporters json markdown --artifacts "$out" "${args[@]}"
mkdir -p benchmarks/results/unified
for f in "$out"/results/*-report-github.md "$out"/results/*-report-full-compressed.json; do
  name=$(basename "$f" | sed 's/^ContextForge\.SessionLogging\.Benchmarks\.//')
  cp "$f" "benchmarks/results/unified/$name"
done
{
  echo "# Machine of the last run-unified.sh"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  echo "- memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- os: $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "- dotnet: $(dotnet --version)"
  echo "- temp dir filesystem (journal and Serilog files): $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}')"
} > benchmarks/results/unified/unified-machine.md
rm -rf "$out"
ls benchmarks/results/unified
