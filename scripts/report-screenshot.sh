#!/usr/bin/env bash
# Regenerates docs/report-screenshot.png, the README's picture of `cfsession report`: records a real session with
# `cfsession shell` in a private tmux server (a real pty: the commands run in bash, their output and timing are
# recorded as a person's would be), writes its report, and has headless Chromium (the apt build that
# scripts/install-deps.sh pins) take a screenshot with the failed operation opened by its #op- deep link.
# Uses $CFSESSION_BIN if set, else artifacts/bin/cfsession when scripts/install.sh has built it, else the JIT build.
# Usage: bash scripts/report-screenshot.sh [output.png]   (default docs/report-screenshot.png)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/report-screenshot.png}"
for tool in tmux chromium python3; do
  command -v "$tool" >/dev/null || { echo "report-screenshot: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
work=$(mktemp -d)
sock="cf-shot-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/bin" "$work/home" "$work/project" "$work/user"
printf "PS1='\$ '\n" > "$work/user/.bashrc"
if [ -n "${CFSESSION_BIN:-}" ]; then
  ln -s "$(readlink -f "$CFSESSION_BIN")" "$work/bin/cfsession"
elif [ -x artifacts/bin/cfsession ]; then
  ln -s "$PWD/artifacts/bin/cfsession" "$work/bin/cfsession"
else
  dotnet build src/ContextForge.SessionLogging.Cli -c Release --nologo -v quiet >/dev/null
  printf '#!/bin/sh\nexec dotnet %q "$@"\n' "$PWD/src/ContextForge.SessionLogging.Cli/bin/Release/net10.0/cfsession.dll" > "$work/bin/cfsession"
  chmod +x "$work/bin/cfsession"
fi
export CFSESSION_HOME="$work/home"
cat > "$work/project/progress.sh" <<'SH'
for i in 0 1 2 3 4 5 6 7 8 9 10; do
  printf '\rDownloading packages [%-20s] %3d%%' "$(printf '%*s' $((i * 2)) '' | tr ' ' '#')" $((i * 10)); sleep 0.08
done
printf '\n\033[32mRestored 42 packages\033[0m in 0.9 s\n'
SH
cat > "$work/project/test.sh" <<'SH'
printf '\033[1mRunning 6 tests\033[0m\n'
for t in parses_config writes_journal redacts_tokens; do printf '  \033[32m✓\033[0m %s\n' "$t"; sleep 0.05; done
printf '  \033[31m✗ rotates_logs\033[0m\n    expected 3 files, found \033[1;31m2\033[0m\n'
printf '  \033[32m✓\033[0m %s\n' replays_casts indexes_history
printf '\033[41;97m FAIL \033[0m 5 passed, 1 failed (\033]8;;https://example.com/ci/1234\033\\CI log\033]8;;\033\\)\n'
exit 1
SH
tmux -L "$sock" -f /dev/null new-session -d -x 110 -y 30 -s shot \
  "cd '$work/project' && PATH='$work/bin':\$PATH CFSESSION_HOME='$CFSESSION_HOME' HOME='$work/user' cfsession shell --name 'build and test' -- bash"
type_line() { tmux -L "$sock" send-keys -t shot -l "$1"; tmux -L "$sock" send-keys -t shot Enter; sleep "${2:-1}"; }
sleep 5
type_line "sh progress.sh" 3
type_line "ls -l --color=always /usr/share/doc | head -4" 1
type_line "sh test.sh" 2
type_line "cfsession achievement build_restored 'packages restored, 5 of 6 tests green' -e passed:=5 -e failed:=1" 3
type_line "exit" 3
"$work/bin/cfsession" report -o "$work/report.html"
failed=$(python3 - "$work/report.html" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
rows = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', html, re.S).group(1))
print(next(r[0] for r in rows if r[2] == "fail"))
PY
)
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=1200,900 --virtual-time-budget=3000 \
  --screenshot="$work/shot.png" "file://$work/report.html#op-$failed" 2>/dev/null
mkdir -p "$(dirname "$OUT")"
cp "$work/shot.png" "$OUT"
echo "report-screenshot: wrote $OUT (report of a recorded 'cfsession shell' session, operation $failed opened)"
