# Sourced by the scanfarm-api tests: `sf_api_venv` makes sure a venv under
# the build tree ($SF_BIN/../venv-api) holds what they import —
# confluent-kafka (the helper replays the results topic), openapi-spec-
# validator and schemathesis — installing them with pip when missing, and
# sets PY (its python) and ST (its schemathesis). When pip cannot reach the
# package index the calling test exits 0 with SKIP and the reason (as
# tests/integration/scan/validators.sh does).
sf_api_venv() {
  local venv="$SF_BIN/../venv-api" log
  PY="$venv/bin/python"
  ST="$venv/bin/schemathesis"
  if [ -x "$PY" ] && [ -x "$ST" ] &&
     "$PY" -c 'import confluent_kafka, openapi_spec_validator, schemathesis' 2>/dev/null; then
    return 0
  fi
  log=$(mktemp)
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check \
      confluent-kafka openapi-spec-validator schemathesis >"$log" 2>&1; then
    if grep -qiE "connection|resolve|network|timed out|No matching distribution" "$log"; then
      echo "SKIP: pip cannot reach the package index; API test tools not installed"; tail -3 "$log"
      rm -f "$log"; exit 0
    fi
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"
}
