#!/usr/bin/python3
"""bench/api_bench.py: scanfarm-api list and search latency at 1M findings.

  bench/api_bench.py [--images 10000] [--findings 100] [--vulns 5000]
                     [--requests 300] [--clients 8] [--json FILE]
                     [--baseline-bin DIR]

Builds a synthetic fleet of IMAGES images with FINDINGS findings each
(drawn from a pool of VULNS advisories over 5 registries, 200
repositories, 3 ecosystems) and writes it through the aggregator's own
write path (`scanfarm aggregate --from`, the same guarded update the
Kafka consumer runs) into a private Redis started for the run (so the
shared stack's Redis does not carry ~1 GiB of bench data). Then, against
scanfarm-api on that Redis, CLIENTS concurrent clients send REQUESTS
requests per endpoint class, and the same clients time a direct Redis
ZRANGE of a page of the sort index (the floor: one round trip for the
same page, no filtering, no JSON) in the same run. Prints p50/p99 per
class beside the floor and writes bench/results/api-<time>.json. With
--baseline-bin (e.g. main's build/bin), the same classes are also run,
in the same run and on the same Redis, against that scanfarm-api: the
before/after of a change beside one floor.
Timings on a shared machine are floors under load.
"""
import argparse
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
SEVS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
ECOS = ["Alpine:v3.18", "Debian:12", "npm"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fleet(path, n, f, nv, seed=7):
    rnd = random.Random(seed)
    vulns = []
    for i in range(nv):
        eco = ECOS[i % 3]
        vulns.append({"id": "CVE-2023-%05d" % i, "aliases": ["GHSA-bench-%05d" % i] if i % 5 == 0 else [],
                      "package": "pkg%d" % (i % 700), "ecosystem": eco, "installed": "1.%d" % (i % 9),
                      "fixed": "1.%d.1" % (i % 9) if i % 3 else None, "severity": SEVS[i % 5],
                      "cvss": round(2 + (i % 80) / 10, 1) if i % 5 != 4 else None})
    total = 0
    with open(path, "w") as out:
        for k in range(n):
            reg = "reg%d.example.com" % (k % 5)
            repo = "team%d/app%d" % (k % 40, k % 200)
            refs = ["%s/%s:v%d" % (reg, repo, k), "%s/%s:latest" % (reg, repo)] if k % 7 == 0 else \
                ["%s/%s:v%d" % (reg, repo, k)]
            picks = rnd.sample(vulns, f)
            pk = {(v["ecosystem"], v["package"], v["installed"]) for v in picks}
            doc = {"schema": "scanfarm.result/v1", "run_id": "bench-run-1",
                   "digest": "sha256:" + hashlib.sha256(b"img%d" % k).hexdigest(), "index_digest": None,
                   "platform": "linux/amd64", "refs": refs, "os": {"id": "alpine", "version_id": "3.18.4"},
                   "packages": [{"name": p[1], "version": p[2], "type": "npm" if p[0] == "npm" else "apk",
                                 "ecosystem": p[0]} for p in sorted(pk)],
                   "vulnerabilities": picks, "summary": {}, "layers": [], "db_version": "bench-db",
                   "scanned_at": "2026-03-01T%02d:%02d:%02dZ" % (k // 3600 % 24, k // 60 % 60, k % 60),
                   "timings": {}, "error": None}
            out.write(json.dumps(doc) + "\n")
            total += f
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else None


def load(fn, requests, clients):
    """fn(conn_state) -> None per request; latencies in ms."""
    lat, lock, errs = [], threading.Lock(), []
    per = requests // clients

    def worker():
        st = {}
        mine = []
        for _ in range(per):
            t = time.perf_counter()
            try:
                fn(st)
            except Exception as e:  # noqa: BLE001
                errs.append(repr(e))
            mine.append((time.perf_counter() - t) * 1000)
        with lock:
            lat.extend(mine)
    ts = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return lat, time.perf_counter() - t0, errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--findings", type=int, default=100)
    ap.add_argument("--vulns", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json")
    ap.add_argument("--baseline-bin", help="also measure this build's scanfarm-api (before/after)")
    a = ap.parse_args()
    import redis  # the floor's client
    binp = os.environ.get("SF_BIN", os.path.join(SRC, "build", "bin"))
    tmp = tempfile.mkdtemp(prefix="sf-api-bench-")
    rport, aport = free_port(), free_port()
    rs = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
    api = None
    try:
        for _ in range(50):
            try:
                redis.Redis(port=rport).ping()
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        env = dict(os.environ, SCANFARM_REDIS="127.0.0.1:%d" % rport, SCANFARM_KEY_PREFIX="bench")
        docs = os.path.join(tmp, "fleet.jsonl")
        t = time.time()
        total = fleet(docs, a.images, a.findings, a.vulns)
        gen_s = time.time() - t
        # two aggregator processes on halves of the fleet, as replicas would
        # run (the guarded update makes them safe together): the machine's
        # two cores, and Redis, are what the write path then waits on
        lines = open(docs).readlines()
        halves = [os.path.join(tmp, "half%d.jsonl" % i) for i in range(2)]
        for i, h in enumerate(halves):
            with open(h, "w") as fo:
                fo.writelines(lines[i::2])
        del lines
        t = time.time()
        procs = [subprocess.Popen([os.path.join(binp, "scanfarm"), "aggregate", "--from", h], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for h in halves]
        if any(p.wait() for p in procs):
            sys.exit("scanfarm aggregate failed")
        agg_s = time.time() - t
        if redis.Redis(port=rport).hlen("bench:agg:views") != a.images:
            sys.exit("not every image reached the fleet view")
        r = redis.Redis(port=rport)
        mem = r.info("memory")["used_memory"]
        def start_api(bindir):
            p = subprocess.Popen([os.path.join(bindir, "scanfarm-api"), "--listen", "127.0.0.1:%d" % aport,
                                  "--web-root", "", "--threads", "8"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            for _ in range(600):  # a first start backfills the name index
                try:
                    socket.create_connection(("127.0.0.1", aport), timeout=1).close()
                    return p
                except OSError:
                    time.sleep(0.1)
            return p
        rnd = random.Random(3)

        def get(path):
            def fn(st):
                c = st.get("c")
                # one connection per request: the server closes after each answer
                c = http.client.HTTPConnection("127.0.0.1", aport, timeout=30)
                c.request("GET", path() if callable(path) else path)
                resp = c.getresponse()
                body = resp.read()
                c.close()
                if resp.status != 200:
                    raise RuntimeError("%d %s" % (resp.status, body[:200]))
            return fn

        def q(s):
            return urllib.parse.quote(s, safe="")
        classes = [
            ("images: first page (sort risk)", get("/v1/images?limit=50")),
            ("images: deep page (offset 5000)", get("/v1/images?limit=50&cursor=o5000")),
            ("images: severity=CRITICAL", get("/v1/images?severity=CRITICAL&limit=50")),
            ("images: registry+fixable+cvss_min", get("/v1/images?registry=reg1.example.com&fixable=true&cvss_min=7&limit=50")),
            ("images: repository + tag", get(lambda: "/v1/images?repository=%s&tag=latest" % q("reg%d.example.com/team%d/app%d" % ((k := rnd.randrange(200)) % 5, k % 40, k)))),
            ("vulnerabilities: first page", get("/v1/vulnerabilities?limit=50")),
            ("vulnerabilities: severity+registry", get("/v1/vulnerabilities?severity=HIGH&registry=reg2.example.com&limit=50")),
            ("vulnerabilities/{id}/images", get(lambda: "/v1/vulnerabilities/CVE-2023-%05d/images?limit=50" % rnd.randrange(a.vulns))),
            ("search: vulnerability by alias", get(lambda: "/v1/vulnerabilities/GHSA-bench-%05d" % (5 * rnd.randrange(a.vulns // 5)))),
            ("search: image by ref", get(lambda: "/v1/images/" + q("reg%d.example.com/team%d/app%d:v%d" % ((k := rnd.randrange(a.images)) % 5, k % 40, k % 200, k)))),
            ("packages: ecosystem=npm", get("/v1/packages?ecosystem=npm&limit=50")),
            # pages 1-10 of one filtered list, as a user pages through it
            ("images: severity=CRITICAL, pages 1-10", get(lambda: "/v1/images?severity=CRITICAL&limit=50&cursor=o%d" % (50 * rnd.randrange(10)))),
            # a filter seen for the first time (a new cvss_min each request): no reuse
            ("images: severity=CRITICAL + new cvss_min", get(lambda: "/v1/images?severity=CRITICAL&cvss_min=%.6f&limit=50" % rnd.uniform(0, 1))),
        ]
        new_only = [
            ("packages: q=pkg12 (name prefix)", get("/v1/packages?q=pkg12&limit=50")),
            ("packages: q=<random prefix>", get(lambda: "/v1/packages?q=pkg%d&limit=50" % rnd.randrange(700))),
            ("repositories: q=app1", get("/v1/repositories?q=app1&limit=50")),
        ]
        rows = []
        pool = redis.ConnectionPool(port=rport)

        def floor(st):
            rr = st.setdefault("r", redis.Redis(connection_pool=pool))
            rr.zrange("bench:agg:ix:imgrisk", 0, 49, desc=True, withscores=True)
        lat, wall, errs = load(floor, a.requests, a.clients)
        base = {"class": "floor: Redis ZRANGE of one page", "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                "rps": round(len(lat) / wall, 1), "errors": len(errs)}
        def measure(label, cls):
            for name, fn in cls:
                lat, wall, errs = load(fn, a.requests, a.clients)
                rows.append({"class": name + label, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                             "rps": round(len(lat) / wall, 1), "errors": len(errs), "first_error": errs[:1]})
        if a.baseline_bin:
            api = start_api(a.baseline_bin)
            measure(" [baseline]", classes)
            api.terminate()
            api.wait()
        t = time.time()
        api = start_api(binp)
        start_s = time.time() - t
        measure("", classes + new_only)
        # cached list sets live API_LST_CACHE_MS: what they hold right after the load
        mem_after = r.info("memory")["used_memory"]
        res = {"images": a.images, "findings": total, "vulns_pool": a.vulns, "clients": a.clients,
               "requests_per_class": a.requests, "cores": os.cpu_count(),
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "generate_s": round(gen_s, 1), "aggregate_s": round(agg_s, 1),
               "aggregate_images_per_s": round(a.images / agg_s, 1), "redis_used_bytes": mem,
               "redis_used_bytes_after_load": mem_after,
               "api_start_s": round(start_s, 2), "baseline_bin": a.baseline_bin,
               "floor": base, "classes": rows,
               "note": "shared 2-core machine, other helpers' builds and tests running: floors under load"}
        print("scanfarm-api at %d findings (%d images x %d), %d clients, %d requests per class"
              % (total, a.images, a.findings, a.clients, a.requests))
        print("write path: %d images through scanfarm aggregate in %.1f s (%.0f images/s); Redis %.0f MiB"
              % (a.images, agg_s, a.images / agg_s, mem / 2 ** 20))
        print("scanfarm-api start (with the name index backfill): %.2f s" % start_s)
        print("Redis after the load (cached list sets included): %.0f MiB" % (mem_after / 2 ** 20))
        print("%-54s %9s %9s %8s %6s" % ("class", "p50 ms", "p99 ms", "req/s", "errors"))
        for x in [base] + rows:
            print("%-54s %9.2f %9.2f %8.1f %6d" % (x["class"], x["p50_ms"], x["p99_ms"], x["rps"], x["errors"]))
        out = a.json or os.path.join(HERE, "results", "api-%s.json" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        with open(out, "w") as fo:
            json.dump(res, fo, indent=2)
        print("written", out)
    finally:
        if api:
            api.terminate()
            api.wait()
        rs.terminate()
        rs.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
