#!/usr/bin/env bash
# Deploy files vs the programs: see check_deploy.py. Needs the built
# programs (SF_BIN) and Debian's python3-yaml.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/check_deploy.py" "${SF_SRC:?}" "${SF_BIN:?}"
