#!/usr/bin/env bash
# `scanfarm db update` against a local HTTP server over corpus files:
# first run fetches and builds, second run gets 304s and keeps the DB,
# a changed source is refetched and the DB rebuilt; a failing source
# leaves the old DB untouched.
set -euo pipefail
: "${SF_CORPUS:?}" "${SF_BIN:?}"
work=$(mktemp -d /tmp/vdb-update-test.XXXXXX)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/www"
cp "$SF_CORPUS/vulndb/osv/rustsec-osv.tar.gz" "$work/www/"
cp "$SF_CORPUS/vulndb/alpine-vuln-list-subset/secdb-v3.20-main.subset.json" "$work/www/main.json"
cp "$SF_CORPUS/vulndb/debian-security-tracker/DSA-list" "$work/www/DSA-list"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >"$work/http.log" 2>&1) &
srv_pid=$!
for _ in $(seq 50); do bash -c "</dev/tcp/127.0.0.1/$port" 2>/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$port"
db="$work/vuln.db"
run() { "$SF_BIN/scanfarm" db update --out "$db" --cache "$work/cache" \
          --url "$base/rustsec-osv.tar.gz" --url "$base/main.json" --url "$base/DSA-list" "$@"; }

out=$(run)
echo "$out"
[ "$(grep -c ' updated$' <<<"$out")" -eq 3 ] || { echo "FAIL: first run did not fetch all"; exit 1; }
"$SF_BIN/scanfarm" db info --db "$db" | tee "$work/info1"
grep -q 'crates.io' "$work/info1" && grep -q 'Alpine:v3.20' "$work/info1" && grep -q 'Debian:11' "$work/info1" \
  || { echo "FAIL: ecosystems missing from db info"; exit 1; }
v1=$("$SF_BIN/scanfarm" db info --db "$db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')

out=$(run)
echo "$out"
[ "$(grep -c ' unchanged$' <<<"$out")" -eq 3 ] || { echo "FAIL: second run was not conditional"; exit 1; }
grep -q 'no source changed' <<<"$out" || { echo "FAIL: DB rebuilt without changes"; exit 1; }

# A newer source (Last-Modified moves on) is fetched again and rebuilt.
sleep 1.1
printf '[01 Jan 2099] DSA-9999-1 newpkg - security update\n\t{CVE-2099-0001}\n\t[bookworm] - newpkg 1.0-1\n' >> "$work/www/DSA-list"
touch "$work/www/DSA-list"
out=$(run)
echo "$out"
grep -q 'DSA-list *updated' <<<"$out" || { echo "FAIL: changed source not refetched"; exit 1; }
v2=$("$SF_BIN/scanfarm" db info --db "$db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ "$v1" != "$v2" ] || { echo "FAIL: DB not rebuilt"; exit 1; }
"$SF_BIN/scanfarm" db info --db "$db" | grep -q 'Debian:12' || { echo "FAIL: new record missing"; exit 1; }

# A failing source keeps the previous DB.
if "$SF_BIN/scanfarm" db update --out "$db" --cache "$work/cache" --url "$base/missing.zip" --force; then
  echo "FAIL: missing source not reported"; exit 1
fi
v3=$("$SF_BIN/scanfarm" db info --db "$db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ "$v2" = "$v3" ] || { echo "FAIL: DB replaced after a failed update"; exit 1; }
echo "PASS"
