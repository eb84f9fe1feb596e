#!/usr/bin/env bash
# `query package` by source name and "not found" answers, on the real Redis
# with results `scanfarm scan` produced from the registry's corpus images
# (Alpine 3.10.3: libssl1.1/libcrypto1.1 from source openssl; Debian 12
# slim: libaudit1/libaudit-common from source audit), replayed through
# `aggregate --from`:
#   - `query package openssl` lists libssl1.1 and libcrypto1.1 with the
#     image's ref; `query package libaudit1` still answers by binary name;
#   - `query package`, `query cve`, `report --run` of something absent say
#     "not found" on stderr and exit 1 (they printed nothing, exit 0).
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
sf_redis_scratch q-notfound
SF="$SF_BIN/scanfarm"
A="$SF_STACK_REGISTRY/corpus/alpine:3.10.3"
D="$SF_STACK_REGISTRY/corpus/debian:bookworm-slim"
for ref in "$A" "$D"; do
  "$SF" scan "$ref" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin); d["run_id"] = "qnf-run-1"; print(json.dumps(d))'
done >"$T/results.jsonl"
"$SF-aggregator" --from "$T/results.jsonl" 2>/dev/null

"$SF" query package openssl >"$T/q"
grep -qP "^libssl1\.1\tAlpine:v3\.10\t1\.1\.1d-r0\t1 image\t\(source openssl\)$" "$T/q"
grep -qP "^libcrypto1\.1\tAlpine:v3\.10\t" "$T/q"
grep -qx "  $A" "$T/q"
"$SF" query package audit --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
names = sorted(r["package"] for r in rows)
assert "libaudit1" in names and all(r.get("source") == "audit" for r in rows), rows
assert rows[0]["image_list"][0]["refs"] == [sys.argv[1]], rows[0]
' "$D"
grep -qP "^libaudit1\tDebian:12\t.*\t1 image$" <<<"$("$SF" query package libaudit1)"

expect_not_found() {
  set +e
  "$@" >"$T/out" 2>"$T/err"; rc=$?
  set -e
  [ "$rc" = 1 ] || { echo "FAIL: $* exited $rc, want 1"; cat "$T/err"; exit 1; }
  [ ! -s "$T/out" ] || { echo "FAIL: $* printed"; cat "$T/out"; exit 1; }
  grep -q "not found" "$T/err" || { echo "FAIL: $* did not say not found"; cat "$T/err"; exit 1; }
}
expect_not_found "$SF" query package no-such-package
expect_not_found "$SF" query cve CVE-1999-0001
expect_not_found "$SF" report --run no-such-run
grep -q "images scanned   2" <<<"$("$SF" report --run qnf-run-1)"
# the fleet report's SARIF: valid 2.1.0, rules with helpUri and help text
. "$SF_SRC/tests/integration/scan/validators.sh"
sf_validators
"$SF" report --run qnf-run-1 --format sarif --out "$T/fleet.sarif"
"$PY" "$VAL" sarif "$T/fleet.sarif"
echo "query not-found and source names: ok"
