# deploy/local/stack-redis-extra.sh — sourced by deploy/local/stack: the
# optional Redis services, started only when named (never by a plain
# `stack up`, so CI pays nothing unless a test asks for them).
#
#   redis-tls      one redis-server speaking TLS only, with an ACL user:
#                  CA, server and client certificates made with openssl
#                  under <run>/redis-tls/tls (ca.pem is what clients
#                  trust; client.pem/client.key for mutual TLS), password
#                  of user 'scanfarm' in <run>/redis-tls/tls/scanfarm.password
#   redis-cluster  Redis Cluster of 3 masters + 3 replicas (rc1..rc6 on
#                  SCANFARM_REDIS_CLUSTER_PORT..+5, bus ports +10000),
#                  created once with `redis-cli --cluster create`; each
#                  node is also a service of its own (`stack kill rc2`)
#
# Environment: SCANFARM_REDIS_TLS_PORT [6390], SCANFARM_REDIS_CLUSTER_PORT
# [7000], SCANFARM_REDIS_CLUSTER_NODE_TIMEOUT [1000] ms (a replica is
# promoted ~2 s after its master dies; production clusters use 15000).

RTLS_PORT=${SCANFARM_REDIS_TLS_PORT:-6390}
RC_PORT=${SCANFARM_REDIS_CLUSTER_PORT:-7000}
RC_TIMEOUT=${SCANFARM_REDIS_CLUSTER_NODE_TIMEOUT:-1000}
RC_NODES=(rc1 rc2 rc3 rc4 rc5 rc6)

rc_port() { printf '%d' $((RC_PORT + ${1#rc} - 1)); }

# redis_common_conf DIR: the cache settings every extra node shares.
redis_common_conf() {
    cat <<EOF
# written by deploy/local/stack: a cache, nothing is persisted
bind $HOST
protected-mode yes
daemonize no
dir $1
save ""
appendonly no
maxmemory $REDIS_MAXMEM
maxmemory-policy noeviction
loglevel notice
EOF
}

# ---------------------------------------------------------------- redis-tls

rtls_dir() { printf '%s/redis-tls/tls' "$RUN"; }

rtls_make_certs() {
    local t
    t=$(rtls_dir)
    mkdir -p "$t"
    chmod 700 "$t"
    [[ -s $t/server.pem && -s $t/client.pem ]] && return 0
    (
        cd "$t" || exit 1
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=scanfarm redis CA" \
            -keyout ca.key -out ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$HOST" -keyout server.key -out server.csr
        printf 'subjectAltName=IP:%s,DNS:localhost\nextendedKeyUsage=serverAuth\n' "$HOST" \
            >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
            -extfile server.ext -out server.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=scanfarm-client" -keyout client.key \
            -out client.csr
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
            -extfile client.ext -out client.pem
        head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >scanfarm.password
        chmod 644 ca.pem
    ) >>"$RUN/redis-tls/redis-tls.log" 2>&1 || die "redis-tls: making the certificates failed"
}

redis-tls_answers() {
    local t
    t=$(rtls_dir)
    [[ $(timeout 5 redis-cli -h "$HOST" -p "$RTLS_PORT" --tls --cacert "$t/ca.pem" \
        --cert "$t/client.pem" --key "$t/client.key" --user scanfarm \
        --pass "$(<"$t/scanfarm.password")" --no-auth-warning ping 2>/dev/null) == PONG ]]
}

start_redis_tls() {
    if service_pid redis-tls >/dev/null; then
        say "redis-tls already running (pid $(service_pid redis-tls))"
    else
        port_busy "$RTLS_PORT" && die "redis-tls: port $RTLS_PORT is taken"
        local d=$RUN/redis-tls t
        mkdir -p "$d"
        rtls_make_certs
        t=$(rtls_dir)
        (
            umask 077
            redis_common_conf "$d"
            cat <<EOF
port 0
tls-port $RTLS_PORT
tls-cert-file $t/server.pem
tls-key-file $t/server.key
tls-ca-cert-file $t/ca.pem
# clients may present a certificate (mutual TLS is tested) but need not
tls-auth-clients optional
user default off
user scanfarm on >$(<"$t/scanfarm.password") ~* &* +@all
EOF
        ) >"$d/redis-tls.conf"
        spawn redis-tls redis-server "$d/redis-tls.conf"
        say "redis-tls started (pid $(<"$(pidfile redis-tls)"), TLS on $HOST:$RTLS_PORT)"
    fi
    wait_ready redis-tls redis-tls_answers
}

# ------------------------------------------------------------ redis-cluster

rc_answers() { [[ $(timeout 5 redis-cli -h "$HOST" -p "$(rc_port "$1")" ping 2>/dev/null) == PONG ]]; }
for _n in "${RC_NODES[@]}"; do eval "${_n}_answers() { rc_answers $_n; }"; done

rc_state_ok() {
    timeout 5 redis-cli -h "$HOST" -p "$RC_PORT" cluster info 2>/dev/null |
        grep -q '^cluster_state:ok'
}

start_rc_node() {
    local n=$1 p d
    p=$(rc_port "$n")
    d=$RUN/$n
    service_pid "$n" >/dev/null && return 0
    port_busy "$p" && die "$n: port $p is taken"
    mkdir -p "$d"
    {
        redis_common_conf "$d"
        cat <<EOF
port $p
cluster-enabled yes
cluster-config-file $d/nodes.conf
cluster-node-timeout $RC_TIMEOUT
# a replica takes over however long it was cut off (tests kill masters)
cluster-replica-validity-factor 0
# a replica's first full sync starts at once (Redis 7 waits 5 s by default
# for more replicas to share a diskless transfer; tests write, then crash)
repl-diskless-sync-delay 0
EOF
    } >"$d/$n.conf"
    spawn "$n" redis-server "$d/$n.conf"
}

start_redis_cluster() {
    local n addrs=() deadline
    for n in "${RC_NODES[@]}"; do start_rc_node "$n"; done
    for n in "${RC_NODES[@]}"; do wait_ready "$n" "${n}_answers"; done
    if [[ ! -f $RUN/rc1/.created ]]; then
        for n in "${RC_NODES[@]}"; do addrs+=("$HOST:$(rc_port "$n")"); done
        redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
            >>"$RUN/rc1/rc1.log" 2>&1 || fail_with_log rc1 "redis-cli --cluster create failed"
        touch "$RUN/rc1/.created"
    fi
    deadline=$((SECONDS + TIMEOUT))
    until rc_state_ok; do
        ((SECONDS < deadline)) || fail_with_log rc1 "cluster not ok after ${TIMEOUT}s"
        sleep 0.2
    done
    say "redis-cluster up (3 masters + 3 replicas on $HOST:$RC_PORT..$((RC_PORT + 5)))"
}
