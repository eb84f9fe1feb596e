#!/usr/bin/env bash
# tests/stackenv.sh — the local stack's addresses, for tests, fixtures and bench.
#
#   . tests/stackenv.sh             sets SF_STACK_KAFKA, SF_STACK_REDIS,
#                                   SF_STACK_REGISTRY (host:port, exported)
#   tests/stackenv.sh CMD [ARG...]  the same, then runs CMD without the
#                                   programs' SCANFARM_KAFKA/_REDIS/_REGISTRY;
#                                   ctest launches every integration test so
#
# Each address kept when already set, else 127.0.0.1 with the port
# deploy/local/stack uses: SCANFARM_KAFKA_PORT [9092], SCANFARM_REDIS_PORT
# [6379], SCANFARM_REGISTRY_PORT [5000]. So a second stack started with other
# ports is tested by running ctest with the same SCANFARM_*_PORT variables.
#
# Why not SCANFARM_KAFKA/_REDIS/_REGISTRY: the programs read those as their
# configuration (to the coordinator SCANFARM_REGISTRY means "also enumerate
# this registry"), so a test reading them would change what the programs it
# starts do. Tests pass the addresses to the programs explicitly instead.

sf_stack_addr_() { # NAME PORTVAR DEFAULT_PORT
    local cur=${!1:-} port=${!2:-$3}
    [[ $port =~ ^[0-9]+$ ]] || { echo "stackenv: $2 must be a number, got '$port'" >&2; return 1; }
    export "$1=${cur:-127.0.0.1:$port}"
}
sf_stack_addr_ SF_STACK_KAFKA SCANFARM_KAFKA_PORT 9092 &&
    sf_stack_addr_ SF_STACK_REDIS SCANFARM_REDIS_PORT 6379 &&
    sf_stack_addr_ SF_STACK_REGISTRY SCANFARM_REGISTRY_PORT 5000 || {
    # sourced: return; run: exit
    return 64 2>/dev/null || exit 64
}
unset -f sf_stack_addr_

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    (($#)) || { echo "usage: tests/stackenv.sh CMD [ARG...]" >&2; exit 64; }
    unset SCANFARM_KAFKA SCANFARM_REDIS SCANFARM_REGISTRY
    exec "$@"
fi
