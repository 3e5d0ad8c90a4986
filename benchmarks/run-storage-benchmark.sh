#!/usr/bin/env bash
# Bytes on disk per MB of realistic terminal output: raw (what the blob store kept before compression), gzip -6, zstd -3
# (the level ZstdSharp.Port defaults to). Realistic output = a build log, a test run, ls -l, coloured text.
# Also captures each file with `cfsession run -- cat FILE` and reports the blob it stored (blobs/<sha256>.zst, zstd
# level 3 via ZstdSharp.Port, compressed while streaming). Writes benchmarks/results/storage.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
out="benchmarks/results/storage.md"
cf="$(pwd)/artifacts/bin/cfsession"
[ -x "$cf" ] || bash scripts/install.sh
gen_build() { for i in $(seq 1 4000); do
  printf '  CC       src/module_%d/file_%d.o\n' $((i % 37)) "$i"
  [ $((i % 50)) -eq 0 ] && printf 'src/module_%d/file_%d.c:%d:%d: warning: unused variable '"'"'tmp_%d'"'"' [-Wunused-variable]\n' $((i % 37)) "$i" $((i % 400)) $((i % 80)) "$i"
  [ $((i % 200)) -eq 0 ] && printf '  Restored /home/dev/src/app/Project%d/Project%d.csproj (in %d ms).\n' "$i" "$i" $((i * 7 % 900))
done; }
gen_tests() { for i in $(seq 1 4000); do
  if [ $((i % 97)) -eq 0 ]; then printf '\033[31m  Failed App.Tests.Feature%d.Handles_case_%d [%d ms]\033[0m\n  Error Message:\n   Assert.Equal() Failure: Expected %d Actual %d\n' "$i" "$i" $((i % 300)) "$i" $((i + 1))
  else printf '\033[32m  Passed App.Tests.Feature%d.Handles_case_%d [%d ms]\033[0m\n' $((i % 40)) "$i" $((i % 300)); fi
done; }
gen_ls() { for d in /usr/bin /usr/lib /etc /usr/share/doc; do ls -l --color=always "$d" 2>/dev/null; done; }
gen_colour() { for i in $(seq 1 3000); do printf '\033[1;34m%s\033[0m \033[33m%6d\033[0m %s \033[2m(%s)\033[0m\n' "$(date -d "@$((1700000000 + i * 37))" +%H:%M:%S)" "$i" "GET /api/v1/items/$((i * 13 % 977)) 200" "$((i % 90)) ms"; done; }
gen_build > "$work/build.log"; gen_tests > "$work/tests.log"; gen_ls > "$work/ls.log"; gen_colour > "$work/colour.log"
cat "$work"/build.log "$work"/tests.log "$work"/ls.log "$work"/colour.log > "$work/mixed.log"
{
  echo "# Storage per MB of terminal output"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(gzip --version | head -1), $(zstd --version). Bytes on disk per MiB of output (lower is better)."
  echo
  echo "| output | size | raw B/MiB | gzip -6 B/MiB | zstd -3 B/MiB | zstd -19 B/MiB | cfsession blob B/MiB | zstd-3 vs raw | zstd-3 vs gzip | cfsession blob vs raw | cfsession blob vs gzip | gzip MB/s | zstd-3 MB/s | zstd -d MB/s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for f in build tests ls colour mixed; do
    p="$work/$f.log"; raw=$(stat -c %s "$p")
    t0=$(date +%s%N); gzip -6 -c "$p" > "$p.gz"; t1=$(date +%s%N)
    zstd -q -3 -c "$p" > "$p.zst"; t2=$(date +%s%N)
    zstd -q -d -c "$p.zst" > /dev/null; t3=$(date +%s%N)
    zstd -q -19 -c "$p" > "$p.19.zst"
    CFSESSION_HOME="$work/home-$f" "$cf" run -- cat "$p" > /dev/null
    blob=$(find "$work/home-$f" -path '*/blobs/*.zst' -printf '%s\n' | head -1)
    gz=$(stat -c %s "$p.gz"); zs=$(stat -c %s "$p.zst"); z19=$(stat -c %s "$p.19.zst")
    awk -v n="$f" -v r="$raw" -v g="$gz" -v z="$zs" -v z19="$z19" -v cb="$blob" -v tg=$((t1-t0)) -v tz=$((t2-t1)) -v td=$((t3-t2)) 'BEGIN{
      m=1048576; printf "| %s | %.2f MiB | %d | %d | %d | %d | %d | %.3f | %.2f | %.3f | %.2f | %.0f | %.0f | %.0f |\n", n, r/m, m, g*m/r, z*m/r, z19*m/r, cb*m/r, z/r, z/g, cb/r, cb/g, r/m/(tg/1e9), r/m/(tz/1e9), r/m/(td/1e9) }'
  done
} > "$out"
cat "$out"
