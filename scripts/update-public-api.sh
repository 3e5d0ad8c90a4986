#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of each library project from the analyzer's RS0016/RS0017 findings,
# so a change of the public API is a reviewed diff of that file.
set -euo pipefail
cd "$(dirname "$0")/.."
for proj in src/ContextForge.SessionLogging src/ContextForge.SessionLogging.Extensions.Logging src/ContextForge.SessionLogging.Serilog src/ContextForge.SessionLogging.Tracing src/ContextForge.SessionLogging.OpenTelemetry; do
  [ -d "$proj" ] || continue
  file=$proj/PublicAPI.Unshipped.txt
  echo '#nullable enable' > "$file"
  log=$(dotnet build "$proj" --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= 2>&1 || true)
  grep -oP "^\Q$PWD/$proj/\E.*RS0016: Symbol '\K.*(?=' is not part of the declared public API)" <<<"$log" | sort -u >> "$file" || true
  echo "wrote $(($(wc -l < "$file") - 1)) symbols to $file"
done
