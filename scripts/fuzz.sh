#!/usr/bin/env bash
# Random-mutation fuzzing (no coverage guidance) of the journal reader, the redaction.json parser and the CLI's
# argument handling, for a bounded number of iterations (tests/.../Fuzz/MutationFuzzTests.cs).
#   scripts/fuzz.sh [--iterations N] [--seed N]     (defaults: 20000 iterations, a time-based seed)
# A failure prints the seed: rerun with it to reproduce, then add the input as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=20000 seed=$(( $(date +%s) % 100000 ))
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: $0 [--iterations N] [--seed N]" >&2; exit 64 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 CFSESSION_FUZZ_ITERATIONS="$iterations" CFSESSION_FUZZ_SEED="$seed"
echo "fuzz: iterations=$iterations seed=$seed"
dotnet test tests/ContextForge.SessionLogging.Tests --nologo --filter "FullyQualifiedName~MutationFuzzTests" 2>&1 | grep -E "Passed!|Failed!|Failed |Error Message|Exception|internal error|at ContextForge" | head -40
