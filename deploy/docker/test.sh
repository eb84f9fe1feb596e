#!/usr/bin/env bash
# deploy/docker/test.sh — the container image and the compose file, run for real.
#
#   deploy/docker/test.sh          (root; CI runs it when SF_CI_DOCKER=1)
#
# 1. a Docker engine: the one DOCKER_HOST names when it answers, else its own
#    dockerd (Debian's docker.io; no iptables, no bridge: every container
#    uses the host's network) with data root and socket under the run dir;
# 2. `docker compose` (v2): the CLI's plugin when present, else one built
#    once with `go install` into the cache (Debian 12 has only Compose 1.29,
#    which rejects compose.yaml's top-level `name:`);
# 3. a Debian 12 base image made here (no image is pulled: mmdebstrap
#    minbase, slimmed like debian:12-slim, cached as a tarball, `docker
#    import`ed) for both BUILD_BASE and RUNTIME_BASE;
# 4. builds the image and its `seed` stage from deploy/docker/Dockerfile,
#    prints their sizes; checks: non-root user, no compiler, a HEALTHCHECK,
#    every program answers --version on a read-only root filesystem;
# 5. builds Kafka (KRaft, Java 17 + the local stack's Maven-resolved jars),
#    Redis and registry images on the same base from Debian's packages
#    (deploy/docker/services/Dockerfile: none of them is pulled);
# 6. brings up deploy/compose/compose.yaml with compose.hostnet.yaml and
#    compose.local-images.yaml, all on the host's network on ports of its
#    own (SF_DT_KAFKA_PORT 29092, SF_DT_KAFKA_CONTROLLER_PORT 29093,
#    SF_DT_REDIS_PORT 26379, SF_DT_REGISTRY_PORT 25000; never the local
#    stacks'): kafka, topics, redis, registry, seed, vulndb, two workers,
#    aggregator, coordinator; waits until every job of the coordinator's run
#    has a result, checks that every seeded image is in `docker compose exec
#    aggregator scanfarm report`, that the long-running services are healthy
#    and read-only;
# 7. takes down what it started (containers, volumes, its dockerd); the
#    images stay in the engine's data root as a build cache.
#
# Environment: SCANFARM_RUN_DIR (default <repo>/.run), SCANFARM_CACHE
# (default ~/.cache/scanfarm; holds the base rootfs, Compose and the Kafka
# jars), SF_CORPUS (must be <repo>/../shared/corpus, the path compose.yaml
# mounts), the four SF_DT_*_PORT above, SF_DOCKER_TIMEOUT (seconds for the
# scans, 300).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUN=${SCANFARM_RUN_DIR:-$SRC/.run}
CACHE=${SCANFARM_CACHE:-$HOME/.cache/scanfarm}
D=$RUN/docker
COMPOSE_VERSION=v2.27.0
BASE=scanfarm-base:bookworm
T0=$(date +%s)
mkdir -p "$D" "$CACHE/docker"

say() { printf 'docker-test: %s\n' "$*"; }
die() { printf 'docker-test: FAIL: %s\n' "$*" >&2; exit 1; }
since() { echo $(($(date +%s) - $1)); }

[[ $EUID == 0 ]] || die "needs root (dockerd, mmdebstrap)"
[[ -d $SRC/../shared/corpus ]] || die "no corpus at $SRC/../shared/corpus (compose.yaml mounts it)"

