#!/usr/bin/env bash
# Team-store ingest benchmark (docs/team-store.md, docs/scale.md): `cfsession sync` of one generated history into a
# fresh database of a throwaway PostgreSQL 15 (scripts/postgres-test-server.sh), by binary COPY (the default) and by
# batched INSERTs (CFSESSION_SYNC_METHOD=insert), with the NativeAOT cfsession (scripts/install.sh) and, when
# CFSESSION_BEFORE names one, an earlier cfsession binary too, in the same run (same data, same server, runs
# interleaved). Reports wall time (best of N), lines/s and events/s, and the CPU seconds of the client process and of
# the whole cluster (the postmaster and its backends, reaped ones included) for the best run.
# CFSESSION_CLI names the binary measured (default artifacts/bin/cfsession).
# Usage: [CFSESSION_BEFORE=path/to/old/cfsession] bash benchmarks/run-team-ingest.sh [OPS (default 10000)] [N (default 3)]
# Writes benchmarks/results/team-ingest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ops="${1:-10000}"; runs="${2:-3}"
cli="${CFSESSION_CLI:-$(pwd)/artifacts/bin/cfsession}"
[ -x "$cli" ] || { echo "run scripts/install.sh first (NativeAOT cfsession)" >&2; exit 1; }
before="${CFSESSION_BEFORE:-}"
work="${CFSESSION_BENCH_DIR:-${TMPDIR:-/tmp}/cfsession-team-ingest}"
rm -rf "$work"; mkdir -p "$work"
pg="$work/pg"
port="$(bash scripts/postgres-test-server.sh start "$pg")"
trap 'bash scripts/postgres-test-server.sh stop "$pg"' EXIT
psql() { command psql -h 127.0.0.1 -p "$port" -U postgres -qAt "$@"; }
server_cpu() { # CPU seconds of the cluster so far: the postmaster, its reaped children, its live children
  local pm tot; pm=$(head -1 "$pg/data/postmaster.pid"); tot=$(awk '{print $14+$15+$16+$17}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do tot=$((tot + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
  awk "BEGIN {printf \"%.2f\", $tot / $(getconf CLK_TCK)}"
}

dotnet build benchmarks/ContextForge.SessionLogging.Benchmarks -c Release --nologo -v quiet >/dev/null
dotnet benchmarks/ContextForge.SessionLogging.Benchmarks/bin/Release/net10.0/ContextForge.SessionLogging.Benchmarks.dll generate "$ops" "$work/history"
lines=$(cat "$work"/history/sessions/*/*.jsonl | wc -l)
events=$(cat "$work"/history/sessions/*/*.jsonl | grep -vc '"event":"Writer"')

declare -A best_ms client_cpu server_cpus
n=0
ingest() { # label binary method
  n=$((n + 1))
  local db="ingest_$n" url; url="postgresql://postgres@127.0.0.1:$port/ingest_$n"
  psql -c "CREATE DATABASE $db" >/dev/null
  CFSESSION_HOME="$work/history" "$2" sync --migrate --to "$url" >/dev/null
  rm -f "$work/history/team-sync.sqlite"*
  local s0 s1 t0 t1 ms; s0=$(server_cpu); t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$work/time" env CFSESSION_HOME="$work/history" CFSESSION_SYNC_METHOD="$3" "$2" sync --to "$url" >/dev/null
  t1=$(date +%s%N); s1=$(server_cpu); ms=$(( (t1 - t0) / 1000000 ))
  psql -c "DROP DATABASE $db" >/dev/null
  if [ -z "${best_ms[$1]:-}" ] || [ "$ms" -lt "${best_ms[$1]}" ]; then
    best_ms[$1]=$ms; client_cpu[$1]=$(awk '{printf "%.2f", $1 + $2}' "$work/time"); server_cpus[$1]=$(awk "BEGIN {printf \"%.2f\", $s1 - $s0}")
  fi
}
labels=()
[ -n "$before" ] && labels+=("before: COPY" "before: batched INSERT")
labels+=("after: COPY" "after: batched INSERT")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$runs"); do
  if [ -n "$before" ]; then ingest "before: COPY" "$before" copy; ingest "before: batched INSERT" "$before" insert; fi
  ingest "after: COPY" "$cli" copy; ingest "after: batched INSERT" "$cli" insert
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

out=benchmarks/results/team-ingest.md
{
  echo "# Team store ingest: \`cfsession sync\` by COPY and by batched INSERT, before and after (NativeAOT)"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on this machine ($(nproc) cores), shared with other engineers' builds and tests"
  echo "(load average $load_before before, $load_after after): wall times are noisy, the ratios are from the same run"
  echo "(runs interleaved). Best of $runs by wall time; the CPU columns are that run's. PostgreSQL 15 throwaway cluster on"
  echo "loopback (fsync off: scripts/postgres-test-server.sh). History: $ops generated operations, $lines journal lines,"
  echo "$events events. Command: \`CFSESSION_BEFORE=${before:-(none)} bash benchmarks/run-team-ingest.sh $ops $runs\`."
  echo
  echo "| binary: method | wall (ms) | lines/s | events/s | client CPU (s) | server CPU (s) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for l in "${labels[@]}"; do
    echo "| $l | ${best_ms[$l]} | $(( lines * 1000 / best_ms[$l] )) | $(( events * 1000 / best_ms[$l] )) | ${client_cpu[$l]} | ${server_cpus[$l]} |"
  done
  echo
  echo "COPY against batched INSERT (after): $(awk "BEGIN {printf \"%.2f\", ${best_ms["after: batched INSERT"]} / ${best_ms["after: COPY"]}}")× faster."
  if [ -n "$before" ]; then
    echo "After against before (COPY): $(awk "BEGIN {printf \"%.2f\", ${best_ms["before: COPY"]} / ${best_ms["after: COPY"]}}")× faster by wall time,"
    echo "$(awk "BEGIN {printf \"%.2f\", (${client_cpu["before: COPY"]} + ${server_cpus["before: COPY"]}) / (${client_cpu["after: COPY"]} + ${server_cpus["after: COPY"]})}")× less CPU (client and server)."
  fi
} > "$out"
cat "$out"
