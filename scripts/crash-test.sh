#!/usr/bin/env bash
# Crash safety with real processes: SIGKILLs 'cfsession run' at random points while its child prints, many times,
# interleaved with runs that complete (acknowledged: 'run' returned). Then checks, with cfsession and with an
# independent reader (python), that every journal still reads, at most the last line of a segment is torn,
# nothing acknowledged is missing, no integrity check fails, validate reports and reindex rebuilds. And that the kills
# are detected at once: every session a killed run owned is "abandoned" (not "open"), the shared session from
# 'cfsession start' stays "open", and every operation started but never captured is an "interrupted_operation".
#
#   scripts/crash-test.sh [--kills N] [--soak] [--keep]
#     --kills N   how many SIGKILLs (default 200, about 2-3 minutes on 2 cores)
#     --soak      1000 kills
#     --keep      keep the data directory and print its path
# Prints one summary line "crash-test: kills=... acknowledged_runs=... acknowledged_lines=... lost=0 integrity_failures=0 ...
# misdetected=0 ..." and exits 1 if anything acknowledged is lost, an integrity check fails or a kill is misdetected.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=200 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --soak) kills=1000; shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--kills N] [--soak] [--keep]" >&2; exit 64 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
cli="$(pwd)/src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll"
data="$(mktemp -d /tmp/cfsession-crash.XXXXXX)"
export CFSESSION_HOME="$data"
unset CFSESSION_ID CFSESSION_PARENT_ID
cf() { dotnet "$cli" "$@"; }
ack_lines_per_run=3
ack_runs=0
start_ns=$(date +%s%N)

# A long-lived shared session: killed runs and acknowledged runs write into it side by side.
shared="$(cf start --name crash-shared 2>/dev/null | sed -n 's/^export CFSESSION_ID=//p')"

for i in $(seq 1 "$kills"); do
  # Half the victims join the shared session, half start their own.
  if [ $((i % 2)) -eq 0 ]; then export CFSESSION_ID="$shared"; else unset CFSESSION_ID; fi
  # dotnet itself is the background job, so $! is the cfsession process (not a subshell).
  dotnet "$cli" run --no-pty -- sh -c 'n=0; while [ $n -lt 40000 ]; do echo "victim '"$i"' line $n"; n=$((n+1)); done' >/dev/null 2>&1 &
  victim=$!
  # Random point in 0-1.5 s: startup (~0.3 s), session start, capture (the child prints for ~1 s), the journal
  # write and the exit.
  delay_ms=$((RANDOM % 1500))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  kill -KILL "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
  # An acknowledged run: it returned 0, so its lines must be in the journal.
  if cf run --no-pty -- sh -c "echo 'ack $i a'; echo 'ack $i b'; echo 'ack $i c'" >/dev/null 2>&1; then
    ack_runs=$((ack_runs + 1))
  fi
done
unset CFSESSION_ID
elapsed_s=$(( ($(date +%s%N) - start_ns) / 1000000000 ))

work="$(mktemp -d /tmp/cfsession-crash-report.XXXXXX)"
cf validate --all --json >"$work/validate.json" 2>/dev/null || true
cf sessions --limit 0 --json >"$work/sessions.json" 2>/dev/null
reindex_rc=0; cf reindex >/dev/null 2>&1 || reindex_rc=$?