# --- 0. packages ------------------------------------------------------------
need=()
for p in docker.io containerd runc mmdebstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if ((${#need[@]})); then
    say "installing ${need[*]}"
    # the packages' services must not start (we start dockerd ourselves)
    policy=/usr/sbin/policy-rc.d made=0
    [[ -e $policy ]] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
        >"$D/apt.log" 2>&1 || { ((made)) && rm -f "$policy"; tail -n 20 "$D/apt.log"; die "apt-get"; }
    ((made)) && rm -f "$policy"
fi

# --- 1. engine --------------------------------------------------------------
DPID= XR= PROJECT= ID="dt$$-$(date +%s)"
PREFIX=scanfarm RUNID="docker-$ID"
OUT=$D/run-$ID
export SF_DT_KAFKA_PORT=${SF_DT_KAFKA_PORT:-29092} SF_DT_KAFKA_CONTROLLER_PORT=${SF_DT_KAFKA_CONTROLLER_PORT:-29093}
export SF_DT_REDIS_PORT=${SF_DT_REDIS_PORT:-26379} SF_DT_REGISTRY_PORT=${SF_DT_REGISTRY_PORT:-25000}
rcli() { redis-cli -h 127.0.0.1 -p "$SF_DT_REDIS_PORT" "$@"; }
dc() { docker compose -p "$PROJECT" -f "$SRC/deploy/compose/compose.yaml" \
    -f "$SRC/deploy/compose/compose.hostnet.yaml" -f "$SRC/deploy/compose/compose.local-images.yaml" "$@"; }
cleanup() {
    local rc=$?
    set +e
    if [[ -n $PROJECT ]]; then
        ((rc)) && dc logs --no-color >"$D/compose-$ID.log" 2>&1 &&
            say "compose logs: $D/compose-$ID.log"
        dc down -v --remove-orphans >/dev/null 2>&1
    fi
    [[ -n $OUT ]] && rm -rf "$OUT"
    if [[ -n $DPID ]]; then
        kill -TERM "$DPID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$DPID" 2>/dev/null && { say "dockerd $DPID did not stop; SIGKILL"; kill -KILL "$DPID"; }
        # dockerd leaves its default network namespace mounted in the exec root
        umount "$XR/netns/default" 2>/dev/null
        rm -rf "$XR"
    fi
    exit "$rc"
}
trap cleanup EXIT

if ! { [[ -n ${DOCKER_HOST:-} ]] && docker info >/dev/null 2>&1; }; then
    # The exec root holds containerd's sockets: a short path (sun_path is
    # 108 bytes), one per run dir.
    XR=/tmp/sf-dockerd-$(printf '%s' "$D" | cksum | cut -d' ' -f1)
    export DOCKER_HOST=unix://$D/docker.sock
    if ! docker info >/dev/null 2>&1; then
        mkdir -p "$D/data" "$XR"
        t=$(date +%s)
        setsid dockerd --iptables=false --ip6tables=false --bridge=none --ip-forward=false \
            --ip-masq=false --data-root "$D/data" --exec-root "$XR" --pidfile "$D/dockerd.pid" \
            -H "$DOCKER_HOST" >"$D/dockerd.log" 2>&1 &
        DPID=$!
        for _ in $(seq 150); do docker info >/dev/null 2>&1 && break; sleep 0.2
            kill -0 "$DPID" 2>/dev/null || { tail -n 20 "$D/dockerd.log"; die "dockerd exited"; }; done
        docker info >/dev/null 2>&1 || { tail -n 20 "$D/dockerd.log"; die "dockerd does not answer"; }
        say "dockerd $DPID started in $(since "$t") s ($DOCKER_HOST)"
    fi
fi
say "engine: $(docker info -f '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}')"

# --- 2. compose v2 ----------------------------------------------------------
if ! docker compose version >/dev/null 2>&1; then
    plug=$CACHE/docker/docker-compose-$COMPOSE_VERSION
    if [[ ! -x $plug ]]; then
        command -v go >/dev/null || die "no docker compose plugin and no Go to build one"
        t=$(date +%s)
        say "building docker compose $COMPOSE_VERSION (go install, once)"
        GOBIN=$CACHE/docker/gobin nice go install -p 1 \
            -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
            "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" >"$D/compose-build.log" 2>&1 ||
            { tail -n 20 "$D/compose-build.log"; die "go install compose"; }
        mv "$CACHE/docker/gobin/cmd" "$plug"
        say "built in $(since "$t") s"
    fi
    export DOCKER_CONFIG=$D/config
    mkdir -p "$DOCKER_CONFIG/cli-plugins"
    ln -sf "$plug" "$DOCKER_CONFIG/cli-plugins/docker-compose"
fi
say "$(docker compose version)"

# --- 3. base image ----------------------------------------------------------
# Slimmed as debian:12-slim is: no docs but copyrights, no man/info/locales;
# merged /usr by mmdebstrap's hook (the usrmerge package would pull in perl).
MMOPTS=(--variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*')
key=$(printf '%s\n' "${MMOPTS[@]}" | sha256sum | cut -c1-12)
TAR=$CACHE/docker/bookworm-slim-$key.tar
if ! docker image inspect "$BASE-$key" >/dev/null 2>&1; then
    if [[ ! -s $TAR ]]; then
        t=$(date +%s)
        # the host's apt sources: the same mirror the machine installs from
        src=/etc/apt/sources.list.d/debian.sources
        [[ -f $src ]] || src=/etc/apt/sources.list
        mmdebstrap "${MMOPTS[@]}" --format=tar bookworm "$TAR.part" "$src" >"$D/mmdebstrap.log" 2>&1 ||
            { tail -n 20 "$D/mmdebstrap.log"; die "mmdebstrap"; }
        mv "$TAR.part" "$TAR"
        say "base rootfs made in $(since "$t") s ($(du -m "$TAR" | cut -f1) MB tar)"
    fi
    docker import "$TAR" "$BASE-$key" >/dev/null
fi
docker tag "$BASE-$key" "$BASE"

# --- 4. image ---------------------------------------------------------------
t=$(date +%s)
commit=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
for target in seed final; do
    tag=scanfarm:dev tgt=()
    [[ $target == seed ]] && tag=scanfarm-seed:dev tgt=(--target seed)
    # the legacy builder (no buildx here); --network host: no bridge
    DOCKER_BUILDKIT=0 docker build -q --network host -f "$SRC/deploy/docker/Dockerfile" "${tgt[@]}" \
        --build-arg BUILD_BASE="$BASE" --build-arg RUNTIME_BASE="$BASE" \
        --build-arg GIT_COMMIT="$commit" -t "$tag" "$SRC" >"$D/build-$target.log" 2>&1 ||
        { tail -n 30 "$D/build-$target.log"; die "docker build $target"; }
done
# the images a rebuild replaced (untagged now): the data root stays bounded
docker image prune -f >/dev/null
mb() { echo $(($(docker image inspect -f '{{.Size}}' "$1") / 1000000)); }
say "images built in $(since "$t") s: scanfarm:dev $(mb scanfarm:dev) MB," \
    "scanfarm-seed:dev $(mb scanfarm-seed:dev) MB (base $(mb "$BASE") MB)"

drun() { docker run --rm --network host --read-only --tmpfs /tmp "$@"; }
[[ $(docker image inspect -f '{{.Config.User}}' scanfarm:dev) == 10001:10001 ]] || die "image user is not 10001"
[[ $(drun scanfarm:dev id -u) == 10001 ]] || die "container does not run as uid 10001"
[[ $(drun scanfarm-seed:dev id -u) == 10001 ]] || die "seed container does not run as uid 10001"
hc=$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' scanfarm:dev)
[[ $hc == *healthz* ]] || die "no HEALTHCHECK on /healthz: $hc"
if drun scanfarm:dev sh -c 'command -v cc || command -v gcc || command -v cmake'; then
    die "the runtime image has a compiler"
fi
for p in scanfarm scanfarm-coordinator scanfarm-worker scanfarm-aggregator scanfarm-inventory; do
    v=$(drun scanfarm:dev "$p" --version) || die "$p --version failed in the image"
    [[ $v == *"($commit"* || $commit == unknown ]] || die "$p --version: '$v' does not name $commit"
done
drun scanfarm:dev sh -c 'touch /usr/local/bin/x' 2>/dev/null && die "root filesystem is writable"
say "image: uid 10001, no compiler, HEALTHCHECK, 5 programs answer --version read-only ($v)"

# --- 5. Kafka, Redis and registry images -------------------------------------
t=$(date +%s)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$SRC/deploy/local/pom.xml")
JARS=$CACHE/kafka-$KAFKA_VERSION
if [[ ! -f $JARS/.complete ]]; then
    # the same jars (and the same folder) as deploy/local/stack's
    command -v mvn >/dev/null || die "no Kafka jars in $JARS and no mvn (apt-get install maven)"
    say "resolving Kafka $KAFKA_VERSION jars with Maven into $JARS"
    rm -rf "$JARS.tmp.$$"
    mvn -q -B -f "$SRC/deploy/local/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$JARS.tmp.$$" >"$D/maven.log" 2>&1 || { tail -n 20 "$D/maven.log"; die "maven"; }
    touch "$JARS.tmp.$$/.complete"
    rm -rf "$JARS" && mv "$JARS.tmp.$$" "$JARS"
fi
for svc in kafka redis registry; do
    # the context: the services folder and the jar folder, as one tar stream
    tar -c -C "$SRC/deploy/docker/services" . -C "$CACHE" "kafka-$KAFKA_VERSION" |
        DOCKER_BUILDKIT=0 docker build -q --network host -f Dockerfile --target "$svc" \
            --build-arg BASE="$BASE" --build-arg KAFKA_LIBS="kafka-$KAFKA_VERSION" \
            -t "scanfarm-$svc:local" - >"$D/build-$svc.log" 2>&1 ||
        { tail -n 30 "$D/build-$svc.log"; die "docker build $svc"; }
done
docker image prune -f >/dev/null
say "service images built in $(since "$t") s: scanfarm-kafka:local $(mb scanfarm-kafka:local) MB," \
    "scanfarm-redis:local $(mb scanfarm-redis:local) MB, scanfarm-registry:local $(mb scanfarm-registry:local) MB"

# --- 6. compose: Kafka, Redis, registry and scanfarm --------------------------
t=$(date +%s)
for p in "$SF_DT_KAFKA_PORT" "$SF_DT_KAFKA_CONTROLLER_PORT" "$SF_DT_REDIS_PORT" "$SF_DT_REGISTRY_PORT"; do
    # host networking: a port someone else holds would meet their service
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p is taken (set SF_DT_*_PORT)"
done
mkdir -p "$OUT"
chown 10001:10001 "$OUT" # the seed container (uid 10001) writes its image list there
printf '{"registries":[{"url":"http://127.0.0.1:%s","insecure":true,"include":["corpus/*"]}]}\n' \
    "$SF_DT_REGISTRY_PORT" >"$OUT/coordinator.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export SF_DT_KAFKA=127.0.0.1:$SF_DT_KAFKA_PORT SF_DT_REDIS=127.0.0.1:$SF_DT_REDIS_PORT
export SF_DT_REGISTRY=127.0.0.1:$SF_DT_REGISTRY_PORT
# the broker and Redis are this run's own: compose's default names
export SF_DT_PREFIX=$PREFIX SF_DT_TOPIC=scanfarm SF_DT_RUN=$RUNID SF_DT_OUT=$OUT
export SF_DT_WORKER_PORT=$(free_port) SF_DT_WORKER2_PORT=$(free_port) SF_DT_AGG_PORT=$(free_port)
export SF_DT_COORD_PORT=$(free_port)
export SCANFARM_CACHE_SECRET=${SCANFARM_CACHE_SECRET:-$(head -c 24 /dev/urandom | base64)}
PROJECT=sfdt$$
dc config -q || die "compose config"
dc up -d --no-build >"$D/compose-up.log" 2>&1 || { cat "$D/compose-up.log"; die "compose up"; }
say "compose up in $(since "$t") s"

seeded=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["images"]))' \
    "$OUT/corpus-images.json") || die "seed wrote no image list"
jobs=
for _ in $(seq 120); do
    jobs=$(dc logs --no-color coordinator 2>/dev/null | grep -o '[0-9]* jobs published' |
        tail -1 | cut -d' ' -f1) || true
    [[ -n $jobs ]] && break
    sleep 1
done
[[ -n $jobs ]] || die "the coordinator published no jobs"
n=0
for _ in $(seq $((${SF_DOCKER_TIMEOUT:-300} * 2))); do
    n=$(rcli scard "$PREFIX:agg:run:$RUNID:jobs")
    ((n >= jobs)) && break
    sleep 0.5
done
((n >= jobs)) || die "only $n of $jobs jobs have a result"
say "$jobs jobs ($seeded seeded images) scanned in $(since "$t") s from compose up"

# The table (what a user reads) and the JSON (every image of the run).
dc exec -T aggregator scanfarm report --run "$RUNID" >"$OUT/report.txt" ||
    die "scanfarm report in the aggregator container failed"
grep -q "$SF_DT_REGISTRY/corpus/" "$OUT/report.txt" || { cat "$OUT/report.txt"; die "report names no image"; }
dc exec -T aggregator scanfarm report --run "$RUNID" --format json >"$OUT/report.json" ||
    die "scanfarm report --format json in the aggregator container failed"
missing=$(python3 - "$OUT/corpus-images.json" "$OUT/report.json" "$SF_DT_REGISTRY" <<'EOF'
import json, sys
def strings(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, str):
        yield v
seen = set(strings(json.load(open(sys.argv[2]))))
print(" ".join(f"{i['repository']}:{i['tag']}" for i in json.load(open(sys.argv[1]))["images"]
               if f"{sys.argv[3]}/{i['repository']}:{i['tag']}" not in seen))
EOF
)
if [[ -n $missing ]]; then
    cp "$OUT/report.json" "$D/report-$ID.json"
    die "not in the run's report ($D/report-$ID.json): $missing"
fi
# a health check runs every 10 s after a 10 s start period: wait for it
for s in worker worker-2 aggregator coordinator; do
    c=$(dc ps -q "$s")
    for _ in $(seq 60); do
        h=$(docker inspect -f '{{.State.Health.Status}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}}' "$c")
        [[ $h == starting* ]] || break
        sleep 1
    done
    [[ $h == "healthy true 10001:10001" ]] || die "$s: health, read-only, user = $h"
done
say "report lists all $seeded seeded images; worker, worker-2, aggregator, coordinator healthy, read-only, uid 10001"
say "ok in $(since "$T0") s"
