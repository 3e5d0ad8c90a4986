#!/usr/bin/env bash
# History index benchmark: generates histories (default 10k and 100k operations), times catch-up, sessions list,
# filtered query, full-text search and the inspection document, and writes benchmarks/results/history-*.{md,json}.
# Usage: bash benchmarks/run-history.sh [sizes, e.g. 10000,100000,1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/ContextForge.SessionLogging.Benchmarks -c Release --nologo -v quiet
dotnet benchmarks/ContextForge.SessionLogging.Benchmarks/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll history "${1:-10000,100000}" benchmarks/results "${CFSESSION_BENCH_DIR:-${TMPDIR:-/tmp}/cfsession-history-bench}"
