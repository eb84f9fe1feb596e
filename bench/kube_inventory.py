#!/usr/bin/python3
"""bench/kube_inventory.py: scanfarm-inventory on a large cluster.

  bench/kube_inventory.py [--pods 10000] [--namespaces 500] [--images 300]
                          [--events 2000] [--json FILE]

Serves N pods across M namespaces (one Deployment -> ReplicaSet per
namespace, two containers per pod, digests drawn from a pool) from the
list+watch test server (tests/fixtures/kubeapi.py, HTTPS, bearer token),
then measures, in the same run:

  list      `scanfarm-inventory --once`: wall time from start to exit
            (every page listed, owners resolved, every pod written to Redis,
            stale fields swept), its peak RSS, and the Redis memory of the
            running view;
  floor     `kubectl get pods -A -o json` against the same server: the
            server's own cost of producing the same pages;
  watch     the inventory watching: K events (MODIFIED to another digest,
            then DELETED) applied by the server, wall time until Redis
            shows all of them, events/s, and the process's peak RSS (VmHWM);
  restart   a second `--once` over the recorded state (rewrites, no
            duplicates: the field count must equal the pod count).

Needs the stack's Redis (SF_STACK_REDIS, or 127.0.0.1:6379), kubectl,
openssl, redis-cli and a build (SF_BIN, default build/bin). Scan jobs are
off (--jobs false): this measures the inventory, not Kafka. Timings on a
shared machine are floors.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "fixtures"))
import kubeapi  # noqa: E402

BIN = os.environ.get("SF_BIN", os.path.join(SRC, "build", "bin"))
REDIS = os.environ.get("SF_STACK_REDIS", "127.0.0.1:6379")
PREFIX = "sfbench-kube-%d" % os.getpid()
TOKEN = "bench-%d" % os.getpid()


def redis(*args):
    host, port = REDIS.rsplit(":", 1)
    return subprocess.run(["redis-cli", "-h", host, "-p", port, "--raw"] + list(args),
                          capture_output=True, text=True, timeout=60).stdout.strip()


def digest(i):
    return "sha256:%064x" % (i + 1)


def make_pod(ns, name, d1, d2, rs):
    def st(n, img, d):
        return {"name": n, "image": img, "imageID": img.split(":")[0] + "@" + d, "ready": True,
                "restartCount": 0, "state": {"running": {"startedAt": "2026-12-01T10:00:00Z"}}}
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": "u-" + ns + "-" + name,
                         "labels": {"app": "svc"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": rs, "uid": "rs-" + ns, "controller": True}]},
            "spec": {"nodeName": "node-%d" % (hash(name) % 50),
                     "containers": [{"name": "app", "image": "registry.example.com/app:1"},
                                    {"name": "proxy", "image": "docker.io/envoyproxy/envoy:v1"}]},
            "status": {"phase": "Running", "startTime": "2026-12-01T09:59:00Z",
                       "containerStatuses": [st("app", "registry.example.com/app:1", d1),
                                             st("proxy", "docker.io/envoyproxy/envoy:v1", d2)]}}


def kubeconfig(tmp, url, cert):
    p = os.path.join(tmp, "kubeconfig")
    with open(p, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: b\nclusters:\n- name: c\n"
                "  cluster:\n    server: %s\n    certificate-authority: %s\nusers:\n- name: u\n"
                "  user:\n    token: %s\ncontexts:\n- name: b\n  context: {cluster: c, user: u}\n"
                % (url, cert, TOKEN))
    return p


def inventory(kc, *extra):
    return [os.path.join(BIN, "scanfarm-inventory"), "--kubeconfig", kc, "--cluster", "bench",
            "--redis", REDIS, "--key-prefix", PREFIX, "--jobs=false", "--log-level", "warn",
            "--page-size", "500"] + list(extra)


def run_once(kc, tmp):
    """Wall time, peak RSS (MB, by /usr/bin/time: a child forked from this
    Python process would count the parent's pages) and exit status."""
    out = os.path.join(tmp, "rss")
    t0 = time.monotonic()
    rc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + inventory(kc, "--once")).returncode
    dt = time.monotonic() - t0
    return dt, int(open(out).read().split()[-1]) / 1024.0, rc


