#!/usr/bin/env bash
# Builds cfsession as a NativeAOT executable (fast start, no runtime needed) into artifacts/bin/cfsession.
# Set CFSESSION_BUILD=jit to build a framework-dependent binary instead (faster to build, slower to start).
# The NativeAOT build targets this machine's instruction set (-p:IlcInstructionSet=native: AVX2/AVX-512 where there
# is one), since it is built where it runs: the redaction scan's vectorised multi-string search needs it to be fast.
# Set CFSESSION_ISA=default for a portable binary (the SDK's default instruction set).
set -euo pipefail
cd "$(dirname "$0")/.."
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
