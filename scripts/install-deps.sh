#!/usr/bin/env bash
# Installs what the tests and the demo need beyond the .NET SDK, pinned: tmux (pty tests), PostgreSQL 15 (team-store
# tests), GNU time (overload script), zsh, fish (shell tests), asciinema (asciicast export check) and chromium (report
# browser tests) from Debian,
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

# PostgreSQL 15 (server binaries, psql, pg_trgm): the team-store tests start a throwaway cluster with
# scripts/postgres-test-server.sh (docs/team-store.md).
POSTGRESQL_VERSION="15.18-0+deb12u1"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "install-deps: installing postgresql-15=${POSTGRESQL_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "postgresql-15=${POSTGRESQL_VERSION}" "postgresql-client-15=${POSTGRESQL_VERSION}" >/dev/null
fi

# openssl makes the throwaway CA and server certificates of the team-store TLS test (TeamStoreTlsTests).
OPENSSL_VERSION="3.0.22-1~deb12u2"
if ! command -v openssl >/dev/null 2>&1; then
  echo "install-deps: installing openssl=${OPENSSL_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "openssl=${OPENSSL_VERSION}" >/dev/null
fi

# GNU time measures peak RSS in scripts/overload-test.sh (run by scripts/test.sh as --ci).
TIME_VERSION="1.9-0.2"
if [ ! -x /usr/bin/time ]; then
  echo "install-deps: installing time=${TIME_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "time=${TIME_VERSION}" >/dev/null
fi

# The shell tests (cfsession shell / init) drive zsh and fish as well as bash, and open vim; asciinema checks the asciicast export.
ZSH_VERSION_PIN="5.9-4+b15"
FISH_VERSION_PIN="3.6.0-3.1+deb12u1"
ASCIINEMA_VERSION_PIN="2.2.0-1"
VIM_VERSION_PIN="2:9.0.1378-2+deb12u2"
missing=()
command -v zsh >/dev/null 2>&1 || missing+=("zsh=${ZSH_VERSION_PIN}")
command -v fish >/dev/null 2>&1 || missing+=("fish=${FISH_VERSION_PIN}")
command -v asciinema >/dev/null 2>&1 || missing+=("asciinema=${ASCIINEMA_VERSION_PIN}")
command -v vim >/dev/null 2>&1 || missing+=("vim=${VIM_VERSION_PIN}")
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Chromium loads the HTML reports in the browser tests (ReportBrowserTests). The pin is the version Debian 12 serves;
# when the archive drops it, install fails here with a clear message rather than testing another browser.
CHROMIUM_VERSION="156.0.8078.108-1~deb12u1"
if ! command -v chromium >/dev/null 2>&1; then
  echo "install-deps: installing chromium=${CHROMIUM_VERSION} from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if ! apt-get install -y -qq "chromium=${CHROMIUM_VERSION}" >/dev/null; then
    echo "install-deps: chromium=${CHROMIUM_VERSION} is not available from apt (apt-cache policy chromium lists what is); update CHROMIUM_VERSION in scripts/install-deps.sh" >&2
    exit 1
  fi
fi

if [ -f .config/dotnet-tools.json ]; then
  dotnet tool restore >/dev/null
fi
