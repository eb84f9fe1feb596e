#!/usr/bin/env bash
# `scanfarm scan` with .scanfarmignore and --vex on the corpus' Alpine 3.10
# archive (20 findings, no services needed): suppressed findings leave the
# findings list and are reported with their status and justification in
# the table, the JSON (`suppressed`), CycloneDX (`analysis`) and SARIF
# (`suppressions`); an expired rule is announced and not applied; the
# default ./.scanfarmignore is read; a broken ignore file is an error; a
# BOM scanfarm wrote works as CycloneDX VEX input.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../support/scan_sh.sh"
"$SF" db import --quiet --out "$T/vuln.db" "$SF_CORPUS/vulndb/alpine-secdb" \
  "$SF_CORPUS/vulndb/alpine-vuln-list-subset"
cat >"$T/ign" <<'IGN'
# accepted risks
CVE-2021-30139 apk-tools exp:2099-01-01 reason: apk is not run in production
CVE-2020-1967 pkg:apk/alpine/libssl1.1 reason: only the libssl copy
CVE-2021-28831 exp:2020-01-01 reason: expired on purpose
IGN
MUSL=$("$SF" scan "$A" --format cyclonedx | python3 -c \
  'import json,sys; print(next(c["purl"] for c in json.load(sys.stdin)["components"] if c["name"]=="musl"))')
cat >"$T/open.vex.json" <<VEX
{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/1", "author": "t",
 "timestamp": "2026-12-01T00:00:00Z", "version": 1, "statements": [
  {"vulnerability": {"name": "CVE-2020-28928"}, "products": [{"@id": "pkg:oci/alpine",
   "subcomponents": [{"@id": "$MUSL"}]}], "status": "not_affected",
   "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "wcsnrtombs unused"},
  {"vulnerability": {"name": "CVE-2021-3450"}, "products": [{"@id": "pkg:oci/alpine"}], "status": "affected"}]}
VEX
cat >"$T/cdx.vex.json" <<'VEX'
{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
 "components": [{"type": "library", "bom-ref": "c1", "name": "libcrypto1.1", "purl": "pkg:apk/alpine/libcrypto1.1"}],
 "vulnerabilities": [{"id": "CVE-2021-3449", "analysis": {"state": "resolved", "detail": "backported"},
  "affects": [{"ref": "c1"}]}]}
VEX
S=(--ignore-file "$T/ign" --vex "$T/open.vex.json" --vex "$T/cdx.vex.json")
"$SF" scan "$A" --db "$T/vuln.db" "${S[@]}" >"$T/table" 2>"$T/err"
grep -q '^Findings:  16 ' "$T/table"
grep -q '^Suppressed: 4' "$T/table"
grep -q 'musl .*not_affected (vulnerable_code_not_in_execute_path): wcsnrtombs unused' "$T/table"
grep -q 'libcrypto1.1 .*fixed: backported' "$T/table"
if grep -q 'musl-utils .*not_affected' "$T/table"; then echo "FAIL: the musl purl covered musl-utils"; exit 1; fi
grep -q 'CVE-2021-28831 expired on 2020-01-01: not applied' "$T/err"
grep -q '^  UNKNOWN   CVE-2021-28831' "$T/table"

"$SF" scan "$A" --db "$T/vuln.db" "${S[@]}" --format json -o "$T/r.json" 2>/dev/null
"$SF" scan "$A" --db "$T/vuln.db" "${S[@]}" --format cyclonedx -o "$T/r.cdx.json" 2>/dev/null
"$SF" scan "$A" --db "$T/vuln.db" "${S[@]}" --format sarif -o "$T/r.sarif" 2>/dev/null
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
r = json.load(open(f"{t}/r.json"))
assert len(r["vulnerabilities"]) == 16, len(r["vulnerabilities"])
sup = {(s["id"], s["package"]): s for s in r["suppressed"]}
assert len(sup) == 4, sup
m = sup[("CVE-2020-28928", "musl")]
assert m["status"] == "not_affected" and m["justification"] == "vulnerable_code_not_in_execute_path", m
assert sup[("CVE-2021-30139", "apk-tools")]["status"] == "ignored"
assert sup[("CVE-2021-3449", "libcrypto1.1")]["status"] == "fixed"
c = json.load(open(f"{t}/r.cdx.json"))
an = {(v["id"], v.get("affects", [{}])[0].get("ref")): v["analysis"] for v in c["vulnerabilities"] if "analysis" in v}
assert len(an) == 4, an
states = sorted(a["state"] for a in an.values())
assert states == ["exploitable", "exploitable", "not_affected", "resolved"], states
na = next(a for a in an.values() if a["state"] == "not_affected")
assert na["justification"] == "code_not_reachable", na
s = json.load(open(f"{t}/r.sarif"))
res = s["runs"][0]["results"]
supp = [x for x in res if x.get("suppressions")]
assert len(res) == 20 and len(supp) == 4, (len(res), len(supp))
assert all(x["suppressions"][0]["status"] == "accepted" for x in supp)
print("documents carry the 4 suppressed findings")
PY

# a BOM scanfarm wrote is CycloneDX VEX input: its not_affected/resolved
# entries suppress again (the ignore-file ones, "exploitable", do not)
"$SF" scan "$A" --db "$T/vuln.db" --ignore-file /dev/null --vex "$T/r.cdx.json" >"$T/table2"
grep -q '^Suppressed: 2' "$T/table2"

# ./.scanfarmignore is the default
mkdir "$T/cwd" && cp "$T/ign" "$T/cwd/.scanfarmignore"
grep -q '^Suppressed: 2' <<<"$(cd "$T/cwd" && "$SF" scan "$A" --db "$T/vuln.db" 2>/dev/null)"

# broken inputs: a clear message, exit 2
printf 'CVE-2021-30139 apk-tools\n' >"$T/bad"
set +e
"$SF" scan "$A" --db "$T/vuln.db" --ignore-file "$T/bad" >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "$T/bad:1: a suppression needs a reason" "$T/err"
set +e
"$SF" scan "$A" --vex "$T/bad" >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "not JSON" "$T/err"
echo "scan suppressions: ok"
