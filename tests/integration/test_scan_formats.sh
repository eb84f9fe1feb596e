#!/usr/bin/env bash
# `scanfarm scan` outputs checked by real validators (see
# scan/validate_outputs.py): --format json|sarif|cyclonedx|spdx-json and
# -o FILE for the corpus' Alpine 3.10 docker-archive (matched: 20
# findings) and for the registry's two-platform alpine-multiarch index
# (one document holding both platforms). The validators come from the
# Python package index into a venv under the build tree; the test skips,
# saying so, only when pip cannot reach the index. Each validator is also
# shown a broken document, which it must reject.
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/stackenv.sh"
SF="$SF_BIN/scanfarm"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
. "$SF_SRC/tests/integration/scan/validators.sh"
sf_validators

"$SF" db import --quiet --out "$OUT/vuln.db" "$SF_CORPUS/vulndb/alpine-secdb" \
  "$SF_CORPUS/vulndb/alpine-vuln-list-subset"
A="docker-archive:$SF_CORPUS/images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz"
"$SF" scan "$A" --db "$OUT/vuln.db" --format json -o "$OUT/a.json"
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vulnerabilities"]))' "$OUT/a.json")
[ "$N" -gt 0 ] || { echo "FAIL: the Alpine 3.10 archive has no findings"; exit 1; }
"$SF" scan "$A" --db "$OUT/vuln.db" --format cyclonedx -o "$OUT/a.cdx.json"
"$SF" scan "$A" --db "$OUT/vuln.db" --sbom cyclonedx --output "$OUT/a2.cdx.json"
"$SF" scan "$A" --db "$OUT/vuln.db" --format spdx-json -o "$OUT/a.spdx.json"
"$SF" scan "$A" --db "$OUT/vuln.db" --format sarif -o "$OUT/a.sarif"
"$PY" "$VAL" cyclonedx "$OUT/a.cdx.json" --platforms 1 --findings "$N"
"$PY" "$VAL" cyclonedx "$OUT/a2.cdx.json" --platforms 1 --findings "$N"
"$PY" "$VAL" spdx "$OUT/a.spdx.json" --platforms 1
"$PY" "$VAL" sarif "$OUT/a.sarif" --findings "$N"

# -o writes the file and nothing to stdout
[ -z "$("$SF" scan "$A" --format sarif -o "$OUT/quiet.sarif")" ] || { echo "FAIL: -o also printed"; exit 1; }
"$SF" scan "$A" -o "$OUT/a.txt" && grep -q '^Packages:' "$OUT/a.txt"
if "$SF" scan "$A" --format xml >/dev/null 2>&1; then echo "FAIL: --format xml accepted"; exit 1; fi
if "$SF" scan "$A" -o "$OUT/no/such/dir/x" 2>"$OUT/err"; then echo "FAIL: unwritable -o"; exit 1; fi
grep -q "cannot write" "$OUT/err"

M="$SF_STACK_REGISTRY/corpus/alpine-multiarch:3.12.12"
if (exec 3<>"/dev/tcp/${SF_STACK_REGISTRY%:*}/${SF_STACK_REGISTRY##*:}") 2>/dev/null; then
  for f in cyclonedx spdx-json sarif; do
    "$SF" scan "$M" --db "$OUT/vuln.db" --format "$f" -o "$OUT/m.$f.json"
  done
  "$PY" "$VAL" cyclonedx "$OUT/m.cyclonedx.json" --platforms 2
  "$PY" "$VAL" spdx "$OUT/m.spdx-json.json" --platforms 2
  "$PY" "$VAL" sarif "$OUT/m.sarif.json"
else
  echo "SKIP (multi-arch part): no registry at $SF_STACK_REGISTRY"
fi

# The validators must reject broken documents, or the checks above prove nothing.
python3 - "$OUT" <<'PYEOF'
import json, sys
o = sys.argv[1]
d = json.load(open(f"{o}/a.cdx.json")); d["components"][0]["type"] = "no-such-type"
json.dump(d, open(f"{o}/bad.cdx.json", "w"))
d = json.load(open(f"{o}/a.spdx.json")); d["packages"][1]["SPDXID"] = "SPDXRef-bad_id!"
json.dump(d, open(f"{o}/bad.spdx.json", "w"))
d = json.load(open(f"{o}/a.sarif")); d["runs"][0]["results"][0]["level"] = "fatal"
json.dump(d, open(f"{o}/bad.sarif", "w"))
PYEOF
for k in "cyclonedx bad.cdx.json" "spdx bad.spdx.json" "sarif bad.sarif"; do
  set -- $k
  if "$PY" "$VAL" "$1" "$OUT/$2" >"$OUT/bad.log" 2>&1; then
    echo "FAIL: the $1 validator accepted a broken document"; exit 1
  fi
  grep -q INVALID "$OUT/bad.log" || { cat "$OUT/bad.log"; exit 1; }
done
echo "scan formats: all documents valid; broken ones rejected"
