#!/usr/bin/env bash
# Progress lines on a terminal only: `scanfarm scan` (layers analysed) and
# `scanfarm db import` (source i/n) under script(1) draw and then clear a
# line on stderr; with stderr a pipe they print nothing there; the scan's
# JSON result is the same either way (timings and scan time aside).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../support/scan_sh.sh"
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 0; }
V="$SF_CORPUS/vulndb/alpine-vuln-list-subset"
script -qec "'$SF' db import --out '$T/tty.db' '$V/3.10' '$V/3.20' >/dev/null" /dev/null >"$T/import.tty"
grep -qF "source 2/2: $V/3.20" "$T/import.tty"
"$SF" db import --out "$T/vuln.db" "$V/3.10" "$V/3.20" >/dev/null 2>"$T/import.pipe"
[ ! -s "$T/import.pipe" ] || { echo "FAIL: db import progress into a pipe"; cat "$T/import.pipe"; exit 1; }
script -qec "'$SF' scan '$A' --db '$T/vuln.db' --format json -o '$T/tty.json'" /dev/null >"$T/scan.tty"
grep -qF "1 layer analysed" "$T/scan.tty"
[ "$(tail -c 4 "$T/scan.tty" | od -An -c | tr -d ' ')" = '\r033[K' ] || { echo "FAIL: line not cleared"; exit 1; }
"$SF" scan "$A" --db "$T/vuln.db" --format json -o "$T/pipe.json" 2>"$T/scan.pipe"
[ ! -s "$T/scan.pipe" ] || { echo "FAIL: scan progress into a pipe"; cat "$T/scan.pipe"; exit 1; }
python3 - "$T/tty.json" "$T/pipe.json" <<'PY'
import json, sys
def norm(p):
    d = json.load(open(p))
    d.pop("timings", None); d.pop("scanned_at", None)
    return d
assert norm(sys.argv[1]) == norm(sys.argv[2]), "the progress memo changed the result"
PY
echo "progress lines: ok"
