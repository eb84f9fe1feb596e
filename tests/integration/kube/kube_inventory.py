#!/usr/bin/python3
"""scanfarm-inventory against a local API server with list+watch semantics
(tests/fixtures/kubeapi.py), checked first with the installed kubectl so the
server is known to be faithful, then with the inventory writing the running
view into the stack's Redis and its scan jobs into a Kafka topic of its own.

Cases: pods come and go (ADDED, MODIFIED to a finished phase, DELETED); a
watch cut mid-stream resumes; history compacted while the inventory is
disconnected gives 410 and a relist that also removes a pod whose DELETE was
never seen; a restart neither forgets nor duplicates; a pod with a tag ref
and a digest status; a multi-arch image (the index digest the runtime
reports); owners walked through ReplicaSet -> Deployment and Job -> CronJob.

Usage: kube_inventory.py (SF_SRC, SF_BIN, SF_STACK_REDIS, SF_STACK_KAFKA set)
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests", "fixtures"))
import kubeapi  # noqa: E402

BIN = os.environ["SF_BIN"]
REDIS = os.environ["SF_STACK_REDIS"]
KAFKA = os.environ["SF_STACK_KAFKA"]
PREFIX = "sftest-kube-%d" % os.getpid()
CLUSTER = "test-cluster"
TOKEN = "tok-%d-secret" % os.getpid()
TOPIC = "sftest.kube.jobs.%d" % os.getpid()

D = {n: "sha256:" + (c * 64) for n, c in
     [("nginx", "1"), ("envoy", "2"), ("migrate", "3"), ("index", "4"), ("report", "5"),
      ("late", "6"), ("debug", "7"), ("gone", "8")]}
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def pod(ns, name, containers, owner=None, phase="Running", init=(), uid=None):
    def statuses(cs):
        return [{"name": n, "image": img, "imageID": iid, "ready": True, "restartCount": 0,
                 "state": {"running": {"startedAt": "2026-12-01T10:00:00Z"}} if iid else
                 {"waiting": {"reason": "ContainerCreating"}}} for n, img, iid in cs]
    meta = {"name": name, "namespace": ns, "uid": uid or "uid-" + name,
            "creationTimestamp": "2026-12-01T09:59:00Z", "labels": {"app": name}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "uid": "o-" + owner[1], "controller": True,
                                    "blockOwnerDeletion": True}]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta,
            "spec": {"nodeName": "node-1", "containers": [{"name": n, "image": i}
                                                           for n, i, _ in containers],
                     "initContainers": [{"name": n, "image": i} for n, i, _ in init]},
            "status": {"phase": phase, "startTime": "2026-12-01T09:59:30Z",
                       "containerStatuses": statuses(containers),
                       "initContainerStatuses": statuses(init)}}


def redis(*args):
    host, port = REDIS.rsplit(":", 1)
    out = subprocess.run(["redis-cli", "-h", host, "-p", port, "--raw"] + list(args),
                         capture_output=True, text=True, timeout=10)
    return out.stdout


def running():
    """{field: value} of the cluster's pods hash."""
    lines = redis("HGETALL", "%s:running:pods:%s" % (PREFIX, CLUSTER)).splitlines()
    return {lines[i]: json.loads(lines[i + 1]) for i in range(0, len(lines) - 1, 2)}