def vm_hwm(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--namespaces", type=int, default=500)
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sf-kbench-")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    st = kubeapi.Store()
    st.bookmark_s = 5
    for n in range(a.namespaces):
        ns = "ns-%03d" % n
        st.add_owner({"kind": "ReplicaSet", "apiVersion": "apps/v1",
                      "metadata": {"name": "svc-5d4f", "namespace": ns, "ownerReferences": [
                          {"kind": "Deployment", "name": "svc", "controller": True, "uid": ns}]}})
    for i in range(a.pods):
        ns = "ns-%03d" % (i % a.namespaces)
        st.put(make_pod(ns, "svc-5d4f-%05d" % i, digest(i % a.images),
                        digest(a.images + i % 7), "svc-5d4f"))
    srv, port = kubeapi.serve(st, TOKEN, cert, key)
    url = "https://127.0.0.1:%d" % port
    kc = kubeconfig(tmp, url, cert)
    res = {"pods": a.pods, "namespaces": a.namespaces, "images": a.images + 7,
           "machine": os.uname().nodename, "cores": os.cpu_count(),
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        t0 = time.monotonic()
        k = subprocess.run(["kubectl", "--server", url, "--token", TOKEN,
                            "--certificate-authority", cert, "get", "pods", "-A", "-o", "json"],
                           capture_output=True, env=dict(os.environ, KUBECONFIG="/dev/null",
                                                         HOME=tmp), timeout=600)
        res["floor_kubectl_list_s"] = round(time.monotonic() - t0, 3)
        res["floor_kubectl_bytes"] = len(k.stdout)

        res["list_s"], res["list_rss_mb"], rc = run_once(kc, tmp)
        key_ = "%s:running:pods:bench" % PREFIX
        res["list_exit"] = rc
        res["recorded_pods"] = int(redis("HLEN", key_) or 0)
        res["redis_bytes"] = int(redis("MEMORY", "USAGE", key_, "SAMPLES", "0") or 0)
        res["restart_s"], res["restart_rss_mb"], _ = run_once(kc, tmp)
        res["restart_recorded_pods"] = int(redis("HLEN", key_) or 0)

        p = subprocess.Popen(inventory(kc, "--watch-timeout", "60s"))
        while int(redis("HLEN", key_) or 0) < a.pods and p.poll() is None:
            time.sleep(0.2)
        time.sleep(1.0)
        half = a.events // 2
        t0 = time.monotonic()
        for i in range(half):  # MODIFIED: the pod now runs another digest
            ns = "ns-%03d" % (i % a.namespaces)
            st.put(make_pod(ns, "svc-5d4f-%05d" % i, digest(10 ** 6 + i),
                            digest(a.images + i % 7), "svc-5d4f"))
        for i in range(half, a.events):
            st.delete("ns-%03d" % (i % a.namespaces), "svc-5d4f-%05d" % i)
        last = "ns-%03d/svc-5d4f-%05d" % ((half - 1) % a.namespaces, half - 1)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if (int(redis("HLEN", key_) or 0) == a.pods - (a.events - half) and
                    digest(10 ** 6 + half - 1) in redis("HGET", key_, last)):
                break
            time.sleep(0.05)
        res["watch_events"] = a.events
        res["watch_s"] = round(time.monotonic() - t0, 3)
        res["watch_events_per_s"] = round(a.events / max(res["watch_s"], 1e-9), 1)
        res["watch_rss_mb"] = round(vm_hwm(p.pid), 1)
        p.terminate()
        p.wait(timeout=30)
    finally:
        srv.shutdown()
        for k_ in redis("KEYS", PREFIX + ":*").split():
            redis("DEL", k_)
    res["list_s"] = round(res["list_s"], 3)
    res["restart_s"] = round(res["restart_s"], 3)
    print("scanfarm-inventory bench: %(pods)d pods, %(namespaces)d namespaces, %(images)d "
          "digests (%(cores)d cores, %(date)s; shared machine: floors)" % res)
    print("  list (--once)    %(list_s)8.2f s   peak RSS %(list_rss_mb)6.1f MB   recorded "
          "%(recorded_pods)d pods, Redis %(redis_bytes)d bytes" % res)
    print("  floor (kubectl)  %(floor_kubectl_list_s)8.2f s   %(floor_kubectl_bytes)d bytes "
          "of JSON from the same server" % res)
    print("  restart (--once) %(restart_s)8.2f s   peak RSS %(restart_rss_mb)6.1f MB   recorded "
          "%(restart_recorded_pods)d pods" % res)
    print("  watch            %(watch_s)8.2f s   %(watch_events)d events, %(watch_events_per_s)s"
          " events/s, peak RSS %(watch_rss_mb)s MB" % res)
    out = a.json or os.path.join(HERE, "results", "kube-%s.json" %
                                 time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
    print("  ->", os.path.relpath(out, SRC))
    ok = res["recorded_pods"] == a.pods and res["restart_recorded_pods"] == a.pods
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
