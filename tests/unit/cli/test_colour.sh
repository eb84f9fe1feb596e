#!/usr/bin/env bash
# Colour only on a terminal and only without NO_COLOR: the scan table of
# the corpus' Alpine 3.10 archive run under script(1) (a pseudo-terminal)
# colours each severity; NO_COLOR=1, TERM=dumb, a pipe and -o FILE give
# plain text. No services needed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../support/scan_sh.sh"
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 0; }
"$SF" db import --quiet --out "$T/vuln.db" "$SF_CORPUS/vulndb/alpine-vuln-list-subset"
ESC=$'\033['
# colour = SGR sequences (ESC [ ... m); the progress line's cursor
# controls on stderr are no colour
n() { grep -cP '\x1b\[[0-9;]*m' "$1" || true; }
TERM=xterm script -qec "'$SF' scan '$A' --db '$T/vuln.db'" /dev/null >"$T/tty"
[ "$(n "$T/tty")" -gt 0 ] || { echo "FAIL: no colour on a terminal"; exit 1; }
grep -qF "${ESC}2mUNKNOWN" "$T/tty"
NO_COLOR=1 TERM=xterm script -qec "'$SF' scan '$A' --db '$T/vuln.db'" /dev/null >"$T/nc"
[ "$(n "$T/nc")" = 0 ] || { echo "FAIL: colour despite NO_COLOR"; exit 1; }
TERM=dumb script -qec "'$SF' scan '$A' --db '$T/vuln.db'" /dev/null >"$T/dumb"
[ "$(n "$T/dumb")" = 0 ] || { echo "FAIL: colour on TERM=dumb"; exit 1; }
TERM=xterm script -qec "'$SF' scan '$A' --db '$T/vuln.db' -o '$T/file'" /dev/null >/dev/null
[ "$(n "$T/file")" = 0 ] || { echo "FAIL: colour in the -o file"; exit 1; }
"$SF" scan "$A" --db "$T/vuln.db" >"$T/pipe"
[ "$(n "$T/pipe")" = 0 ] || { echo "FAIL: colour into a pipe"; exit 1; }
grep -q "CVE-2021-30139" "$T/pipe"
echo "colour: ok"
