#!/usr/bin/env bash
# scanfarm-api against a fleet view built the production way: results are
# published to a private results topic, `scanfarm aggregate` consumes it
# into a private key prefix, scanfarm-api serves that prefix, and
# tests/integration/api/api_fleet.py replays the same topic and checks
# every endpoint and filter against answers it computes from the
# documents alone. Then the OpenAPI document is validated and a short
# schemathesis run against the live API must find no 5xx and no answer
# outside the schema (test_api_schema.sh).
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}" "${SF_CORPUS:?}"
. "$SF_SRC/tests/integration/redis_scratch.sh"
sf_redis_scratch api-fleet
if ! (exec 3<>"/dev/tcp/${SF_STACK_KAFKA%:*}/${SF_STACK_KAFKA##*:}") 2>/dev/null; then
  echo "SKIP: no Kafka at $SF_STACK_KAFKA"; exit 0
fi
. "$SF_SRC/tests/integration/api/venv.sh"
sf_api_venv
TOPIC="api-test-$$.results"
H="$SF_SRC/tests/integration/api/api_fleet.py"
API_PID=
cleanup_api() {
  [[ -n $API_PID ]] && kill "$API_PID" 2>/dev/null
  wait 2>/dev/null || true
  "$PY" "$H" drop "$SF_STACK_KAFKA" "$TOPIC" >/dev/null 2>&1 || true
  sf_redis_scratch_cleanup
}
trap cleanup_api EXIT

"$PY" "$H" gen "$SF_CORPUS" "$T/results.jsonl"
"$PY" "$H" publish "$SF_STACK_KAFKA" "$TOPIC" "$T/results.jsonl"
"$SF_BIN/scanfarm" aggregate --kafka "$SF_STACK_KAFKA" --results-topic "$TOPIC" --dlq-topic "" \
  --group "api-test-$$" --once-idle 3 >"$T/agg.log" 2>&1 || { cat "$T/agg.log"; exit 1; }
tail -n 1 "$T/agg.log"

"$SF_BIN/scanfarm-api" --listen 127.0.0.1:0 --web-root "" >"$T/api.out" 2>"$T/api.err" &
API_PID=$!
for _ in $(seq 50); do grep -q listening "$T/api.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/api.out")
[[ -n $PORT ]] || { cat "$T/api.err"; exit 1; }
"$PY" "$H" check "$SF_STACK_KAFKA" "$TOPIC" "http://127.0.0.1:$PORT"
"$PY" "$H" check-cursor "$SF_STACK_REDIS" "$PREFIX" "http://127.0.0.1:$PORT"

# With a running-images inventory present: a second API process, so its
# running view (cached API_RUNNING_TTL_MS) is loaded after the write.
"$PY" "$H" running-put "$SF_STACK_REDIS" "$PREFIX" "$T/results.jsonl"
# and without the name-search sets: the second API backfills them at start
"$PY" "$H" drop-names "$SF_STACK_REDIS" "$PREFIX"
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
"$SF_BIN/scanfarm-api" --listen 127.0.0.1:0 --web-root "" >"$T/api2.out" 2>"$T/api2.err" &
API_PID=$!
for _ in $(seq 50); do grep -q listening "$T/api2.out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$T/api2.out")
[[ -n $PORT ]] || { cat "$T/api2.err"; exit 1; }
"$PY" "$H" check-running "$SF_STACK_KAFKA" "$TOPIC" "http://127.0.0.1:$PORT"
kill "$API_PID"; wait "$API_PID" 2>/dev/null || true
API_PID=
# an ASan/UBSan build reports into the API's stderr on exit
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/api.err" "$T/api2.err"; then exit 1; fi
