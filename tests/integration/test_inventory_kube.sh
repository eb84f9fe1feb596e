#!/usr/bin/env bash
# scanfarm-inventory against a local HTTPS server with the Kubernetes API's
# list+watch semantics, proven faithful with the installed kubectl in the
# same run (tests/integration/kube/kube_inventory.py). Needs the stack's
# Redis and Kafka, openssl, kubectl, kcat, redis-cli.
set -euo pipefail
for t in kubectl openssl kcat redis-cli; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 0; }
done
exec /usr/bin/python3 "${SF_SRC:?}/tests/integration/kube/kube_inventory.py"
