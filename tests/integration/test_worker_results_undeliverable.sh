#!/usr/bin/env bash
# A worker whose results cannot be delivered for a while (here its results
# topic does not exist yet; in production a results partition without a
# leader while the consumer group stays healthy) must answer its jobs once
# they can be delivered, without a restart or a rebalance.
#
# Found by tests/soak/run's accounting: the worker re-ran such a job three
# times, then handed it back uncommitted (sf_kcons_release). Its partition
# stays assigned to the same worker, so nothing redelivers it: the job was
# never answered while the worker lived, and it held the partition's commit
# frontier (committed offset "-", lag = every job after it).
#
# Own topics and group on the stack's broker, own Redis prefix; two of the
# shared registry's corpus/alpine images (2 jobs, one per scan thread). Skipped (exit 0) without kcat,
# a C compiler with librdkafka (for deploy/local/kafka-topics.c) or the stack.
set -euo pipefail
: "${SF_SRC:?}" "${SF_BIN:?}" "${SF_STACK_KAFKA:?}" "${SF_STACK_REGISTRY:?}" "${SF_STACK_REDIS:?}"
skip() { echo "skipped: $*"; exit 0; }
command -v kcat >/dev/null || skip "no kcat"
curl -fsS -o /dev/null "http://$SF_STACK_REGISTRY/v2/" || skip "registry $SF_STACK_REGISTRY down"

work=$(mktemp -d /tmp/sf-undeliverable.XXXXXX)
tag=undeliv-$$
wpid=
cleanup() {
    [[ -n $wpid ]] && kill -KILL "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
    [[ ${SF_TEST_KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

# deploy/local/kafka-topics.c creates topics in one fast process.
topics=$work/kafka-topics
# shellcheck disable=SC2046
cc -std=c11 -O1 -o "$topics" "$SF_SRC/deploy/local/kafka-topics.c" \
    $(pkg-config --cflags --libs rdkafka) 2>"$work/cc.log" || skip "cannot build kafka-topics"
"$topics" "$SF_STACK_KAFKA" 1 "$tag.jobs" "$tag.dlq" >/dev/null

python3 "$SF_SRC/tests/fixtures/push-corpus" --registry "$SF_STACK_REGISTRY" --quiet \
    --list "$work/corpus.json"
"$SF_BIN/scanfarm-worker" --kafka "$SF_STACK_KAFKA" --redis "$SF_STACK_REDIS" \
    --key-prefix "$tag" --group "$tag.workers" --jobs-topic "$tag.jobs" \
    --results-topic "$tag.results" --dlq-topic "$tag.dlq" --metrics-port 0 \
    --concurrency 2 --insecure-registry "$SF_STACK_REGISTRY" >"$work/worker.log" 2>&1 &
wpid=$!
printf '{"registries":[{"url":"http://%s","include":["corpus/alpine"],"tags":{"include":["3.10.3","3.12.12"]}}]}\n' \
    "$SF_STACK_REGISTRY" >"$work/coord.json"
"$SF_BIN/scanfarm-coordinator" --config "$work/coord.json" --once --kafka "$SF_STACK_KAFKA" \
    --topic "$tag.jobs" --run-id "$tag-1" --progress never --merge-hold 0 >"$work/coord.log" 2>&1
jobs=$(kcat -C -b "$SF_STACK_KAFKA" -t "$tag.jobs" -o beginning -e -q -f '%o\n' | wc -l)
((jobs > 0)) || { echo "FAIL: no job published"; cat "$work/coord.log"; exit 1; }

# Every job fails its delivery four times (the old hand-back point): the
# producer reports the missing topic at once after its first metadata wait
# (~30 s), so wait for 4 failures per job, bounded (180 s).
for ((i = 0; i < 900; i++)); do
    n=$(grep -c 'results not delivered' "$work/worker.log" || true)
    ((n >= 4 * jobs)) && break
    kill -0 "$wpid" 2>/dev/null || { echo "FAIL: worker exited"; tail -20 "$work/worker.log"; exit 1; }
    sleep 0.2
done
echo "delivery failures before the topic exists: $n (jobs: $jobs)"
((n >= 4 * jobs)) || { echo "FAIL: the results never failed 4 times per job"; exit 1; }

# The topic appears: every job must now be answered by this same worker.
"$topics" "$SF_STACK_KAFKA" 1 "$tag.results" >/dev/null
answered=0
for ((i = 0; i < 45 && answered < jobs; i++)); do
    sleep 1
    answered=$(kcat -C -b "$SF_STACK_KAFKA" -t "$tag.results" -o beginning -e -q -f '%s\n' |
        python3 -c 'import json, sys
print(len({json.loads(l).get("index_digest") or json.loads(l)["digest"] for l in sys.stdin if l.strip()}))')
done
echo "answered after the results topic appeared: $answered of $jobs in ${i}s"
kill -TERM "$wpid"
for ((i = 0; i < 600; i++)); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
wait "$wpid" && rc=0 || rc=$?
wpid=
((answered == jobs)) || { echo "FAIL: jobs left unanswered"; grep -v comp=kafka "$work/worker.log" | tail -20; exit 1; }
((rc == 0)) || { echo "FAIL: worker exit $rc after SIGTERM"; tail -20 "$work/worker.log"; exit 1; }
echo "ok"
