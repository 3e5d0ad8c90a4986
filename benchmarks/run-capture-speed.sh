#!/usr/bin/env bash
# Capture speed with redaction on (issue 12), NativeAOT (scripts/install.sh -> artifacts/bin/cfsession), on the
# realistic corpus (benchmarks/RedactionScan write: logs, source, ls -lR, lockfiles, minified JS, base64; no secret).
#  pipes: `cfsession run -- cat FILE >/dev/null` vs `cat FILE | tee copy >/dev/null`, best of 3 vs best of 3, one run;
#  pty:   `script -qc 'cfsession run --pty -- cat FILE'` vs `script -qc "script -qc 'cat FILE'"` (two ptys each).
# Usage: benchmarks/run-capture-speed.sh [SIZE_MB] [PTY_MB]   (defaults 212 and 50, the issue's sizes: the pty run uses the
# first PTY_MB of the corpus). CF=/path/to/cfsession skips the install;
# CORPUS=FILE uses an existing corpus; BASELINE_CF=/path/to/cfsession adds that binary (redaction on) to both runs. Prints a markdown table (ratios are best/best within this run).
# Storage is measured after the background recompaction (level 16 up to 64 MiB, else 14; 8 MiB window) on the issue's kind of text, each part once (no repetition for a window to find):
# `ls -lR /usr`, Python sources from /usr/lib/python3*, and BUILD_LOG=FILE (a `dotnet build -v n` log) when given;
# SPEED_CORPUS_STORAGE=1 also measures it on the speed corpus (a third of it random by construction).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-212}"
pty_mb="${2:-50}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v hyperfine >/dev/null || apt-get install -y hyperfine
cf="${CF:-artifacts/bin/cfsession}"
[ -n "${CF:-}" ] || bash scripts/install.sh >/dev/null
cf="$(realpath "$cf")"
corpus="${CORPUS:-$work/corpus.txt}"
if [ -z "${CORPUS:-}" ]; then
  rid="linux-x64"; [ "$(uname -m)" = aarch64 ] && rid="linux-arm64"
  dotnet publish benchmarks/RedactionScan -c Release -r "$rid" -o "$work/scan" --nologo -v quiet
  "$work/scan/RedactionScan" write "$corpus" "$size_mb"
fi
head -c "$((pty_mb << 20))" "$corpus" > "$work/pty-corpus.txt"
pty_corpus="$work/pty-corpus.txt"
export CFSESSION_HOME="$work/home"
# The timed runs leave their blob store-only: the background recompaction a run starts (at nice 19, after the command
# has returned) would otherwise run during the next timed run and race with --prepare's rm -rf. The storage step at the
# end measures it.
export CFSESSION_RECOMPACT=off
bp=(); bt=()
[ -z "${BASELINE_CF:-}" ] || { bp=("sh -c '$BASELINE_CF run -- cat $corpus > /dev/null'"); bt=("script -q -c '$BASELINE_CF run --pty -- cat $pty_corpus' /dev/null"); }
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 1 -r 3 --prepare "rm -rf $work/home $work/copy" --export-json "$work/pipe.json" \
  "sh -c 'cat $corpus | tee $work/copy > /dev/null'" \
  "sh -c '$cf run -- cat $corpus > /dev/null'" \
  "sh -c '$cf run --no-redact -- cat $corpus > /dev/null'" "${bp[@]}"
hyperfine -N -w 1 -r 3 --prepare "rm -rf $work/home" --export-json "$work/pty.json" \
  "script -q -c \"script -q -c 'cat $pty_corpus' /dev/null\" /dev/null" \
  "script -q -c '$cf run --pty -- cat $pty_corpus' /dev/null" \
  "script -q -c '$cf run --pty --no-redact -- cat $pty_corpus' /dev/null" "${bt[@]}"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
