#!/usr/bin/env bash
# `scanfarm db update --nvd` against a local stand-in of NVD's CVE API 2.0
# (nvd_fixture_server.py, serving the corpus's 55 NVD records; the network
# is closed here): windows of at most 120 days from --nvd-since, paging by
# --nvd-page, the apiKey header, spacing of requests (--nvd-delay), a 503
# retried, the import of the pages into the DB, the watermark that makes
# the next update incremental, and a failed update that keeps DB and
# watermark.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

python3 "$SF_SRC/tests/unit/db_update/nvd_fixture_server.py" --records "$SF_CORPUS/vulndb/nvd" \
    --port-file "$T/port" --log "$T/log" --fail-first &
PID=$!
for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.1; done
[[ -s $T/port ]] || fail "fixture server did not start"
P=$(cat "$T/port")
API="http://127.0.0.1:$P/rest/json/cves/2.0"
export SF_NVD_RETRY_SCALE=0 # no backoff sleeps in the test
upd() {
    "$SF_BIN/scanfarm" db update --out "$T/db.sfdb" --cache "$T/cache" \
        --url "http://127.0.0.1:$P/osv/record.json" --nvd --nvd-url "$API" "$@"
}

# A first update needs a start.
if upd --nvd-delay 0 >"$T/out0" 2>&1; then fail "first update without --nvd-since succeeded"; fi
grep -q -- "--nvd-since" "$T/out0" || fail "no hint at --nvd-since: $(cat "$T/out0")"

# 1. The first update, from 2016, 20 records a page, with a key.
upd --nvd-api-key sekrit --nvd-since 2016-01-01T00:00:00.000Z --nvd-delay 0.05 --nvd-page 20 \
    >"$T/out1" 2>"$T/err1" || fail "update failed: $(cat "$T/err1")"
grep -q "$API *updated" "$T/out1" || fail "NVD not reported updated: $(cat "$T/out1")"
grep -q "retrying" "$T/err1" || fail "the 503 was not retried: $(cat "$T/err1")"
"$SF_BIN/scanfarm" db info --db "$T/db.sfdb" --json >"$T/info1"
python3 - "$T/info1" "$T/log" <<'PY'
import json, sys, datetime
info = json.load(open(sys.argv[1]))
c = info["meta"]["cves"]
assert c["total"] == 55 and c["cvss"] == 54, c
assert info["meta"]["records"] == 1, info["meta"]["records"]  # the OSV record
reqs = [json.loads(l) for l in open(sys.argv[2])]
api = [r for r in reqs if r["path"].endswith("/cves/2.0")]
assert all(r["apiKey"] == "sekrit" for r in api), "apiKey header missing"
d = lambda s: datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
for r in api:
    q = r["q"]
    assert (d(q["lastModEndDate"]) - d(q["lastModStartDate"])).days <= 120, q
    assert q["resultsPerPage"] == "20", q
assert api[0]["q"] == api[1]["q"], "the failed first request was not repeated"
assert d(api[0]["q"]["lastModStartDate"]) == datetime.datetime(2016, 1, 1)
windows = {}
for r in api[1:]:
    windows.setdefault(r["q"]["lastModStartDate"], []).append(int(r["q"]["startIndex"]))
# The corpus has windows with more than one page: paging continued at 20, 40...
assert any(len(v) > 1 and v == list(range(0, 20 * len(v), 20)) for v in windows.values()), windows
gaps = [b["t"] - a["t"] for a, b in zip(reqs, reqs[1:]) if a["path"].endswith("/cves/2.0")]
assert min(gaps) >= 0.045, min(gaps)  # --nvd-delay 0.05 between requests
print(f"{len(api)} NVD requests, {len(windows)} windows, min gap {min(gaps):.3f} s")
PY
[[ -s $T/cache/nvd/.watermark ]] || fail "no watermark"
MARK=$(cat "$T/cache/nvd/.watermark")
NPAGES=$(ls "$T/cache/nvd"/nvd-*.json | wc -l)

# 2. The next update asks only for what changed since the watermark.
: >"$T/log"
upd --nvd-delay 0 >"$T/out2" 2>"$T/err2" || fail "second update failed: $(cat "$T/err2")"
grep -q "$API *unchanged" "$T/out2" || fail "second NVD update not unchanged: $(cat "$T/out2")"
python3 - "$T/log" "$MARK" <<'PY'
import json, sys
api = [json.loads(l) for l in open(sys.argv[1]) if "/cves/2.0" in l]
assert len(api) == 1, api
assert api[0]["q"]["lastModStartDate"] == sys.argv[2], (api[0]["q"], sys.argv[2])
assert api[0]["apiKey"] is None
PY
[[ $(ls "$T/cache/nvd"/nvd-*.json | wc -l) == "$NPAGES" ]] || fail "pages changed"
"$SF_BIN/scanfarm" db info --db "$T/db.sfdb" --json | grep -q '"cves":{"cvss":54,"epss":0,"kev":0,"total":55}' ||
    fail "the rebuilt DB lost NVD records"

# 3. NVD unreachable (the other source still answers): the update fails,
#    the DB and the watermark stay.
MARK=2026-01-01T00:00:00.000Z # older than now: there is a window to ask for
echo "$MARK" >"$T/cache/nvd/.watermark"
cp "$T/db.sfdb" "$T/db.before"
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if "$SF_BIN/scanfarm" db update --out "$T/db.sfdb" --cache "$T/cache" \
    --url "http://127.0.0.1:$P/osv/record.json" --nvd --nvd-url "http://127.0.0.1:$DEAD/cves/2.0" \
    --nvd-delay 0 --timeout 5 >"$T/out3" 2>&1; then fail "update with NVD down succeeded"; fi
grep -q "DB not rebuilt" "$T/out3" || fail "no 'DB not rebuilt': $(cat "$T/out3")"
cmp -s "$T/db.sfdb" "$T/db.before" || fail "DB changed after a failed update"
[[ $(cat "$T/cache/nvd/.watermark") == "$MARK" ]] || fail "watermark moved after a failed update"
echo "db update --nvd: ok"