def wait_for(pred, what, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            check(True, what)
            return
        time.sleep(0.1)
    check(False, what + " (timed out; running view: %s)" % sorted(running()))


def kubectl(*args, **kw):
    return subprocess.run(["kubectl", "--server", URL, "--token", TOKEN,
                           "--certificate-authority", CERT] + list(args),
                          capture_output=True, text=True, timeout=kw.get("timeout", 30),
                          env=dict(os.environ, KUBECONFIG="/dev/null", HOME=TMP))


def seed(st):
    st.nodes["node-1"] = ("linux", "arm64")
    st.add_owner({"kind": "ReplicaSet", "apiVersion": "apps/v1",
                  "metadata": {"name": "payments-6b7c", "namespace": "prod",
                               "ownerReferences": [{"kind": "Deployment", "name": "payments",
                                                    "controller": True, "uid": "d1"}]}})
    st.add_owner({"kind": "Job", "apiVersion": "batch/v1",
                  "metadata": {"name": "report-28700", "namespace": "batch",
                               "ownerReferences": [{"kind": "CronJob", "name": "report",
                                                    "controller": True, "uid": "c1"}]}})
    for i in range(3):
        st.put(pod("prod", "payments-6b7c-%d" % i,
                   [("app", "nginx:1.25", "docker-pullable://nginx@" + D["nginx"]),
                    ("envoy", "docker.io/envoyproxy/envoy@" + D["envoy"],
                     "docker.io/envoyproxy/envoy@" + D["envoy"])],
                   owner=("ReplicaSet", "payments-6b7c"),
                   init=[("migrate", "registry.example.com/pay/migrate:2",
                          "registry.example.com/pay/migrate@" + D["migrate"])]))
    # multi-arch: the runtime reports the index digest it pulled
    st.put(pod("prod", "multi-0", [("app", "127.0.0.1:5000/corpus/multi:latest",
                                    "127.0.0.1:5000/corpus/multi@" + D["index"])],
               owner=("StatefulSet", "multi")))
    st.put(pod("batch", "report-28700-x", [("r", "alpine:3.19", "docker.io/library/alpine@" +
                                            D["report"])], owner=("Job", "report-28700")))
    st.put(pod("dev", "pending", [("p", "busybox:1", "")]))
    st.put(pod("dev", "doomed", [("d", "busybox:2", "docker.io/library/busybox@" + D["gone"])]))


def kubectl_is_faithful(st):
    out = kubectl("get", "pods", "-A", "-o", "json")
    check(out.returncode == 0, "kubectl get pods -A -o json: exit 0 (%s)" % out.stderr.strip())
    names = sorted(p["metadata"]["namespace"] + "/" + p["metadata"]["name"]
                   for p in json.loads(out.stdout or '{"items":[]}')["items"])
    check(names == sorted("%s/%s" % k for k in st.pods), "kubectl lists every pod")
    bad = subprocess.run(["kubectl", "--server", URL, "--token", "wrong",
                          "--certificate-authority", CERT, "get", "pods", "-A"],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, KUBECONFIG="/dev/null", HOME=TMP))
    check(bad.returncode != 0 and "Unauthorized" in bad.stderr,
          "kubectl with a wrong token is refused (Unauthorized)")
    w = subprocess.Popen(["kubectl", "--server", URL, "--token", TOKEN,
                          "--certificate-authority", CERT, "get", "pods", "-A", "--watch",
                          "--output-watch-events", "-o", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, KUBECONFIG="/dev/null", HOME=TMP))
    time.sleep(2)
    st.put(pod("dev", "kubectl-seen", [("k", "busybox:3", "")]))
    time.sleep(1)
    st.delete("dev", "kubectl-seen")
    time.sleep(2)
    w.send_signal(signal.SIGINT)
    try:
        out, err = w.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        w.kill()
        out, err = w.communicate()
    dec, events, i = json.JSONDecoder(), [], 0
    while i < len(out):
        while i < len(out) and out[i].isspace():
            i += 1
        if i >= len(out):
            break
        obj, i = dec.raw_decode(out, i)
        events.append((obj.get("type"), obj["object"]["metadata"].get("name")))
    check(("ADDED", "kubectl-seen") in events and ("DELETED", "kubectl-seen") in events,
          "kubectl --watch sees ADDED and DELETED of a new pod (%s)" % err.strip()[:200])
    check(sum(1 for t, _ in events if t == "ADDED") >= len(st.pods) + 1,
          "kubectl --watch starts with every listed pod")


def start_inventory(extra=()):
    kc = os.path.join(TMP, "kubeconfig")
    with open(kc, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                "clusters:\n- name: c\n  cluster:\n    server: %s\n"
                "    certificate-authority: %s\n"
                "users:\n- name: u\n  user:\n    token: %s\n"
                "contexts:\n- name: t\n  context:\n    cluster: c\n    user: u\n"
                % (URL, CERT, TOKEN))
    log = open(os.path.join(TMP, "inventory.log"), "a")
    cmd = [os.path.join(BIN, "scanfarm-inventory"), "--kubeconfig", kc, "--cluster", CLUSTER,
           "--redis", REDIS, "--key-prefix", PREFIX, "--kafka", KAFKA, "--topic", TOPIC,
           "--watch-timeout", "3s", "--backoff-max", "1s", "--log-level", "debug"] + list(extra)
    return subprocess.Popen(cmd, stdout=log, stderr=log)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        return -9