best() { python3 -c "import json; r=json.load(open('$work/$1.json'))['results']; print('%.3f' % min(r[$2]['times']))"; }
# CPU seconds (user + system, mean of the runs): less sensitive to other processes on the machine than wall time.
cpu() { python3 -c "import json; r=json.load(open('$work/$1.json'))['results'][$2]; print('%.2f' % (r['user'] + r['system']))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
p0="$(best pipe 0)"; p1="$(best pipe 1)"; p2="$(best pipe 2)"
t0="$(best pty 0)"; t1="$(best pty 1)"; t2="$(best pty 2)"
echo "corpus: $(stat -c %s "$corpus") bytes (pty: $(stat -c %s "$pty_corpus")); load average before: $load_before; after: $load_after; $(nproc) cores"
echo
echo "| mode | command | best of 3 (s) | ratio to baseline | CPU s (user+sys, mean) |"
echo "|---|---|---|---|---|"
echo "| pipes | \`cat FILE \\| tee copy >/dev/null\` (baseline) | $p0 | 1.00 | $(cpu pipe 0) |"
echo "| pipes | \`cfsession run -- cat FILE >/dev/null\` (redaction on) | $p1 | $(ratio "$p1" "$p0") | $(cpu pipe 1) |"
echo "| pipes | \`cfsession run --no-redact -- cat FILE >/dev/null\` | $p2 | $(ratio "$p2" "$p0") | $(cpu pipe 2) |"
echo "| pty | \`script -qc \"script -qc 'cat FILE'\"\` (baseline) | $t0 | 1.00 | $(cpu pty 0) |"
echo "| pty | \`script -qc 'cfsession run --pty -- cat FILE'\` (redaction on) | $t1 | $(ratio "$t1" "$t0") | $(cpu pty 1) |"
echo "| pty | \`script -qc 'cfsession run --pty --no-redact -- cat FILE'\` | $t2 | $(ratio "$t2" "$t0") | $(cpu pty 2) |"
if [ -n "${BASELINE_CF:-}" ]; then
  p3="$(best pipe 3)"; t3="$(best pty 3)"
  echo "| pipes | baseline \`$BASELINE_CF run -- cat FILE >/dev/null\` (redaction on) | $p3 | $(ratio "$p3" "$p0") | $(cpu pipe 3) |"
  echo "| pty | baseline \`script -qc '$BASELINE_CF run --pty -- cat FILE'\` (redaction on) | $t3 | $(ratio "$t3" "$t0") | $(cpu pty 3) |"
fi
# Storage of the speed corpus (SPEED_CORPUS_STORAGE=1; its 222 MB take minutes of background CPU): one
# redacted pipe run with the background recompaction on; the blob as captured (store-only), and after the detached
# recompaction finished (no reindex), with the time it took after run returned.
# Waits (at most $2 half-seconds) until the background recompaction has rewritten blob $1: its first frame is no longer
# the store-only one the capture wrote (28 b5 2f fd 00 39), and the recompaction's lock is free.
wait_recompacted() {
  for _ in $(seq 1 "$2"); do
    [ "$(head -c 6 "$1" | od -An -tx1 | tr -d ' \n')" = "28b52ffd0039" ] || break
    sleep 0.5
  done
  while ! flock -n "$(dirname "$1")/.recompact.lock" true; do sleep 0.2; done
}
if [ "${SPEED_CORPUS_STORAGE:-0}" = 1 ]; then
rm -rf "$work/home"
t0="$(date +%s.%N)"; CFSESSION_RECOMPACT= "$cf" run -- cat "$corpus" > /dev/null; t1="$(date +%s.%N)"
blob="$(find "$work/home" -path '*/blobs/*.zst' ! -name '.*' | head -1)"
raw="$(stat -c %s "$blob")"
wait_recompacted "$blob" 1200; t2="$(date +%s.%N)"
packed="$(stat -c %s "$blob")"
echo
echo "storage of one capture: $raw bytes as captured (store-only); $packed after the background recompaction ($(python3 -c "print('%.3f' % ($packed / $(stat -c %s "$corpus")))")x raw), done $(python3 -c "print('%.1f' % ($t2 - $t1))") s after run returned (run itself: $(python3 -c "print('%.2f' % ($t1 - $t0))") s)"
fi
# The issue's kind of text, once: ls -lR /usr, Python sources, a build log.
text="$work/text.txt"
{ ls -lR /usr 2>/dev/null || true; find /usr/lib/python3* -name '*.py' 2>/dev/null | sort | head -2000 | xargs cat 2>/dev/null || true
  [ -z "${BUILD_LOG:-}" ] || cat "$BUILD_LOG"; } > "$text"
rm -rf "$work/home"
CFSESSION_RECOMPACT= "$cf" run -- cat "$text" > /dev/null 2>&1; t1="$(date +%s.%N)"
blob="$(find "$work/home" -path '*/blobs/*.zst' ! -name '.*' | head -1)"
wait_recompacted "$blob" 2400; t2="$(date +%s.%N)"
packed="$(stat -c %s "$blob")"
echo "storage of the issue's kind of text ($(stat -c %s "$text") bytes: ls -lR /usr, Python sources${BUILD_LOG:+, a build log}): $packed after the background recompaction ($(python3 -c "print('%.3f' % ($packed / $(stat -c %s "$text")))")x raw), done $(python3 -c "print('%.1f' % ($t2 - $t1))") s after run returned"
