#!/usr/bin/env bash
# Overload: 1M tiny lines, a single 100 MB line and a child printing 256 MB of numbered lines through
# 'cfsession run' (pipes), with and without redaction. --soak adds a child printing 1 GiB (pipes and pty).
# Measures wall time and peak RSS of the cfsession process (GNU time), and checks the stored bytes are exactly what
# the child printed, read back with 'show --output --raw' (same length and SHA-256; nothing in these outputs is a
# secret, so redaction changes nothing; in pty mode the terminal's ONLCR turns each \n into \r\n, and the expected
# hash is taken over the same translation).
#   scripts/overload-test.sh [--big-mb N] [--lines N] [--stream-mb N] [--soak | --ci] [--max-rss-mb N]
#   (defaults: 100 MB line, 1000000 lines, 256 MB stream; --soak: also 1024 MB through pipes and through a pty;
#   --ci: the small version scripts/test.sh runs: 200000 lines, a 20 MB line, a 32 MB stream)
# Exits 1 when any output is not stored exactly, the cap is not applied, or cfsession's peak RSS exceeds
# --max-rss-mb (default 200: memory must not grow with the output).
set -euo pipefail
cd "$(dirname "$0")/.."
big_mb=100 lines=1000000 stream_mb=256 soak=0 max_rss_mb=200 failures=0
while [ $# -gt 0 ]; do
  case "$1" in
    --big-mb) big_mb="$2"; shift 2 ;;
    --lines) lines="$2"; shift 2 ;;
    --stream-mb) stream_mb="$2"; shift 2 ;;
    --soak) soak=1; shift ;;
    --ci) lines=200000 big_mb=20 stream_mb=32; shift ;;
    --max-rss-mb) max_rss_mb="$2"; shift 2 ;;
    *) echo "usage: $0 [--big-mb N] [--lines N] [--stream-mb N] [--soak | --ci] [--max-rss-mb N]" >&2; exit 64 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v /usr/bin/time >/dev/null || { echo "overload-test: needs GNU time (apt-get install time)" >&2; exit 69; }
dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
cli="$(pwd)/src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll"
work="$(mktemp -d /tmp/cfsession-overload.XXXXXX)"
trap 'rm -rf "$work"' EXIT
unset CFSESSION_ID CFSESSION_PARENT_ID

# SHA-256 and length of stdin in one pass ("<hex> <bytes>"); with "crlf", of the bytes with each \n as \r\n.
hash_stream() {
  python3 -c '
import hashlib, sys
crlf = len(sys.argv) > 1 and sys.argv[1] == "crlf"
h, n = hashlib.sha256(), 0
for block in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
    if crlf: block = block.replace(b"\n", b"\r\n")
    h.update(block); n += len(block)
print(h.hexdigest(), n)' "$@"
}

measure() { # name, redact flag, mode (pipes|pty), command...
  local name="$1" flag="$2" mode="$3"; shift 3
  local data="$work/$name$flag"
  mkdir -p "$data"
  local expected stored translate=""
  [ "$mode" = pty ] && translate=crlf
  expected="$("$@" | hash_stream $translate)"
  CFSESSION_HOME="$data" /usr/bin/time -f '%M %e' -o "$work/time" dotnet "$cli" run "--$( [ "$mode" = pty ] && echo pty || echo no-pty )" $flag -- "$@" </dev/null >/dev/null
  read -r rss_kb secs <"$work/time"
  # The stored bytes as cfsession gives them back (blobs may be zstd-compressed on disk).
  local sid op
  sid="$(ls "$data/sessions")"
  op="$(grep -o '"operation_id":"[^"]*"' "$data/sessions/$sid"/*.jsonl | head -1 | cut -d'"' -f4)"
  stored="$(CFSESSION_HOME="$data" dotnet "$cli" show "$sid" --output "$op" --raw | hash_stream)"
  local exact=no; [ "$stored" = "$expected" ] && exact=yes
  [ "$exact" = yes ] && [ $((rss_kb / 1024)) -le "$max_rss_mb" ] || failures=$((failures + 1))
  local blob_mb; blob_mb="$(du -sm "$data/sessions/$sid/blobs" 2>/dev/null | cut -f1)"
  echo "overload: $name $mode ${flag:-redact} bytes=${expected#* } seconds=$secs peak_rss_mb=$((rss_kb / 1024)) stored_exactly=$exact blob_on_disk_mb=${blob_mb:-0}"
  rm -rf "$data"
}

measure "${lines}-lines" "" pipes seq 1 "$lines"
measure "${lines}-lines" "--no-redact" pipes seq 1 "$lines"
measure "one-${big_mb}MB-line" "" pipes sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x"
measure "one-${big_mb}MB-line" "--no-redact" pipes sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x"
# A child printing N MiB of numbered lines (seq cut at exactly N MiB: ~8 bytes a line, the last one cut short).
measure "${stream_mb}MB-stream" "" pipes sh -c "seq 1 1000000000 | head -c $((stream_mb * 1024 * 1024))"
measure "${stream_mb}MB-stream" "--no-redact" pipes sh -c "seq 1 1000000000 | head -c $((stream_mb * 1024 * 1024))"
if [ "$soak" = 1 ]; then
  for mode in pipes pty; do
    measure "1024MB-stream" "" "$mode" sh -c "seq 1 1000000000 | head -c $((1024 * 1024 * 1024))"
    measure "1024MB-stream" "--no-redact" "$mode" sh -c "seq 1 1000000000 | head -c $((1024 * 1024 * 1024))"
  done
fi

# The explicit cap: a 100 MB line with --max-output 10MB is shown in full, 10 MB stored, flagged, true length recorded.
data="$work/capped"; mkdir -p "$data"
CFSESSION_HOME="$data" /usr/bin/time -f '%M %e' -o "$work/time" dotnet "$cli" run --no-pty --max-output 10MB -- \
  sh -c "head -c $((big_mb * 1024 * 1024)) /dev/zero | tr '\\0' x" | wc -c >"$work/shown"
read -r rss_kb secs <"$work/time"
python3 - "$data" "$(cat "$work/shown")" "$secs" "$((rss_kb / 1024))" "$big_mb" <<'PY' || failures=$((failures + 1))
import glob, json, sys
data, shown, secs, rss, big = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]) * 1024 * 1024
ok = False
for seg in glob.glob(f"{data}/sessions/*/*.jsonl"):
    for line in open(seg):
        e = json.loads(line)
        if e["event"] == "TerminalCapture":
            print(f"overload: capped-10MB shown={shown} stored={e['output_length']} truncated={e.get('output_truncated')} "
                  f"received_length={e.get('output_received_length')} seconds={secs} peak_rss_mb={rss}")
            ok = shown == big and e["output_length"] == 10 * 1024 * 1024 and e.get("output_truncated") is True and e.get("output_received_length") == big
sys.exit(0 if ok else 1)
PY
echo "overload: failures=$failures"
[ "$failures" -eq 0 ]
