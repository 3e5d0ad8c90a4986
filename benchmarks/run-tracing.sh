#!/usr/bin/env bash
# Tracing benchmarks (issue 4): EventPipe throughput and lost events per buffer size (a program), and the cost of
# one provider emit with no session and with an EventPipe session attached (BenchmarkDotNet, baseline: an empty
# call measured in the same run). Results go to benchmarks/results/tracing-*.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=benchmarks/ContextForge.SessionLogging.Benchmarks
out=benchmarks/results
mkdir -p "$out"
dotnet build "$project" -c Release --nologo -v quiet
dll="$project/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll"

# 1M TerminalCapture events (500-char OutputSample) emitted flat out, for each circular buffer size in MB
# (256 is the DiagnosticsClient / dotnet-trace default).
dotnet "$dll" throughput 1000000 256 1024 16 > "$out/tracing-eventpipe-throughput.json"

dotnet "$dll" --filter '*EmitWithoutSession*' '*EmitWithEventPipeSession*' --job short --exporters json markdown \
  --artifacts "$out/bdn-tracing"
cp "$out"/bdn-tracing/results/*EmitWithoutSession*-report-github.md "$out/tracing-emit-no-session.md"
cp "$out"/bdn-tracing/results/*EmitWithEventPipeSession*-report-github.md "$out/tracing-emit-with-session.md"
cp "$out"/bdn-tracing/results/*EmitWithoutSession*-report-full-compressed.json "$out/tracing-emit-no-session.json"
cp "$out"/bdn-tracing/results/*EmitWithEventPipeSession*-report-full-compressed.json "$out/tracing-emit-with-session.json"
rm -rf "$out/bdn-tracing"
echo "results: $out/tracing-*"