def jobs():
    out = subprocess.run(["kcat", "-C", "-b", KAFKA, "-t", TOPIC, "-e", "-q", "-f", "%k\n"],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.split()


def inventory_cases(st):
    inv = start_inventory()
    want = {"prod/payments-6b7c-0", "prod/payments-6b7c-1", "prod/payments-6b7c-2",
            "prod/multi-0", "batch/report-28700-x", "dev/doomed"}
    wait_for(lambda: set(running()) == want, "list: every pod that runs a digest is recorded")
    r = running()
    p0 = r.get("prod/payments-6b7c-0", {})
    check(p0.get("owner") == {"kind": "Deployment", "name": "payments"},
          "ReplicaSet walked to its Deployment: %s" % p0.get("owner"))
    check(r.get("batch/report-28700-x", {}).get("owner") == {"kind": "CronJob", "name": "report"},
          "Job walked to its CronJob")
    check(r.get("prod/multi-0", {}).get("owner") == {"kind": "StatefulSet", "name": "multi"},
          "StatefulSet kept as the owner")
    app = [c for c in p0.get("containers", []) if c["name"] == "app"]
    check(app and app[0]["image"] == "nginx:1.25" and app[0]["digest"] == D["nginx"] and
          app[0]["repo"] == "docker.io/library/nginx",
          "tag ref kept for display, digest from docker-pullable:// status")
    check(sorted(c["kind"] for c in p0.get("containers", [])) == ["container", "container", "init"],
          "init containers recorded with their kind")
    check(r.get("prod/multi-0", {}).get("containers", [{}])[0].get("digest") == D["index"],
          "multi-arch: the index digest the runtime reports is recorded")
    check(r.get("prod/multi-0", {}).get("platform") == "linux/arm64",
          "multi-arch: with the node's platform (which image of the index runs)")
    check("dev/pending" not in r, "a pod without an imageID yet is not running anything")

    # the server ends each watch after timeoutSeconds (3 s here): resumed
    time.sleep(3.5)
    st.put(pod("dev", "after-timeout", [("t", "busybox:7", "docker.io/library/busybox@" +
                                         D["late"])]))
    wait_for(lambda: "dev/after-timeout" in running(), "watch ended by the server: resumed")
    st.delete("dev", "after-timeout")
    wait_for(lambda: "dev/after-timeout" not in running(), "and its DELETED applied")

    # pods come and go
    st.put(pod("dev", "late", [("l", "busybox:4", "docker.io/library/busybox@" + D["late"])]))
    wait_for(lambda: "dev/late" in running(), "watch: ADDED pod appears")
    st.put(pod("dev", "late", [("l", "busybox:4", "docker.io/library/busybox@" + D["late"])],
               phase="Succeeded"))
    wait_for(lambda: "dev/late" not in running(), "watch: pod finished (MODIFIED) leaves")
    st.delete("prod", "payments-6b7c-2")
    wait_for(lambda: "prod/payments-6b7c-2" not in running(), "watch: DELETED pod leaves")

    # the watch drops mid-stream: resumed from the last version, nothing lost
    st.drop_watches()
    st.put(pod("dev", "after-drop", [("a", "busybox:5", "docker.io/library/busybox@" +
                                      D["debug"])]))
    wait_for(lambda: "dev/after-drop" in running(), "watch cut mid-line: resumed, new pod seen")
    check("watch dropped, resuming" in open(os.path.join(TMP, "inventory.log")).read(),
          "the cut was seen as a drop (not a clean end)")

    # history compacted while disconnected: 410 -> relist, and the relist
    # removes a pod whose DELETED event the inventory never received
    with st.cv:
        st.drop_watches()
        st.pods.pop(("dev", "doomed"))
        st._bump()
        st.compact()
    st.put(pod("dev", "after-410", [("a", "busybox:6", "docker.io/library/busybox@" +
                                     D["debug"])]))
    wait_for(lambda: "dev/after-410" in running() and "dev/doomed" not in running(),
             "410 Gone: relist records the new pod and sweeps the silently deleted one")
    wait_for(lambda: "resourceVersion expired, relisting" in
             open(os.path.join(TMP, "inventory.log")).read(), "the relist was caused by 410")
    check(stop(inv) == 0, "SIGTERM: exit 0")

    # restart: changes while down are picked up, nothing forgotten or doubled
    before = running()
    st.delete("dev", "after-drop")
    st.put(pod("prod", "payments-6b7c-9", [("app", "nginx:1.25", "docker-pullable://nginx@" +
                                            D["nginx"])], owner=("ReplicaSet", "payments-6b7c")))
    inv = start_inventory(["--once"])
    check(inv.wait(timeout=30) == 0, "--once: exit 0")
    after = running()
    check(set(after) == (set(before) - {"dev/after-drop"}) | {"prod/payments-6b7c-9"},
          "restart: relist adds, removes and keeps exactly the pods running")
    check(all(after[k] == before[k] for k in after if k in before),
          "restart: unchanged pods are rewritten identically (no duplicates)")
    check(redis("SMEMBERS", PREFIX + ":running:clusters").split() == [CLUSTER],
          "cluster recorded once")

    # a configured namespace: its relist sweeps only its own pods
    st.delete("batch", "report-28700-x")
    st.delete("prod", "payments-6b7c-9")  # outside the scope: must stay recorded
    inv = start_inventory(["--once", "--namespaces", "batch"])
    check(inv.wait(timeout=30) == 0, "--once --namespaces batch: exit 0")
    scoped = running()
    check("batch/report-28700-x" not in scoped and "prod/payments-6b7c-9" in scoped and
          set(scoped) == set(after) - {"batch/report-28700-x"},
          "namespace scope: the batch pod leaves, other namespaces are untouched")
    reqs = [p for m, p in st.requests if "/pods" in p]
    check(any(p.startswith("/api/v1/namespaces/batch/pods") for p in reqs),
          "namespace scope: the namespaced pods endpoint is used")

    # every running digest got exactly one scan job (no DB: none is current)
    ks = jobs()
    want_jobs = {D[n] for n in ("nginx", "envoy", "migrate", "index", "report", "late",
                                "debug", "gone")}
    check(want_jobs <= set(ks), "a scan job for every running digest (%d jobs)" % len(ks))
    log = open(os.path.join(TMP, "inventory.log")).read()
    check(TOKEN not in log, "the token never appears in the log")


def cert_kubeconfig(name, user):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: c\n"
                "  cluster:\n    server: %s\n    certificate-authority: cert.pem\n"
                "users:\n- name: u\n  user:\n%scontexts:\n- name: t\n  context:\n"
                "    cluster: c\n    user: u\n" % (URL, user))
    return path


