# Sourced by the scanfarm-api tests: `sf_api_venv` makes sure a venv under
# the build tree ($SF_BIN/../venv-api) holds what they import —
# confluent-kafka (the helper replays the results topic), openapi-spec-
# validator and schemathesis — and sets PY (its python) and ST (its
# schemathesis). See tests/integration/pyvenv.sh for the install, the lock
# shared with concurrent tests, and the SKIP when pip is offline.
. "$SF_SRC/tests/integration/pyvenv.sh"
sf_api_venv() {
  sf_pyvenv venv-api "confluent_kafka, openapi_spec_validator, schemathesis" \
    confluent-kafka openapi-spec-validator schemathesis
  ST="$SF_BIN/../venv-api/bin/schemathesis"
}
