#!/usr/bin/env bash
# Builds cfsession as a NativeAOT executable (fast start, no runtime needed) into artifacts/bin/cfsession.
# Set CFSESSION_BUILD=jit to build a framework-dependent binary instead (faster to build, slower to start).
set -euo pipefail
cd "$(dirname "$0")/.."
out="artifacts/bin"
rid="linux-x64"
case "$(uname -m)" in aarch64|arm64) rid="linux-arm64" ;; esac
[ "$(uname -s)" = "Darwin" ] && rid="osx-$( [ "$(uname -m)" = arm64 ] && echo arm64 || echo x64)"
if [ "${CFSESSION_BUILD:-aot}" = "jit" ]; then
  dotnet publish src/ContextForge.SessionLogging.Cli -c Release -o "$out" --nologo -v quiet
else
  dotnet publish src/ContextForge.SessionLogging.Cli -c Release -r "$rid" -p:PublishAot=true -o "$out" --nologo -v quiet
fi
echo "install: $(pwd)/$out/cfsession"
