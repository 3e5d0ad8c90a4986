#!/usr/bin/env bash
# Records the golden history with the real cfsession (JIT build of this checkout) and the sample app, then makes it
# reproducible with normalize-fixture.py (fixed ids, times, provenance; hash chains recomputed). Run it only to
# make a new fixture: the committed data/ is what earlier versions wrote, and the golden tests read it as such.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
dotnet build "$root/src/ContextForge.SessionLogging.Cli" -c Release --nologo -v quiet >/dev/null
dotnet build "$root/samples/SessionLoggingSample" -c Release --nologo -v quiet >/dev/null
bin="$(mktemp -d)"
printf '#!/bin/sh\nexec dotnet %s "$@"\n' "$root/src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll" >"$bin/cfsession"
chmod +x "$bin/cfsession"
export PATH="$bin:$PATH"
raw="$(mktemp -d)"
export CFSESSION_HOME="$raw"
work="$(mktemp -d)"
cd "$work"
cat >"$raw/milestones.json" <<'JSON'
{ "milestones": [
  { "name": "three_operations", "kind": "operations", "count": 3 },
  { "name": "first_clean_session", "kind": "clean_session" }
] }
JSON

eval "$(cfsession start --name golden-feature --type interactive)"
cfsession run -- sh -c 'echo "building..."; echo "warning: nothing to build" >&2; exit 0'
cfsession run -- sh -c 'echo "connection refused on port 5432"; exit 3' || true
cfsession run -- printf '\033[32mgreen\033[0m done\nsecond line\n'
cfsession run -- sh -c 'seq 1 6000'
cfsession run -- cfsession run -- echo nested output
cfsession run -- sh -c 'exit 0'
cfsession achievement tests_passed "Login tests green" --evidence passed=42 --evidence suite=login --evidence ratio=0.5
cfsession milestone first_release --data version=1.0 --data channel=beta
dotnet "$root/samples/SessionLoggingSample/bin/Release/net10.0/SessionLoggingSample.dll" >/dev/null
eval "$(cfsession end)"

cfsession run --name standalone-echo -- echo hello golden world
cfsession run --name standalone-fail -- sh -c 'echo "fatal: not a git repository" >&2; exit 128' || true
eval "$(cfsession start --name left-open --type review)"
cfsession run -- echo still open
cfsession achievement reviewed "Reviewed the diff" --evidence files=3
unset CFSESSION_ID

rm -rf "$here/data"
python3 "$here/normalize-fixture.py" "$raw" "$here/data" "$work"
rm -rf "$raw" "$work" "$bin"
echo "fixture written to $here/data"
