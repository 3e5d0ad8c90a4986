#!/usr/bin/env bash
# Regenerates src/ContextForge.SessionLogging/PublicAPI.Unshipped.txt from the analyzer's RS0016/RS0017 findings,
# so a change of the public API is a reviewed diff of that file.
set -euo pipefail
cd "$(dirname "$0")/.."
proj=src/ContextForge.SessionLogging
file=$proj/PublicAPI.Unshipped.txt
echo '#nullable enable' > "$file"
log=$(dotnet build "$proj" --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= 2>&1 || true)
grep -oP "RS0016: Symbol '\K.*(?=' is not part of the declared public API)" <<<"$log" | sort -u >> "$file" || true
echo "wrote $(($(wc -l < "$file") - 1)) symbols to $file"
