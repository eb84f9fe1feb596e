# Sourced by the db update script tests: strict mode, the scratch folder
# $T, the fixture server's pid $PID (killed on exit) and fail().
set -euo pipefail
: "${SF_BIN:?}" "${SF_CORPUS:?}" "${SF_SRC:?}"
T=$(mktemp -d)
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
