# scan_sh: the preamble of the shell tests that run `scanfarm scan` on the
# corpus; source it after `set -euo pipefail`. It requires SF_BIN and
# SF_CORPUS and sets T (a scratch folder, removed on exit), SF (the
# scanfarm program) and A (the corpus' Alpine 3.10 docker-archive: 20
# findings against the Alpine DBs).
: "${SF_BIN:?}" "${SF_CORPUS:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SF="$SF_BIN/scanfarm"
A="docker-archive:$SF_CORPUS/images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz"
