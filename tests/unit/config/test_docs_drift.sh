#!/usr/bin/env bash
# Every docs/*-config.md holds exactly what its program's --print-docs
# prints (one per program and per `scanfarm` command, docs_drift.py lists
# them): fails naming each drifted doc. Regenerate with
#   python3 tests/unit/config/docs_drift.py . build/bin --write
set -euo pipefail
: "${SF_SRC:?}" "${SF_BIN:?}"
python3 "$SF_SRC/tests/unit/config/docs_drift.py" "$SF_SRC" "$SF_BIN"
