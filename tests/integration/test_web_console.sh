#!/usr/bin/env bash
# The web console in a real browser against the real scanfarm-api:
#   - a quickstart-sized fleet (fleet_results.py: the corpus' Alpine
#     ground truth, 13 images) is aggregated as run web-1 with `scanfarm-
#     aggregator --from`, then 1,000 synthetic images (fleet_web.py) plus the
#     same 13 as run web-2 are produced to a private results topic and
#     aggregated from Kafka, all under a private key prefix;
#   - scanfarm-api serves that prefix and build/share/web (the `web` target);
#   - aggregator/web/tests/console.test.mjs drives Debian's Chromium through
#     playwright-core: dashboard (and at 420 px), CVE search, image page,
#     severity filters, paging through the 1,000 images, sorting; every
#     number it checks is computed here from the documents fed in; any
#     console error fails it.
# Screenshots: $SF_BIN/../tests/web/*.png. Skipped (exit 77: ctest says
# "Skipped", not "Passed") without scanfarm-api, or outside CI without the
# browser, node or the built console; in CI a missing one fails.
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
need() { # what, why
  if [[ ${CI:-} == true ]]; then echo "FAIL: $1 missing ($2)"; exit 1; fi
  echo "SKIP: $1 missing ($2)"; exit 77
}
[[ -x $SF_BIN/scanfarm-api ]] || { echo "SKIP: no $SF_BIN/scanfarm-api"; exit 77; }
command -v node >/dev/null || need node "Debian: nodejs"
CHROMIUM=${SF_CHROMIUM:-$(command -v chromium || true)}
[[ -n $CHROMIUM ]] || need chromium "apt-get install chromium"
WEB=$SF_BIN/../share/web
[[ -f $WEB/index.html ]] || need "$WEB" "cmake --build <dir> --target web"
[[ -d $SF_SRC/aggregator/web/node_modules/playwright-core ]] || need playwright-core "the web target runs npm ci"
sf_redis_scratch web
K=$SF_STACK_KAFKA
TOPIC="$PREFIX.results" DLQ="$PREFIX.dlq"
AGG="$SF_BIN/scanfarm-aggregator"
T0=$SECONDS
API_PID=
stop_api() { [[ -n $API_PID ]] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null; API_PID=; }
trap 'stop_api; sf_redis_scratch_cleanup' EXIT

python3 "$SF_SRC/tests/integration/agg/fleet_results.py" "$SF_CORPUS" web-1 >"$T/base.jsonl"
"$AGG" --from "$T/base.jsonl"
python3 "$SF_SRC/tests/integration/agg/fleet_results.py" "$SF_CORPUS" web-2 >"$T/base2.jsonl"
python3 "$SF_SRC/tests/integration/web/fleet_web.py" "$T/base.jsonl" web-2 1000 >"$T/fleet.jsonl"

# Topics (the broker does not auto-create): the stack's librdkafka helper.
# shellcheck disable=SC2046
cc -std=c11 -O1 -o "$T/kafka-topics" "$SF_SRC/deploy/local/kafka-topics.c" $(pkg-config --cflags --libs rdkafka)
"$T/kafka-topics" "$K" 2 "$TOPIC" "$DLQ" >/dev/null
python3 - "$T/base2.jsonl" "$T/fleet.jsonl" >"$T/keyed" <<'PY'
import json, sys
for f in sys.argv[1:]:
    for l in open(f):
        print(json.loads(l)["digest"] + "\t" + l.rstrip("\n"))
PY
kcat -P -b "$K" -t "$TOPIC" -K $'\t' <"$T/keyed" # one message a line (a file argument is one message)
"$AGG" --kafka "$K" --results-topic "$TOPIC" --dlq-topic "$DLQ" --group "$PREFIX" --once-idle 5 # idle counts from start: the group join takes ~2 s
echo "fleet aggregated in $((SECONDS - T0)) s"

# What the browser must see, straight from the documents fed in (the
# latest result of each digest: web-2's for the 13, the 1,000 are new).
python3 - "$T/base2.jsonl" "$T/fleet.jsonl" >"$T/expect.json" <<'PY'
import json, sys
docs = {}
for f in sys.argv[1:]:
    for l in open(f):
        d = json.loads(l); docs[d["digest"]] = d
docs = list(docs.values())
cve = "CVE-2021-3450"
fleet = [d for d in docs if d["refs"][0].startswith("fleet.example:5000/")]
crit = sum(1 for d in fleet if any(v["severity"] == "CRITICAL" for v in d["vulnerabilities"]))
assert 0 < crit < len(fleet), crit
print(json.dumps({"images": len(docs), "cve": cve,
                  "cve_images": sum(1 for d in docs if any(v["id"] == cve for v in d["vulnerabilities"])),
                  "image_ref": fleet[5]["refs"][0], "fleet_registry": "fleet.example:5000",
                  "fleet_images": len(fleet), "fleet_critical_images": crit}))
PY
cat "$T/expect.json"

# A running-images inventory (common/fleet/running.h's stored form) for the
# dashboard's "Running now": three fleet images and a digest never scanned.
python3 - "$T/fleet.jsonl" "$T/expect.json" >"$T/running.tsv" <<'PY'
import hashlib, json, sys
fleet = [json.loads(l) for l in open(sys.argv[1])]
run = [fleet[i] for i in (1, 7, 42)]
ghost = "sha256:" + hashlib.sha256(b"never-scanned").hexdigest()
for i, (dg, image) in enumerate([(d["digest"], d["refs"][0]) for d in run] + [(ghost, "ghost:1")]):
    v = {"uid": "u%d" % i, "node": "n%d" % i, "platform": "linux/amd64",
         "owner": {"kind": "Deployment", "name": "app%d" % i},
         "containers": [{"name": "app", "kind": "container", "image": image,
                         "repo": image.rsplit(":", 1)[0], "digest": dg, "since": 1764682620000}]}
    print("default/app%d\t%s" % (i, json.dumps(v)))
e = json.load(open(sys.argv[2]))
e["running"] = sorted(d["digest"] for d in run)
json.dump(e, open(sys.argv[2], "w"))
PY
RC=(redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}")
"${RC[@]}" SADD "$PREFIX:running:clusters" prod >/dev/null
while IFS=$'\t' read -r field value; do
  "${RC[@]}" HSET "$PREFIX:running:pods:prod" "$field" "$value" >/dev/null
done <"$T/running.tsv"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# (Redis: SCANFARM_REDIS from sf_redis_scratch; --redis would add a second node)
"$SF_BIN/scanfarm-api" --listen "127.0.0.1:$PORT" --key-prefix "$PREFIX" \
  --web-root "$WEB" >"$T/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/v1/summary" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$T/api.log"; exit 1; }
  sleep 0.1
done
SHOTS="$SF_BIN/../tests/web"
rm -rf "$SHOTS"
T1=$SECONDS
SF_CHROMIUM="$CHROMIUM" timeout 120 node "$SF_SRC/aggregator/web/tests/console.test.mjs" \
  "http://127.0.0.1:$PORT" "$T/expect.json" "$SHOTS" || { echo "--- api log"; tail -n 30 "$T/api.log"; exit 1; }
echo "browser steps $((SECONDS - T1)) s, whole test $((SECONDS - T0)) s; screenshots in $SHOTS"
stop_api
