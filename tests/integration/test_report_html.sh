#!/usr/bin/env bash
# The fleet report end to end on the real Redis: results built from the
# corpus' Alpine ground truth are replayed through `scanfarm aggregate
# --from`, then
#   - `report --format json` totals equal the sum over the fed results,
#     and replaying the same results changes no number;
#   - `query cve` lists exactly the refs whose result holds the CVE;
#   - SARIF is 2.1.0 with one result per finding;
#   - the HTML report loads nothing from anywhere, links each CVE of the
#     fed results it lists to NVD, each worst image to its own section
#     (every href="#x" has its id="x"), and has the UNKNOWN column;
#   - the HTML report renders in headless Chromium; the screenshot is kept
#     at $SF_BIN/../tests/report_html.png (skipped when chromium is absent).
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
sf_redis_scratch agg-html
OUT=$T
SF="$SF_BIN/scanfarm"

python3 "$SF_SRC/tests/integration/agg/fleet_results.py" "$SF_CORPUS" run-html-1 >"$OUT/results.jsonl"
"$SF-aggregator" --from "$OUT/results.jsonl"
"$SF" report --format json --out "$OUT/report.json"

# Expected numbers straight from the documents fed in.
python3 - "$OUT/results.jsonl" "$OUT/report.json" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))
findings = {}
fixable = 0
sev = {}
for d in docs:
    seen = set()
    for v in d["vulnerabilities"]:
        k = (v["id"], v["package"], v["installed"])
        if k in seen:
            continue
        seen.add(k)
        sev[v["severity"].lower()] = sev.get(v["severity"].lower(), 0) + 1
        fixable += v["fixed"] is not None
    findings[d["digest"]] = len(seen)
assert rep["images"] == len(docs), (rep["images"], len(docs))
assert rep["findings"]["total"] == sum(findings.values()), rep["findings"]
for s in ("critical", "high", "medium", "low", "unknown"):
    assert rep["findings"][s] == sev.get(s, 0), (s, rep["findings"][s], sev.get(s, 0))
assert rep["fixable"] == fixable
assert rep["images_failed"] == sum(1 for d in docs if d["error"])
assert sum(r["images"] for r in rep["registries"]) >= rep["images"]
print("report totals match: %d images, %d findings, %d fixable"
      % (rep["images"], rep["findings"]["total"], fixable))
PY

# query cve: exactly the refs of the images whose result holds it.
CVE=CVE-2021-3450
"$SF" query cve "$CVE" | cut -f1 | sort -u >"$OUT/got"
python3 - "$OUT/results.jsonl" "$CVE" <<'PY' | sort -u >"$OUT/want"
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if any(v["id"] == sys.argv[2] for v in d["vulnerabilities"]):
        print("\n".join(d["refs"]))
PY
diff -u "$OUT/want" "$OUT/got"
test -s "$OUT/got"
echo "query cve $CVE: $(wc -l <"$OUT/got") refs, as expected"

# status: 13 of 15 published jobs done, one failed with its code; then complete.
if command -v redis-cli >/dev/null; then
  R="redis-cli -h ${REDIS%:*} -p ${REDIS##*:}"
  N=$(wc -l <"$OUT/results.jsonl")
  $R SET "$PREFIX:run:run-html-1:published" $((N + 2)) >/dev/null
  "$SF" status | tee "$OUT/status"
  grep -q "run run-html-1: $N/$((N + 2)) jobs" "$OUT/status"
  grep -q "1 failed (auth=1)" "$OUT/status"
  $R SET "$PREFIX:run:run-html-1:published" "$N" >/dev/null
  "$SF" status --run run-html-1 --follow | tee "$OUT/status"
  grep -q "complete" "$OUT/status"
fi

# Replaying the same results changes nothing.
"$SF-aggregator" --from "$OUT/results.jsonl"
"$SF" report --format json | grep -v generated_ms >"$OUT/again.json"
grep -v generated_ms "$OUT/report.json" | diff -u - "$OUT/again.json"
echo "replay changed no count"

"$SF" report --format sarif --out "$OUT/report.sarif"
python3 - "$OUT/report.sarif" "$OUT/report.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); rep = json.load(open(sys.argv[2]))
assert s["version"] == "2.1.0"
run = s["runs"][0]
assert len(run["results"]) == rep["findings"]["total"]
ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
assert all(r["ruleId"] in ids for r in run["results"])
assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
print("sarif: %d results, %d rules" % (len(run["results"]), len(ids)))
PY

"$SF" report --format table
"$SF" report --format html --out "$OUT/report.html"
test "$(grep -o '<svg' "$OUT/report.html" | wc -l)" -eq 2
# Links are anchors a reader follows; nothing may be fetched on opening.
if grep -qE '(src|srcset|action)=|<link|url\(|@import' "$OUT/report.html"; then
  echo "FAIL: the HTML report references external resources"; exit 1
fi
python3 - "$OUT/report.html" "$OUT/results.jsonl" <<'PY'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.hrefs = []; s.ids = set(); s.th = []; s.in_th = False
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "a": s.hrefs.append(a.get("href", ""))
        if "id" in a: s.ids.add(a["id"])
        s.in_th = tag == "th"
    def handle_data(s, d):
        if s.in_th: s.th.append(d)
    def handle_endtag(s, tag):
        s.in_th = False
p = P(); p.feed(open(sys.argv[1]).read())
ids = {v["id"] for l in open(sys.argv[2]) for v in json.loads(l)["vulnerabilities"]}
local = [h[1:] for h in p.hrefs if h.startswith("#")]
ext = [h for h in p.hrefs if not h.startswith("#")]
assert local, "no image anchors"
missing = [h for h in local if h not in p.ids]
assert not missing, ("anchors without a target", missing[:3])
nvd = [h for h in ext if h.startswith("https://nvd.nist.gov/vuln/detail/CVE-")]
assert nvd, "no CVE links to NVD"
bad = [h for h in nvd if h.rsplit("/", 1)[1] not in ids]
assert not bad, ("links to CVEs no result holds", bad[:3])
assert all(h.startswith("https://") for h in ext), [h for h in ext if not h.startswith("https://")][:3]
assert p.th.count("unknown") >= 2, ("UNKNOWN column missing", p.th.count("unknown"))
trk = [h for h in ext if h.startswith("https://security.alpinelinux.org/vuln/CVE-")]
assert trk, "no Alpine tracker links for the Alpine images"
print("html links: %d image anchors (all resolve), %d advisory links, %d to NVD, %d to the Alpine tracker"
      % (len(local), len(ext), len(nvd), len(trk)))
PY
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP (screenshot): chromium not installed (Debian: apt-get install chromium)"
  exit 0
fi
PNG="$SF_BIN/../tests/report_html.png"
rm -f "$PNG"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$OUT/chrome" --window-size=1300,1500 \
  --screenshot="$PNG" "file://$OUT/report.html" >"$OUT/chrome.log" 2>&1 || {
  cat "$OUT/chrome.log"; exit 1; }
test -s "$PNG"
python3 - "$PNG" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert w >= 1000 and h >= 1000 and len(b) > 20000, (w, h, len(b))
print("screenshot %s: %dx%d, %d bytes" % (sys.argv[1], w, h, len(b)))
PY
