#!/usr/bin/env bash
# Rendered Kubernetes objects vs the programs: see check_k8s.py. Needs the
# built programs (SF_BIN) and Debian's python3-yaml; uses kubectl when
# installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/check_k8s.py" "${SF_SRC:?}" "${SF_BIN:?}"
