#!/usr/bin/env bash
# Overload: 1M tiny lines and a single 100 MB line through 'cfsession run' (pipes), with and without redaction.
# Measures wall time and peak RSS of the cfsession process (GNU time), and checks the stored blob is exactly what
# the child printed, read back with 'show --output --raw' (same length and SHA-256; nothing in these outputs is a secret, so redaction changes nothing).
#   scripts/overload-test.sh [--big-mb N] [--lines N]      (defaults: 100 MB, 1000000 lines)
set -euo pipefail
cd "$(dirname "$0")/.."
big_mb=100 lines=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --big-mb) big_mb="$2"; shift 2 ;;
    --lines) lines="$2"; shift 2 ;;
    *) echo "usage: $0 [--big-mb N] [--lines N]" >&2; exit 64 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v /usr/bin/time >/dev/null || { echo "overload-test: needs GNU time (apt-get install time)" >&2; exit 69; }
dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
cli="$(pwd)/src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll"
work="$(mktemp -d /tmp/cfsession-overload.XXXXXX)"
trap 'rm -rf "$work"' EXIT
unset CFSESSION_ID CFSESSION_PARENT_ID

measure() { # name, redact flag, command...
  local name="$1" flag="$2"; shift 2
  local data="$work/$name$flag"
  mkdir -p "$data"
  local expected_sha expected_len
  expected_sha="$("$@" | sha256sum | cut -d' ' -f1)"
  expected_len="$("$@" | wc -c)"
  CFSESSION_HOME="$data" /usr/bin/time -f '%M %e' -o "$work/time" dotnet "$cli" run --no-pty $flag -- "$@" >/dev/null
  read -r rss_kb secs <"$work/time"
  # The stored bytes as cfsession gives them back (blobs may be zstd-compressed on disk).
  local sid op stored_sha stored_len
  sid="$(ls "$data/sessions")"
  op="$(grep -o '"operation_id":"[^"]*"' "$data/sessions/$sid"/*.jsonl | head -1 | cut -d'"' -f4)"
  stored_sha="$(CFSESSION_HOME="$data" dotnet "$cli" show "$sid" --output "$op" --raw | sha256sum | cut -d' ' -f1)"
  stored_len="$(CFSESSION_HOME="$data" dotnet "$cli" show "$sid" --output "$op" --raw | wc -c)"
  local exact=no; [ "$stored_sha" = "$expected_sha" ] && [ "$stored_len" = "$expected_len" ] && exact=yes
  echo "overload: $name ${flag:-redact} bytes=$expected_len seconds=$secs peak_rss_mb=$((rss_kb / 1024)) stored_exactly=$exact"
  rm -rf "$data"
}

measure "1M-lines" "" seq 1 "$lines"
measure "1M-lines" "--no-redact" seq 1 "$lines"
measure "one-${big_mb}MB-line" "" sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x"
measure "one-${big_mb}MB-line" "--no-redact" sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x"

# The explicit cap: a 100 MB line with --max-output 10MB is shown in full, 10 MB stored, flagged, true length recorded.
data="$work/capped"; mkdir -p "$data"
CFSESSION_HOME="$data" /usr/bin/time -f '%M %e' -o "$work/time" dotnet "$cli" run --no-pty --max-output 10MB -- \
  sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x" | wc -c >"$work/shown"
read -r rss_kb secs <"$work/time"
python3 - "$data" "$(cat "$work/shown")" "$secs" "$((rss_kb / 1024))" <<'PY'
import glob, json, sys
data, shown, secs, rss = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for seg in glob.glob(f"{data}/sessions/*/*.jsonl"):
    for line in open(seg):
        e = json.loads(line)
        if e["event"] == "TerminalCapture":
            print(f"overload: capped-10MB shown={shown} stored={e['output_length']} truncated={e.get('output_truncated')} "
                  f"received_length={e.get('output_received_length')} seconds={secs} peak_rss_mb={rss}")
PY
