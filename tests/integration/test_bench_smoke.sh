#!/usr/bin/env bash
# bench/run on a tiny fleet (3 repos x 2 tags, one sweep point) against the
# running local stack: the JSON must carry the documented keys and every
# planted finding must be found (0 missed, 0 extra), with one analysis per
# unique layer on the cold run.
set -euo pipefail
: "${SF_CORPUS:?}" "${SF_BIN:?}"
SRC=${SF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d /tmp/bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
SF_BUILD=$(dirname "$SF_BIN") SF_BENCH_RESULTS=$work SF_BENCH_WORK=$work/w "$SRC/bench/run" --repos 3 --tags 2 \
    --workers 2 --sweep 1 --seed 7 --push 1 --json "$work/out.json" >"$work/out.txt" 2>&1 ||
    { tail -n 40 "$work/out.txt"; exit 1; }
python3 - "$work/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("images_per_s", "analyses_per_unique_layer", "machine", "cold", "warm", "rematch",
          "correctness", "baselines", "sweep"):
    assert k in d, f"missing key {k}"
for k in ("gzip", "igzip", "manifest_get"):
    assert k in d["baselines"], f"missing baseline {k}"
for k in ("images_per_s", "layers_per_s", "compressed_mb_per_s", "cache_hit_ratio",
          "analyses_per_unique_layer", "latency_s", "peak_rss_mb_per_worker", "cpu_s_per_image"):
    assert k in d["cold"], f"missing cold.{k}"
c = d["correctness"]
assert c["images_missing"] == 0, c
assert c["found"] > 0 and c["missed"] == 0 and c["extra"] == 0, c
assert c["planted_packages_missed"] == 0, c
assert d["cold"]["results"] == d["cold"]["expected"], d["cold"]
assert d["analyses_per_unique_layer"] == 1.0, d["cold"]
assert d["warm"]["cache_hit_ratio"] == 1.0, d["warm"]
assert d["push"]["bursts"]["1"]["results"] == 1, d.get("push")
# The skip-current rescan over the unchanged fleet: no job, a refs message
# for every digest, none of them in doubt.
s = d["skip"]
assert s["jobs_published"] == 0 and s["skip_check_errors"] == 0, s
assert s["skipped_current"] == s["digests"] == s["refs_msgs"] > 0, s
for k in ("images_per_s", "seconds", "registry"):
    assert k in s, f"missing skip.{k}"
# CPU accounting found every process of the farm: the cold phase cannot
# scan without workers, registry, Kafka and Redis using some CPU.
cpu = d["cold"]["cpu"]["by_process_s"]
for k in ("workers", "registry", "kafka", "redis", "coordinator"):
    assert cpu.get(k, 0) > 0, f"cold phase: no CPU seen for {k}: {cpu}"
assert d["cold"]["cpu"]["machine_busy_s"] >= sum(cpu.values()) * 0.9, d["cold"]["cpu"]
print("bench smoke ok:", d["images_per_s"], "images/s,", c["found"], "findings found")
PY
