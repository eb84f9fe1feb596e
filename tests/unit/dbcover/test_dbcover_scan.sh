#!/usr/bin/env bash
# A DB without advisories for the image's OS release says so: the corpus'
# Alpine 3.10 archive scanned against a DB of Alpine 3.20 advisories only
# carries the note "no advisories for alpine 3.10 in this DB: results for
# OS packages are incomplete" (JSON notes[], table warning); against a DB
# that has 3.10 it does not. No services needed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../support/scan_sh.sh"
NOTE="no advisories for alpine 3.10 in this DB: results for OS packages are incomplete"
"$SF" db import --quiet --out "$T/only320.db" "$SF_CORPUS/vulndb/alpine-vuln-list-subset/3.20"
"$SF" db import --quiet --out "$T/with310.db" "$SF_CORPUS/vulndb/alpine-vuln-list-subset"
grep -q '"Alpine:v3.20"' <<<"$("$SF" db info --db "$T/only320.db" --json)"
if grep -q '"Alpine:v3.10"' <<<"$("$SF" db info --db "$T/only320.db" --json)"; then
  echo "FAIL: the 3.20-only DB holds 3.10 advisories"; exit 1
fi

"$SF" scan "$A" --db "$T/only320.db" >"$T/table"
grep -qx "Warning:   $NOTE" "$T/table"
"$SF" scan "$A" --db "$T/only320.db" --format json | python3 -c '
import json, sys
notes = [n for n in json.load(sys.stdin)["notes"] if n["analyzer"] == "match"]
assert len(notes) == 1 and notes[0]["note"] == sys.argv[1] and notes[0]["path"] is None, notes
' "$NOTE"

"$SF" scan "$A" --db "$T/with310.db" >"$T/table2"
if grep -q "no advisories" "$T/table2"; then echo "FAIL: note despite 3.10 advisories"; exit 1; fi
# without a DB nothing is matched, and nothing is claimed about coverage
"$SF" scan "$A" >"$T/table3"
if grep -q "no advisories" "$T/table3"; then echo "FAIL: note without a DB"; exit 1; fi
echo "db coverage note: ok"
