#!/usr/bin/env bash
# Kafka over SASL_SSL end to end, on a private broker.
#
# deploy/local/stack starts a broker of its own (own run dir and ports, so
# the shared one is never touched) with the SASL_SSL listener: a CA and
# broker certificate made by the stack, one SASL user. Then
#   - a wrong password fails fast (seconds) with librdkafka's reason, for
#     the coordinator and the worker alike, instead of retrying forever;
#   - the coordinator publishes jobs over SASL_SSL (first-class flags and a
#     password file), a worker configured by the environment only
#     (SCANFARM_KAFKA_* and SCANFARM_KAFKA_PROP_*) scans them, and
#     scanfarm-subscribe (-X properties) reads the results, all through the
#     SASL_SSL listener;
#   - --print-config shows the settings and never the password;
#   - the worker's layer cache is a private redis-server with an ACL user
#     (redis://user:pass@host:port/db URL), and its entries land there:
#     AUTH worked (a refused AUTH would only have made the scan uncached).
# PLAIN is the mechanism: Debian's librdkafka 2.0.2 cannot do SCRAM with a
# Kafka 4 broker (fixed in librdkafka 2.6.1); with a newer librdkafka the
# same run is repeated with SCRAM-SHA-512.
#
# Skipped without java, kcat, openssl, the cached Kafka jars, the shared
# registry and Redis.
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}"
. "$SF_SRC/tests/stackenv.sh"
REG=$SF_STACK_REGISTRY REDIS=$SF_STACK_REDIS
skip() { echo "SKIP: $*"; exit 0; }
for c in java kcat openssl python3 redis-server redis-cli; do command -v $c >/dev/null || skip "no $c"; done
ls "${SCANFARM_CACHE:-${HOME:-/root}/.cache/scanfarm}"/kafka-*/.complete >/dev/null 2>&1 ||
  skip "no cached Kafka jars"
# The stack itself is not optional: absent, the test fails.
absent() { echo "FAIL: stack needed and absent: $*" >&2; exit 1; }
curl -sf -o /dev/null --max-time 5 "http://$REG/v2/" || absent "no registry at $REG"
(exec 3<>"/dev/tcp/${REDIS%:*}/${REDIS##*:}") 2>/dev/null || absent "no Redis at $REDIS"

T0=$SECONDS
read -r KP CP SP RP < <(python3 - <<'PY'
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])
PY
)
RUN=$(mktemp -d /tmp/sf-sasl-XXXXXX)
PREFIX="sasl-$$"
WPID= RPID=
RPW='r3dis@pw:1'   # URL-special characters on purpose
RPW_URL='r3dis%40pw%3A1'
stack() {
  SCANFARM_RUN_DIR=$RUN SCANFARM_KAFKA_PORT=$KP SCANFARM_KAFKA_CONTROLLER_PORT=$CP \
    SCANFARM_KAFKA_SASL_PORT=$SP SCANFARM_PARTITIONS=1 SCANFARM_KAFKA_HEAP=256m \
    bash "$SF_SRC/deploy/local/stack" "$@"
}
cleanup() {
  [[ -z $WPID ]] || kill "$WPID" 2>/dev/null || true
  [[ -z $RPID ]] || kill "$RPID" 2>/dev/null || true
  stack down kafka >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null; then
    redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" --scan --pattern "$PREFIX:*" |
      xargs -r redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" DEL >/dev/null || true
  fi
  [[ ${SF_TEST_KEEP_RUN_DIR:-0} == 1 ]] || rm -rf "$RUN"
}
trap cleanup EXIT
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --user default off \
  --user scanfarm on ">$RPW" "~$PREFIX:*" "&*" +@all >"$RUN/redis.log" 2>&1 &
RPID=$!
stack up kafka >"$RUN/stack.out" 2>&1 || { tail -n 30 "$RUN/stack.out"; exit 1; }
echo "private broker up in $((SECONDS - T0))s (plain $KP, sasl_ssl $SP)"

TLS=$RUN/kafka/tls
BROKER=127.0.0.1:$SP
echo not-the-password >"$RUN/wrong"
MECHS=(PLAIN)
if python3 - <<'PY'; then MECHS+=(SCRAM-SHA-512); fi
import ctypes, sys
v = ctypes.CDLL("librdkafka.so.1").rd_kafka_version()
sys.exit(0 if v >= 0x020601ff else 1)
PY

# ---- a wrong password: a clear error within seconds, not a hang
for prog in coordinator worker; do
  t=$SECONDS
  set +e
  if [[ $prog == coordinator ]]; then
    out=$(timeout 60 "$SF_BIN/scanfarm-coordinator" --once --registry "http://$REG" \
      --kafka "$BROKER" --kafka-security-protocol sasl_ssl --kafka-sasl-mechanism PLAIN \
      --kafka-sasl-username scanfarm --kafka-sasl-password-file "$RUN/wrong" \
      --kafka-ca-file "$TLS/ca.pem" --progress never 2>&1)
  else
    out=$(SCANFARM_KAFKA_SECURITY_PROTOCOL=sasl_ssl SCANFARM_KAFKA_PROP_SASL_MECHANISM=PLAIN \
      SCANFARM_KAFKA_SASL_USERNAME=scanfarm SCANFARM_KAFKA_PROP_SASL_PASSWORD=not-the-password \
      SCANFARM_KAFKA_CA_FILE="$TLS/ca.pem" timeout 60 "$SF_BIN/scanfarm-worker" \
      --kafka "$BROKER" --redis "$REDIS" --key-prefix "$PREFIX" --metrics-port 0 2>&1)
  fi
  rc=$?
  set -e
  took=$((SECONDS - t))
  echo "$prog, wrong password: exit $rc after ${took}s"
  ((rc != 0 && rc != 124)) || { echo "$out" | tail -5; echo "FAIL: $prog did not fail"; exit 1; }
  ((took <= 15)) || { echo "FAIL: $prog took ${took}s to give up"; exit 1; }
  grep -q "Invalid username or password" <<<"$out" ||
    { echo "$out" | tail -5; echo "FAIL: $prog: no clear error"; exit 1; }
  if grep -q "not-the-password" <<<"$out"; then echo "FAIL: $prog logged the password"; exit 1; fi