set +e
python3 - "$data" "$kills" "$ack_runs" "$ack_lines_per_run" "$elapsed_s" "$reindex_rc" "$work/validate.json" "$work/sessions.json" "$shared" <<'PY'
import glob, hashlib, json, os, sys
data, kills, ack_runs, per_run, elapsed, reindex_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
shared = sys.argv[9]
validate = json.load(open(sys.argv[7]))
sessions = json.load(open(sys.argv[8]))
segments = glob.glob(os.path.join(data, "sessions", "*", "*.jsonl"))
torn = unreadable = chain_breaks = 0
acked = {}
started, captured = {}, set()            # operation id -> session; operation ids with a capture
lifetime, ended = {}, set()              # session -> session_lifetime; sessions with SessionEnd
for seg in segments:
    raw = open(seg, "rb").read()
    lines = raw.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if tail: torn += 1            # only the last line can be incomplete: everything before it ends in \n
    prev = "0" * 64
    seq = 0
    writers = set()                      # format 2: the seqs of this segment's Writer lines, which events refer to
    starts = {}                          # format 2: seq of each OperationStarted line -> its operation id
    for line in complete:
        if not line: continue
        try:
            e = json.loads(line)
        except Exception:
            unreadable += 1; continue
        if e.get("prev") != prev or e.get("seq") != seq + 1: chain_breaks += 1
        prev = hashlib.sha256(line).hexdigest()
        seq = e.get("seq", 0)
        name = e.get("event")
        if name == "Writer": writers.add(e.get("seq")); continue
        if "prov" in e and e["prov"] not in writers: unreadable += 1
        if name == "OperationStarted": starts[e.get("seq")] = e.get("operation_id")
        if "op" in e:                    # format 2: a capture takes its operation id from its OperationStarted line
            if e["op"] not in starts: unreadable += 1
            e["operation_id"] = starts.get(e["op"])
        if name == "OperationStarted": started[e.get("operation_id")] = e.get("session_id")
        if name in ("TerminalCapture", "TerminalCaptureFailed"): captured.add(e.get("operation_id"))
        if name == "SessionStart": lifetime[e.get("session_id")] = e.get("session_lifetime")
        if name == "SessionEnd": ended.add(e.get("session_id"))
        out = e.get("output")
        if e.get("event") == "TerminalCapture" and isinstance(out, str) and out.startswith("ack "):
            acked[out] = acked.get(out, 0) + 1
expected = {f"ack {i} a\nack {i} b\nack {i} c\n" for i in range(1, kills + 1)}
found = sum(1 for o in acked if o in expected)
duplicates = sum(n - 1 for n in acked.values() if n > 1)
lost_runs = ack_runs - found
kinds = {}
for f in validate.get("findings", []):
    kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
integrity = unreadable + chain_breaks + sum(kinds.get(k, 0) for k in ("corrupt_line", "hash_chain_break", "sequence_gap", "capture_hash_mismatch", "capture_output_missing"))
status = {}
for s in sessions: status[s["status"]] = status.get(s["status"], 0) + 1
# Detection: every process is gone now, so a session a run owned and never ended must be abandoned, the shared one
# from 'start' open, and every operation without a capture interrupted. Anything else is a misdetection.
interrupted = sum(1 for op in started if op not in captured)
misdetected = abs(interrupted - kinds.get("interrupted_operation", 0))
for s in sessions:
    sid = s["session_id"]
    want = "open" if sid == shared else "ended" if sid in ended else "abandoned" if lifetime.get(sid) == "process" else None
    if want is not None and s["status"] != want: misdetected += 1
print(f"crash-test: kills={kills} acknowledged_runs={ack_runs} acknowledged_lines={ack_runs * per_run} lost={lost_runs * per_run} "
      f"duplicates={duplicates} integrity_failures={integrity} segments={len(segments)} torn_last_lines={torn} "
      f"validate_findings={json.dumps(kinds, sort_keys=True)} sessions={json.dumps(status, sort_keys=True)} interrupted_operations={interrupted} misdetected={misdetected} reindex_exit={reindex_rc} seconds={elapsed}")
sys.exit(0 if lost_runs == 0 and integrity == 0 and duplicates == 0 and reindex_rc == 0 and torn == kinds.get("torn_line", 0) and misdetected == 0 else 1)
PY
rc=$?
rm -rf "$work"
if [ "$keep" -eq 1 ]; then echo "data directory kept: $data"; else rm -rf "$data"; fi
exit $rc
