#!/usr/bin/env bash
# The packaging tests (tests/.../Packaging/): the dotnet tool installed from the packed .nupkg into a temporary
# --tool-path, a fresh console app on the library package, the release archive unpacked on a clean path. Slow (every
# NuGet package and two NativeAOT publishes: about 4 minutes on an idle 2-core machine), so a step of its own that
# scripts/test.sh runs after 'dotnet test' (CFSESSION_SKIP_PACKAGING=1 leaves it out); in a plain 'dotnet test'
# these tests report as skipped with the reason.
# Ends with "packaging: N passed, N failed"; writes "N N" to $CFSESSION_PACKAGING_COUNTS when set.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 TZ=UTC
log="$(mktemp)"
set +e
CFSESSION_PACKAGING_TESTS=1 dotnet test tests/ContextForge.SessionLogging.Tests -c Release --nologo \
  --filter "FullyQualifiedName~.Packaging.PackagingTests|FullyQualifiedName~.Packaging.ReleaseArchiveTests" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^(Passed|Failed)!' "$log" | tail -1)"
rm -f "$log"
passed="$(sed -nE 's/.*Passed: *([0-9]+).*/\1/p' <<<"$summary")"
failed="$(sed -nE 's/.*Failed: *([0-9]+),.*/\1/p' <<<"$summary")"
[ -n "${CFSESSION_PACKAGING_COUNTS:-}" ] && echo "${passed:-0} ${failed:-0}" >"$CFSESSION_PACKAGING_COUNTS"
echo "packaging: ${passed:-0} passed, ${failed:-0} failed"
if [ "$status" -ne 0 ] || [ -z "$passed" ] || [ "${passed:-0}" -eq 0 ]; then
  exit 1
fi