done

# ---- the real thing: coordinator -> worker -> results over SASL_SSL
cat >"$RUN/coord.json" <<EOF
{"registries": [{"url": "http://$REG", "catalog": false, "repositories": ["corpus/alpine"],
                 "tags": {"include": ["3.18.9", "3.20.3"]}}]}
EOF
round=0
for mech in "${MECHS[@]}"; do
  round=$((round + 1))
  run="sasl-$$-$round"
  t=$SECONDS
  cflags=(--config "$RUN/coord.json" --once --kafka "$BROKER" --progress never --run-id "$run"
          --kafka-security-protocol sasl_ssl --kafka-sasl-mechanism "$mech"
          --kafka-sasl-username scanfarm --kafka-sasl-password-file "$TLS/scanfarm.password"
          --kafka-ca-file "$TLS/ca.pem")
  shown=$("$SF_BIN/scanfarm-coordinator" "${cflags[@]}" --print-config)
  grep -q '"sasl.password": "\*\*\*"' <<<"$shown" || { echo "FAIL: password not redacted"; exit 1; }
  ! grep -qF "$(cat "$TLS/scanfarm.password")" <<<"$shown" || { echo "FAIL: password shown"; exit 1; }
  "$SF_BIN/scanfarm-coordinator" "${cflags[@]}" >"$RUN/coord-$round.log" 2>&1 ||
    { tail -n 20 "$RUN/coord-$round.log"; echo "FAIL: coordinator over SASL_SSL"; exit 1; }
  jobs=$(sed -n 's/.* \([0-9]*\) jobs published.*/\1/p' "$RUN/coord-$round.log")
  [[ $jobs == 2 ]] || { tail -n 5 "$RUN/coord-$round.log"; echo "FAIL: $jobs jobs, want 2"; exit 1; }

  pw=$(cat "$TLS/scanfarm.password")
  SCANFARM_KAFKA_SECURITY_PROTOCOL=sasl_ssl SCANFARM_KAFKA_PROP_SASL_MECHANISM=$mech \
    SCANFARM_KAFKA_SASL_USERNAME=scanfarm SCANFARM_KAFKA_PROP_SASL_PASSWORD=$pw \
    SCANFARM_KAFKA_CA_FILE="$TLS/ca.pem" "$SF_BIN/scanfarm-worker" --kafka "$BROKER" \
    --redis "redis://scanfarm:$RPW_URL@127.0.0.1:$RP/1" --key-prefix "$PREFIX" \
    --metrics-port 0 --insecure-registry "$REG" \
    --group "sasl-workers-$$" --concurrency 2 >"$RUN/worker-$round.log" 2>&1 &
  WPID=$!
  SCANFARM_KAFKA_PROP_SASL_PASSWORD=$pw timeout 60 "$SF_BIN/scanfarm-subscribe" -b "$BROKER" \
    -n $((2 * round)) -X security.protocol=sasl_ssl -X "sasl.mechanism=$mech" \
    -X sasl.username=scanfarm -X "ssl.ca.location=$TLS/ca.pem" >"$RUN/results-$round.tsv" ||
    { tail -n 20 "$RUN/worker-$round.log"; echo "FAIL: no results over SASL_SSL"; exit 1; }
  kill "$WPID"
  wait "$WPID" || { tail -n 20 "$RUN/worker-$round.log"; echo "FAIL: worker exit"; exit 1; }
  WPID=
  got=$(awk -F'\t' -v r="$run" '$2 == r && $9 == "-" { n++ } END { print n + 0 }' \
    "$RUN/results-$round.tsv")
  [[ $got == 2 ]] || { cat "$RUN/results-$round.tsv"; echo "FAIL: $got good results of $run"; exit 1; }
  ! grep -qF "$pw" "$RUN/worker-$round.log" "$RUN/coord-$round.log" ||
    { echo "FAIL: a log holds the password"; exit 1; }
  ! grep -qF "$RPW" "$RUN/worker-$round.log" || { echo "FAIL: the Redis password logged"; exit 1; }
  cached=$(redis-cli -p "$RP" --user scanfarm --pass "$RPW" --no-auth-warning -n 1 \
    --scan --pattern "$PREFIX:*" | wc -l)
  ((cached > 0)) || { tail -n 20 "$RUN/worker-$round.log"; echo "FAIL: nothing cached in the ACL Redis"; exit 1; }
  echo "$mech: 2 jobs -> 2 results over SASL_SSL in $((SECONDS - t))s; $cached keys in the ACL Redis (db 1)"
done
echo "ok in $((SECONDS - T0))s (a loaded 2-core box: a floor, not a figure)"
