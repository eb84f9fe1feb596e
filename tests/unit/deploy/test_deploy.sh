#!/usr/bin/env bash
# Deploy files vs the programs: see check_deploy.py. Needs the built
# programs (SF_BIN) and Debian's python3-yaml.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# every kustomization builds (base and overlays), when kubectl is installed
if command -v kubectl >/dev/null; then
    for k in "${SF_SRC:?}"/deploy/k8s/base "${SF_SRC:?}"/deploy/k8s/overlays/*/; do
        kubectl kustomize "$k" >/dev/null || { echo "deploy drift: kubectl kustomize $k fails"; exit 1; }
    done
fi
exec /usr/bin/python3 "$here/check_deploy.py" "${SF_SRC:?}" "${SF_BIN:?}"