def client_cert_cases(st):
    import base64

    def b64(n):
        return base64.b64encode(open(os.path.join(TMP, n), "rb").read()).decode()
    # files, relative to the kubeconfig's folder; then the -data form
    users = {"files": "    client-certificate: client.pem\n    client-key: client-key.pem\n",
             "data": "    client-certificate-data: %s\n    client-key-data: %s\n"
                     % (b64("client.pem"), b64("client-key.pem"))}
    for form, user in users.items():
        kc = cert_kubeconfig("kc-" + form, user)
        p = subprocess.run([os.path.join(BIN, "scanfarm-inventory"), "--kubeconfig", kc,
                            "--cluster", "certs-" + form, "--redis", REDIS, "--key-prefix", PREFIX,
                            "--jobs=false", "--once"], capture_output=True, text=True, timeout=60)
        got = redis("HLEN", "%s:running:pods:certs-%s" % (PREFIX, form)).strip()
        want = sum(1 for q in st.pods.values() if q["status"]["phase"] == "Running" and
                   any("@" in c["imageID"] for c in q["status"]["containerStatuses"]))
        check(p.returncode == 0 and got == str(want),
              "client certificate (%s): listed with no token (%s pods) %s"
              % (form, got, p.stderr.strip()[-200:]))
    kc = cert_kubeconfig("kc-stranger", "    client-certificate: stranger.pem\n"
                                        "    client-key: stranger-key.pem\n")
    p = subprocess.run([os.path.join(BIN, "scanfarm-inventory"), "--kubeconfig", kc, "--cluster",
                        "stranger", "--redis", REDIS, "--key-prefix", PREFIX, "--jobs=false",
                        "--once"], capture_output=True, text=True, timeout=60)
    # like an API server verifying client certificates if given, the
    # handshake itself fails: --once reports it and records nothing
    check(p.returncode == 2 and redis("HLEN", PREFIX + ":running:pods:stranger").strip() == "0",
          "an untrusted client certificate is refused: %s" % p.stderr.strip()[-160:])


def main():
    global URL, CERT, TMP
    TMP = tempfile.mkdtemp(prefix="sf-kube-")
    CERT, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", CERT, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    tool = os.path.join(TMP, "kafka-topics")
    subprocess.run("cc -std=c11 -O1 -o %s %s/deploy/local/kafka-topics.c $(pkg-config --cflags "
                   "--libs rdkafka)" % (tool, os.environ["SF_SRC"]), shell=True, check=True)
    subprocess.run([tool, KAFKA, "1", TOPIC], check=True, capture_output=True)
    for name in ("client", "stranger"):  # a client certificate, and one nobody trusts
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        os.path.join(TMP, name + "-key.pem"), "-out",
                        os.path.join(TMP, name + ".pem"), "-days", "1", "-subj",
                        "/CN=scanfarm-" + name], check=True, capture_output=True)
    st = kubeapi.Store()
    srv, port = kubeapi.serve(st, TOKEN, CERT, key, client_ca=os.path.join(TMP, "client.pem"))
    URL = "https://127.0.0.1:%d" % port
    seed(st)
    try:
        kubectl_is_faithful(st)
        inventory_cases(st)
        client_cert_cases(st)
    finally:
        srv.shutdown()
        for k in redis("KEYS", PREFIX + ":*").split():
            redis("DEL", k)
    print("%d failure(s)" % len(failures))
    if failures:
        print(open(os.path.join(TMP, "inventory.log")).read()[-4000:])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
