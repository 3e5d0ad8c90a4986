#!/usr/bin/env bash
# Re-fetches the asciinema-player build that `cfsession report` inlines (third-party/asciinema-player/): the npm
# package at the pinned version, checked against the registry's integrity (sha512) and the sha256 of the two files
# the repository holds. Usage: bash scripts/vendor-asciinema-player.sh   (needs npm; writes third-party/asciinema-player)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="3.17.0"
INTEGRITY="sha512-JbjNJmA2TLIeYNaOEja+kVSzXadKoqpIzVVmfBGNj2DmdtE/vExBCnkE8NYEcpaQcDvUYg8Ltt0urT80frACmw=="
JS_SHA256="a13c37632e1b5c49fe9128417b9319a9b5bc64cb457dd5ae52cbba8a3aceb880"
CSS_SHA256="f619fe17597043564f03b2c6918b3daf890ee8b912fb408542fba11afade4fdb"
DEST=third-party/asciinema-player
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "asciinema-player@${VERSION}" >/dev/null)
tarball="$work/asciinema-player-${VERSION}.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[ "$actual" = "$INTEGRITY" ] || { echo "vendor-asciinema-player: integrity mismatch for ${VERSION}: $actual" >&2; exit 1; }
tar -xzf "$tarball" -C "$work"
echo "$JS_SHA256  $work/package/dist/bundle/asciinema-player.min.js" | sha256sum -c --quiet
echo "$CSS_SHA256  $work/package/dist/bundle/asciinema-player.css" | sha256sum -c --quiet
mkdir -p "$DEST"
cp "$work/package/dist/bundle/asciinema-player.min.js" "$work/package/dist/bundle/asciinema-player.css" "$work/package/LICENSE" "$DEST/"
echo "vendor-asciinema-player: asciinema-player ${VERSION} in ${DEST}"
