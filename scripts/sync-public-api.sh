#!/usr/bin/env bash
# Brings a project's PublicAPI.Unshipped.txt in line with its code: adds what RS0016 reports as undeclared and removes
# what RS0017 reports as no longer there. Review the diff: it is the public API change.
# Usage: scripts/sync-public-api.sh src/ContextForge.SessionLogging
set -euo pipefail
project="$1"
file="$project/PublicAPI.Unshipped.txt"
log="$(mktemp)"
dotnet build "$project" -c Release --nologo -v quiet -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
python3 - "$log" "$file" <<'PY'
import re, sys
log, path = sys.argv[1], sys.argv[2]
text = open(log, encoding='utf-8').read()
add = set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", text))
remove = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared API, but is either not public or could not be found", text))
lines = [l for l in open(path, encoding='utf-8').read().splitlines() if l.strip()]
header = [l for l in lines if l.startswith('#')]
body = set(l for l in lines if not l.startswith('#'))
body = (body - remove) | add
open(path, 'w', encoding='utf-8').write('\n'.join(header + sorted(body, key=lambda s: s.lower())) + '\n')
print(f'{path}: +{len(add)} -{len(remove)}')
PY
rm -f "$log"
