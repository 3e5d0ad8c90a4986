#!/usr/bin/env bash
# Installs cfsession. Three ways (README "Install"):
#   scripts/install.sh                       build from source: NativeAOT executable into artifacts/bin/cfsession
#   scripts/install.sh --archive FILE        install a release archive (scripts/release.sh) for this user:
#                                            ~/.local/lib/cfsession/ and the command ~/.local/bin/cfsession
#   scripts/install.sh --uninstall           remove what --archive installed (recorded sessions are kept)
#   (the third way is the dotnet tool: dotnet tool install -g ContextForge.SessionLogging.Cli)
# --prefix DIR puts --archive/--uninstall under DIR/bin and DIR/lib instead of ~/.local. An archive is checked
# against the SHA256SUMS beside it when there is one.
# Building from source: set CFSESSION_BUILD=jit for a framework-dependent binary instead (faster to build, slower to
# start). The NativeAOT build targets this machine's instruction set (-p:IlcInstructionSet=native: AVX2/AVX-512
# where there is one), since it is built where it runs: the redaction scan's vectorised multi-string search needs it
# to be fast. Set CFSESSION_ISA=default for a portable binary (the SDK's default instruction set).
# Exit codes: 0 done, 64 bad arguments, 66 archive not found, 65 archive damaged (checksum, contents).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=source archive="" prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
  case "$1" in
    --archive) [ $# -ge 2 ] || { echo "install: --archive needs a file" >&2; exit 64; }; mode=archive archive="$2"; shift 2 ;;
    --uninstall) mode=uninstall; shift ;;
    --prefix) [ $# -ge 2 ] || { echo "install: --prefix needs a directory" >&2; exit 64; }; prefix="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown argument '$1' (see scripts/install.sh --help)" >&2; exit 64 ;;
  esac
done
bin="$prefix/bin" lib="$prefix/lib/cfsession"

if [ "$mode" = uninstall ]; then
  removed=0
  if [ -L "$bin/cfsession" ] && [ "$(readlink "$bin/cfsession")" = "$lib/cfsession" ]; then rm -f "$bin/cfsession"; removed=1; fi
  if [ -d "$lib" ]; then rm -rf "$lib"; removed=1; fi
  if [ "$removed" = 1 ]; then echo "uninstall: removed $bin/cfsession and $lib (sessions are kept)"; else echo "uninstall: nothing installed under $prefix"; fi
  exit 0
fi

if [ "$mode" = archive ]; then
  [ -f "$archive" ] || { echo "install: no archive at $archive" >&2; exit 66; }
  sums="$(dirname "$archive")/SHA256SUMS"
  if [ -f "$sums" ]; then
    line="$(grep -F "  $(basename "$archive")" "$sums" || true)"
    if [ -n "$line" ] && ! (cd "$(dirname "$archive")" && sha256sum --status -c - <<<"$line"); then
      echo "install: $archive does not match its SHA256SUMS entry" >&2; exit 65
    fi
  fi
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
  tar -xzf "$archive" -C "$stage" || { echo "install: $archive is not a readable .tar.gz" >&2; exit 65; }
  top="$(find "$stage" -mindepth 1 -maxdepth 1 -type d | head -1)"
  [ -n "$top" ] && [ -x "$top/cfsession" ] || { echo "install: $archive holds no cfsession binary" >&2; exit 65; }
  mkdir -p "$bin" "$(dirname "$lib")"
  rm -rf "$lib.new" && cp -R "$top" "$lib.new" && rm -rf "$lib" && mv "$lib.new" "$lib"
  ln -sfn "$lib/cfsession" "$bin/cfsession"
  echo "install: $bin/cfsession -> $lib/cfsession ($("$bin/cfsession" --version))"
  case ":$PATH:" in *":$bin:"*) ;; *) echo "install: add $bin to PATH" ;; esac
  exit 0
fi

out="artifacts/bin"
rid="linux-x64"
case "$(uname -m)" in aarch64|arm64) rid="linux-arm64" ;; esac
[ "$(uname -s)" = "Darwin" ] && rid="osx-$( [ "$(uname -m)" = arm64 ] && echo arm64 || echo x64)"
if [ "${CFSESSION_BUILD:-aot}" = "jit" ]; then
  dotnet publish src/ContextForge.SessionLogging.Cli -c Release -p:PublishAot=false -o "$out" --nologo -v quiet
else
  isa=(-p:IlcInstructionSet=native)
  [ "${CFSESSION_ISA:-native}" = default ] && isa=()
  dotnet publish src/ContextForge.SessionLogging.Cli -c Release -r "$rid" -p:PublishAot=true "${isa[@]}" -o "$out" --nologo -v quiet
fi
echo "install: $(pwd)/$out/cfsession"
