#!/usr/bin/env bash
# Before/after comparison of a change, both NativeAOT builds measured in the same run on the same data:
# wrapper overhead (run -- true), capture of 10k lines (pipes), run -- true with a session-scoped milestone rule in
# a session of 200 runs, and the history queries (sessions, history, search, inspect) over a generated 10k history.
# Usage: benchmarks/run-refactor-comparison.sh BASE_REF [NAME]   (NAME: results file stem, default refactor-comparison)
# Writes benchmarks/results/NAME.md (hyperfine markdown per case, machine and load average).
set -euo pipefail
cd "$(dirname "$0")/.."
base_ref="$1"
name="${2:-refactor-comparison}"
command -v hyperfine >/dev/null || apt-get install -y hyperfine=1.15.0-2
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "building NativeAOT: $base_ref and the working tree"
git worktree add --detach "$work/base-src" "$base_ref" >/dev/null
(cd "$work/base-src" && bash scripts/install.sh >/dev/null)
bash scripts/install.sh >/dev/null
mkdir -p "$work/before" "$work/after"
cp -r "$work/base-src/artifacts/bin/." "$work/before/"
cp -r artifacts/bin/. "$work/after/"

echo "generating a 10k-operation history"
dotnet build benchmarks/ContextForge.SessionLogging.Benchmarks -c Release --nologo -v quiet >/dev/null
dotnet benchmarks/ContextForge.SessionLogging.Benchmarks/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll history 10000 "$work/hist-results" "$work/hist" >/dev/null
history_dir="$(find "$work/hist" -maxdepth 1 -mindepth 1 -type d | head -1)"
for v in before after; do
  cp -r "$history_dir" "$work/data-$v"
  rm -f "$work/data-$v"/index.sqlite*
  CFSESSION_HOME="$work/data-$v" "$work/$v/cfsession" reindex >/dev/null
  mkdir -p "$work/run-$v" "$work/ms-$v"
  cat > "$work/ms-$v/milestones.json" <<'J'
{ "milestones": [ { "name": "billion_ops", "kind": "operations", "count": 1000000000 } ] }
J
  id="$(CFSESSION_HOME="$work/ms-$v" "$work/$v/cfsession" start --name ms | sed -n 's/^export CFSESSION_ID=//p')"
  for i in $(seq 200); do CFSESSION_HOME="$work/ms-$v" CFSESSION_ID="$id" "$work/$v/cfsession" run --no-pty -- true; done
  echo "$id" > "$work/ms-$v/id"
done
cat > "$work/lines.sh" <<'S'
#!/bin/sh
i=0; while [ $i -lt 10000 ]; do echo "line $i: compiling module src/app/component_$i.c -> obj/component_$i.o [ok]"; i=$((i+1)); done
S
chmod +x "$work/lines.sh"

out="benchmarks/results/$name.md"
{
  echo "# $name: $base_ref (before) vs the working tree at $(git rev-parse --short HEAD) (after)"
  echo
  echo "Date $(date -u +%Y-%m-%dT%H:%M:%SZ); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc);"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); both builds NativeAOT; hyperfine -N, warm-up 3."
  echo "Command: \`bash benchmarks/run-refactor-comparison.sh $base_ref $name\`"
  echo
} > "$out"
case_md() {
  local title="$1"; shift
  echo "## $title" >> "$out"
  hyperfine -N -w 3 "$@" --export-markdown "$work/case.md" >/dev/null
  cat "$work/case.md" >> "$out"
  echo >> "$out"
}
case_md "run -- true (pipes, new session each time)" -r 40 \
  -n before "env CFSESSION_HOME=$work/run-before $work/before/cfsession run --no-pty -- true" \
  -n after "env CFSESSION_HOME=$work/run-after $work/after/cfsession run --no-pty -- true"
case_md "run -- 10k lines (pipes, 0.8 MB)" -r 15 \
  -n before "env CFSESSION_HOME=$work/run-before $work/before/cfsession run --no-pty -- $work/lines.sh" \
  -n after "env CFSESSION_HOME=$work/run-after $work/after/cfsession run --no-pty -- $work/lines.sh"
case_md "run -- true joining a session of 200 runs, with an unreached session-scoped milestone rule" -r 20 \
  -n before "env CFSESSION_HOME=$work/ms-before CFSESSION_ID=$(cat "$work/ms-before/id") $work/before/cfsession run --no-pty -- true" \
  -n after "env CFSESSION_HOME=$work/ms-after CFSESSION_ID=$(cat "$work/ms-after/id") $work/after/cfsession run --no-pty -- true"
for q in "sessions" "history --limit 50" "history --failed --json" "search zyzzogeton" "inspect --json"; do
  case_md "$q (10k operations)" -r 20 \
    -n before "env CFSESSION_HOME=$work/data-before $work/before/cfsession $q" \
    -n after "env CFSESSION_HOME=$work/data-after $work/after/cfsession $q"
done
echo "wrote $out"
