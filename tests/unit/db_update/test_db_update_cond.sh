#!/usr/bin/env bash
# `scanfarm db update` through registry/http against one local source
# (cond_server.py; no network, no stack): a 503 with Retry-After: 1 is
# retried after the second asked for and reported, the 200's ETag is
# kept, the next update sends If-None-Match and takes the 304 as
# "unchanged" (DB kept), and a changed source is fetched again.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cp "$SF_CORPUS/vulndb/alpine-vuln-list-subset/secdb-v3.20-main.subset.json" "$T/src.json"
python3 "$SF_SRC/tests/unit/db_update/cond_server.py" --file "$T/src.json" \
    --port-file "$T/port" --log "$T/log" &
PID=$!
for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.1; done
[[ -s $T/port ]] || fail "server did not start"
URL="http://127.0.0.1:$(cat "$T/port")/src.json"
upd() { "$SF_BIN/scanfarm" db update --out "$T/db.sfdb" --cache "$T/cache" --url "$URL" "$@"; }

upd >"$T/out1" 2>"$T/err1" || fail "first update failed: $(cat "$T/err1")"
grep -q "$URL *updated" "$T/out1" || fail "not updated: $(cat "$T/out1")"
grep -q "HTTP 503, retrying in" "$T/err1" || fail "the 503 was not reported retried: $(cat "$T/err1")"
ls "$T/cache"/*.etag >/dev/null 2>&1 || fail "no ETag kept"
upd >"$T/out2" 2>"$T/err2" || fail "second update failed: $(cat "$T/err2")"
grep -q "$URL *unchanged" "$T/out2" || fail "304 not unchanged: $(cat "$T/out2")"
grep -q "no source changed" "$T/out2" || fail "DB rebuilt on a 304: $(cat "$T/out2")"
printf '\n' >>"$T/src.json" # a new ETag
upd >"$T/out3" 2>"$T/err3" || fail "third update failed: $(cat "$T/err3")"
grep -q "$URL *updated" "$T/out3" || fail "changed source not refetched: $(cat "$T/out3")"
python3 - "$T/log" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert [x["code"] for x in r] == [503, 200, 304, 200], r
assert r[1]["t"] - r[0]["t"] >= 0.95, "Retry-After: 1 not honoured"
assert r[0]["inm"] is None and r[1]["inm"] is None, r
assert r[2]["inm"] and r[2]["inm"] == r[3]["inm"], r  # the kept ETag, sent both times
print(f"retry after {r[1]['t'] - r[0]['t']:.2f} s; 304 on If-None-Match {r[2]['inm']}")
PY
echo "db update conditional fetch: ok"
