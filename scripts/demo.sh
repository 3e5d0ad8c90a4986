#!/usr/bin/env bash
# The main job on the built-in defaults: builds cfsession, records a real working session into the default data
# directory ($CFSESSION_HOME, else ~/.local/share/contextforge/sessions), and shows it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >/dev/null
cf="$(pwd)/artifacts/bin/cfsession"

eval "$("$cf" start --name demo --type walkthrough)"
"$cf" run -- uname -srm
"$cf" run -- ls --color=auto -l src
"$cf" run -- sh -c 'echo "building..."; echo "warning: nothing to build" >&2; exit 0'
"$cf" run -- sh -c 'echo "this step fails"; exit 3' || echo "(the failing step exited $?; recorded too)"
"$cf" achievement demo_recorded "Recorded a demo session" --evidence operations:=4 --evidence shell="$SHELL"
eval "$("$cf" end)"

"$cf" sessions --limit 5
"$cf" inspect
echo
echo "Journal: ${CFSESSION_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/contextforge/sessions}/sessions/"
echo "As JSON for agents: $cf inspect --json"
