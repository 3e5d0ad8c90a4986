#!/usr/bin/env bash
# Builds every NuGet package into artifacts/packages (gitignored):
#   ContextForge.SessionLogging, .Extensions.Logging, .Serilog, .Tracing   libraries (+ .snupkg symbols)
#   ContextForge.SessionLogging.Cli             the dotnet tool (command cfsession); points at the two below
#   ContextForge.SessionLogging.Cli.linux-x64   the NativeAOT binary for linux-x64
#   ContextForge.SessionLogging.Cli.any         framework-dependent, for every other platform (+ .snupkg)
# Versions come from git tags (MinVer; see Directory.Build.props). Install the tool from the folder with
#   dotnet tool install -g ContextForge.SessionLogging.Cli --prerelease --add-source artifacts/packages
# (--prerelease while the version is untagged, e.g. 0.1.0-alpha.0.N).
set -euo pipefail
cd "$(dirname "$0")/.."
out="artifacts/packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$out" artifacts/obj/pack
mkdir -p "$out"
# Deterministic, path-independent output (/_/ source paths in the PDBs).
common=(-c Release --nologo -v quiet -p:ContinuousIntegrationBuild=true -o "$out")
# The libraries and the tool's pointer package (the solution's packable projects).
dotnet pack ContextForge.SessionLogging.slnx "${common[@]}"
cli="src/ContextForge.SessionLogging.Cli"
# Each RID package publishes into a fresh folder: the package takes the whole publish folder.
for rid in any linux-x64; do
  dotnet pack "$cli" -r "$rid" -p:PublishDir="$(pwd)/artifacts/obj/pack/$rid/" "${common[@]}"
done
ls -1 "$out"
