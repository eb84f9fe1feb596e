#!/usr/bin/env bash
# The OpenAPI document of scanfarm-api: valid OpenAPI 3.1 (openapi-spec-
# validator), served byte for byte at /v1/openapi.json, and a short
# schemathesis property run against the live API (over a small fleet
# view) finds no 5xx and no answer outside the schema. Kept short: a fixed
# seed, few examples per operation.
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
sf_redis_scratch api-schema
. "$SF_SRC/tests/integration/api/venv.sh"
sf_api_venv
DOC="$SF_SRC/aggregator/api/openapi.json"
"$PY" - "$DOC" <<'PY'
import json, sys
from openapi_spec_validator import validate
doc = json.load(open(sys.argv[1]))
assert doc["openapi"].startswith("3.1"), doc["openapi"]
validate(doc)
print("openapi.json: valid OpenAPI %s, %d paths" % (doc["openapi"], len(doc["paths"])))
PY

python3 "$SF_SRC/tests/integration/api/api_fleet.py" gen "$SF_CORPUS" "$T/results.jsonl"
"$SF_BIN/scanfarm" aggregate --from "$T/results.jsonl" >/dev/null
API_PID=
trap '[[ -n $API_PID ]] && kill $API_PID 2>/dev/null; wait 2>/dev/null; sf_redis_scratch_cleanup' EXIT
"$SF_BIN/scanfarm-api" --listen 127.0.0.1:0 --web-root "" --threads 4 >"$T/api.out" 2>"$T/api.err" &
API_PID=$!
for _ in $(seq 50); do grep -q listening "$T/api.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/api.out")
[[ -n $PORT ]] || { cat "$T/api.err"; exit 1; }
URL="http://127.0.0.1:$PORT"
curl -fsS "$URL/v1/openapi.json" | cmp - "$DOC"
echo "served document equals the source"

cd "$T"
"$ST" run "$URL/v1/openapi.json" --url "$URL" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SF_SCHEMATHESIS_EXAMPLES:-15}" --seed 20 --workers 2 --phases examples,coverage,fuzzing \
  --no-color >"$T/st.log" 2>&1 || { grep -v "^ *$" "$T/st.log" | cut -c1-300 | grep -v "^ *curl" | head -n 120; exit 1; }
tail -n 12 "$T/st.log"
# and the server is still up afterwards
curl -fsS "$URL/v1/summary" >/dev/null
kill -0 "$API_PID"
