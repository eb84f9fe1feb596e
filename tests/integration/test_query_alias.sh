#!/usr/bin/env bash
# `scanfarm query cve` where a list is expected (issue 20): an alias of a
# flaw the fleet carries (GHSA-… of CVE-…) answers with that flaw's images
# (it said "not found" and exited 1), and an empty fleet view says it is
# empty and names the key prefix (it said the id was "not found").
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
sf_redis_scratch q-alias
SF="$SF_BIN/scanfarm"
python3 "$SF_SRC/tests/integration/api/api_fleet.py" gen "$SF_CORPUS" "$T/results.jsonl"
"$SF" aggregate --from "$T/results.jsonl" >/dev/null
"$SF" query cve GHSA-p6mc-m468-83gw >"$T/out"
grep -qx "# GHSA-p6mc-m468-83gw is an alias of CVE-2020-8203" "$T/out"
grep -qP "^registry\.acme\.io/web/node:1\.0\tlodash\t4\.17\.15\t4\.17\.19\tHIGH$" "$T/out"
cmp <(grep -v '^#' "$T/out") <("$SF" query cve CVE-2020-8203)
"$SF" query cve GHSA-p6mc-m468-83gw --json | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert {r["ref"] for r in rows} == {"registry.acme.io/web/node:1.0", "registry.acme.io/web/node:latest"}, rows'
set +e
SCANFARM_KEY_PREFIX="$PREFIX-empty" "$SF" query cve CVE-2020-8203 >"$T/o2" 2>"$T/e2"; rc=$?
"$SF" query cve CVE-1999-0001 >/dev/null 2>"$T/e3"; rc3=$?
set -e
[ "$rc" = 1 ] && [ ! -s "$T/o2" ] && grep -q "is empty" "$T/e2" && grep -q "$PREFIX-empty" "$T/e2" ||
  { echo "FAIL: empty fleet view: rc=$rc"; cat "$T/e2"; exit 1; }
[ "$rc3" = 1 ] && grep -q "no image carries it" "$T/e3" || { echo "FAIL: absent id"; cat "$T/e3"; exit 1; }
echo "query cve: aliases and an empty fleet view answer: ok"
