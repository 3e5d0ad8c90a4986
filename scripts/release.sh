#!/usr/bin/env bash
# Builds the NativeAOT release archives into artifacts/release (gitignored):
#   cfsession-VERSION-RID.tar.gz           cfsession, libe_sqlite3.so, THIRD-PARTY-NOTICES.txt (and LICENSE when the
#                                          repository has one): nothing else, no debug files, no Windows-only files
#   cfsession-VERSION-RID-symbols.tar.gz   cfsession.dbg, the native debug symbols of that binary
#   SHA256SUMS                             sha256sum of every archive (check with: sha256sum -c SHA256SUMS)
# Usage: scripts/release.sh [RID...]   (default: linux-x64). VERSION is the tag version (MinVer; see Directory.Build.props).
# NativeAOT compiles only for the OS it runs on, and for another architecture only with that architecture's sysroot:
# osx-* must be built on macOS, win-* on Windows (as a .zip), linux-arm64 on an arm64 Linux machine or with a cross
# sysroot (docs/install.md, "Release archives"). Those RIDs are refused here with exit 69; an unknown RID exits 64.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

host_rid() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=osx ;; *) os=unknown ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=unknown ;; esac
  echo "$os-$arch"
}
host="$(host_rid)"
rids=("$@")
[ ${#rids[@]} -eq 0 ] && rids=(linux-x64)

for rid in "${rids[@]}"; do
  case "$rid" in
    linux-x64|linux-arm64|osx-x64|osx-arm64|win-x64|win-arm64) ;;
    *) echo "release: unknown RID '$rid' (use linux-x64, linux-arm64, osx-x64, osx-arm64, win-x64 or win-arm64)" >&2; exit 64 ;;
  esac
  if [ "$rid" != "$host" ]; then
    case "$rid" in
      osx-*) why="NativeAOT for macOS compiles only on macOS: run scripts/release.sh $rid on a Mac" ;;
      win-*) why="NativeAOT for Windows compiles only on Windows: run the publish in docs/install.md on Windows" ;;
      *) why="NativeAOT for $rid compiles on an ${rid#*-} Linux machine, or with an ${rid#*-} cross sysroot (docs/install.md)" ;;
    esac
    echo "release: cannot build $rid on this $host machine: $why" >&2
    exit 69
  fi
done

out="artifacts/release"
mkdir -p "$out"
for rid in "${rids[@]}"; do
  publish="artifacts/obj/release/$rid"
  rm -rf "$publish"
  # A portable binary (the SDK's default instruction set), deterministic paths in its symbols.
  dotnet publish src/ContextForge.SessionLogging.Cli -c Release -r "$rid" -p:PublishAot=true \
    -p:ContinuousIntegrationBuild=true -o "$publish" --nologo -v quiet
  version="$("$publish/cfsession" --version)"
  version="${version%%+*}"
  name="cfsession-$version-$rid"

  # Exactly what runs, or fail: anything else in the publish folder is a packaging mistake to fix, not to ship.
  # (macOS names, untested here: libe_sqlite3.dylib and the cfsession.dSYM bundle.)
  sqlite=libe_sqlite3.so symbols=cfsession.dbg
  case "$rid" in osx-*) sqlite=libe_sqlite3.dylib symbols=cfsession.dSYM ;; esac
  expected="$(printf '%s\n' cfsession "$symbols" "$sqlite" | LC_ALL=C sort)"
  found="$(ls -A "$publish" | LC_ALL=C sort)"
  if [ "$found" != "$expected" ]; then
    echo "release: unexpected files in $publish:" >&2
    diff <(echo "$expected") <(echo "$found") >&2 || true
    exit 70
  fi

  stage="artifacts/obj/release/stage"
  rm -rf "$stage" && mkdir -p "$stage/$name" "$stage/$name-symbols"
  cp "$publish/cfsession" "$publish/$sqlite" THIRD-PARTY-NOTICES.txt "$stage/$name/"
  if [ -f LICENSE ]; then cp LICENSE "$stage/$name/"; fi
  cp -R "$publish/$symbols" "$stage/$name-symbols/"
  # Reproducible archives: sorted names, fixed owner, the commit's time as every file's time, no gzip timestamp.
  epoch="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
  for dir in "$name" "$name-symbols"; do
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$dir" | gzip -n -9 > "$out/$dir.tar.gz"
  done
  rm -rf "$stage"
  echo "release: $out/$name.tar.gz ($(du -k "$out/$name.tar.gz" | cut -f1) KiB), $out/$name-symbols.tar.gz"
done
(cd "$out" && sha256sum -- *.tar.gz > SHA256SUMS)
echo "release: $out/SHA256SUMS"
