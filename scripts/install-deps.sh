#!/usr/bin/env bash
# Installs what the tests and the demo need beyond the .NET SDK, pinned: tmux (pty tests) and GNU time (overload
# script) from Debian,
# and the repository's local dotnet tools (.config/dotnet-tools.json). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

TMUX_VERSION="3.3a-3"
if ! command -v tmux >/dev/null 2>&1; then
  echo "install-deps: installing tmux=${TMUX_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "tmux=${TMUX_VERSION}" >/dev/null
fi

# GNU time measures peak RSS in scripts/overload-test.sh (run by scripts/test.sh as --ci).
TIME_VERSION="1.9-0.2"
if [ ! -x /usr/bin/time ]; then
  echo "install-deps: installing time=${TIME_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "time=${TIME_VERSION}" >/dev/null
fi

if [ -f .config/dotnet-tools.json ]; then
  dotnet tool restore >/dev/null
fi
