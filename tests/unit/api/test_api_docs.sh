#!/usr/bin/env bash
# docs/api.md is generated from aggregator/api/openapi.json: fail on drift.
set -euo pipefail
: "${SF_SRC:?}"
if ! diff -u "$SF_SRC/docs/api.md" <(python3 "$SF_SRC/aggregator/api/gen_api_md.py" "$SF_SRC/aggregator/api/openapi.json"); then
  echo "docs/api.md drifted from openapi.json; regenerate: aggregator/api/gen_api_md.py aggregator/api/openapi.json > docs/api.md"
  exit 1
fi
echo "docs/api.md matches openapi.json"
