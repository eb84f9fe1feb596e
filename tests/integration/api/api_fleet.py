#!/usr/bin/env python3
"""Test helper of scanfarm-api (tests/integration/test_api_fleet.sh).

  api_fleet.py gen CORPUS OUT.jsonl      two runs of scanfarm.result/v1 documents
  api_fleet.py publish BROKERS TOPIC IN.jsonl
  api_fleet.py check BROKERS TOPIC API_URL
  api_fleet.py running-put REDIS PREFIX IN.jsonl   write a running-images inventory
  api_fleet.py check-running BROKERS TOPIC API_URL (against an API started after it)

`gen` extends tests/integration/agg/fleet_results.py (the corpus' Alpine
ground truth) with what the API must handle: aliases, an npm image, a
multi-arch index, an image without refs, and a second run that resolves a
finding, adds one and moves a tag. `check` replays the results topic from
the beginning, computes every answer independently from the documents
(latest result per digest, findings deduplicated on id+package+installed,
the filter semantics of docs/api.md) and compares with what the API says
for each endpoint and filter. Exit 1 on the first list of mismatches.
"""
import copy
import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

SEVS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]


def sha(s):
    return "sha256:" + hashlib.sha256(s.encode()).hexdigest()


def gen(corpus, out):
    base = subprocess.run([sys.executable, __file__.replace("api/api_fleet.py", "agg/fleet_results.py"),
                           corpus, "api-run-1"], check=True, capture_output=True, text=True).stdout
    run1 = [json.loads(l) for l in base.splitlines() if l.strip()]
    for i, d in enumerate(run1):  # aliases on some findings
        for v in d["vulnerabilities"][:2]:
            v["aliases"] = ["ALPINE-" + v["id"][4:]]
        d["layers"] = [{"digest": sha("layer-%d" % i), "cache": "miss", "size": 1000 + i}]
        for p in d["packages"]:
            p["layer"] = 0
        for v in d["vulnerabilities"]:
            v["layer"] = 0
    npm = copy.deepcopy(run1[0])
    npm.update(digest=sha("npm-app"), refs=["registry.acme.io/web/node:1.0", "registry.acme.io/web/node:latest"],
               os=None, scanned_at="2026-03-01T10:30:30Z")
    npm["packages"] = [{"name": "lodash", "version": "4.17.15", "type": "npm", "ecosystem": "npm", "layer": 0},
                       {"name": "minimist", "version": "1.2.0", "type": "npm", "ecosystem": "npm", "layer": 0}]
    npm["vulnerabilities"] = [
        {"id": "CVE-2020-8203", "aliases": ["GHSA-p6mc-m468-83gw"], "package": "lodash", "ecosystem": "npm",
         "installed": "4.17.15", "fixed": "4.17.19", "severity": "HIGH", "cvss": 7.4, "kev": 0, "epss": 0.02, "layer": 0},
        {"id": "CVE-2021-44906", "aliases": ["GHSA-xvch-5gv4-984h"], "package": "minimist", "ecosystem": "npm",
         "installed": "1.2.0", "fixed": None, "severity": "CRITICAL", "cvss": 9.8, "layer": 0}]
    idx = sha("multi-arch-index")
    arm = copy.deepcopy(run1[1])
    arm.update(digest=sha("arm-image"), index_digest=idx, platform="linux/arm64",
               refs=["registry.acme.io/base/multi:1"], scanned_at="2026-03-01T10:31:00Z")
    amd = copy.deepcopy(run1[2])
    amd.update(digest=sha("amd-image"), index_digest=idx, platform="linux/amd64",
               refs=["registry.acme.io/base/multi:1"], scanned_at="2026-03-01T10:31:10Z")
    norefs = copy.deepcopy(run1[3])
    norefs.update(digest=sha("no-refs"), refs=[], scanned_at="2026-03-01T10:32:00Z")
    run1 += [npm, arm, amd, norefs]
    run2 = []
    for d in (run1[0], npm, run1[4]):
        d2 = copy.deepcopy(d)
        d2["run_id"] = "api-run-2"
        d2["scanned_at"] = d2["scanned_at"].replace("2026-03-01", "2026-03-02")
        run2.append(d2)
    run2[0]["vulnerabilities"] = run2[0]["vulnerabilities"][1:]  # one resolved
    run2[1]["vulnerabilities"].append(
        {"id": "CVE-2024-0001", "aliases": [], "package": "minimist", "ecosystem": "npm",
         "installed": "1.2.0", "fixed": "1.2.6", "severity": "MEDIUM", "cvss": 5.5})  # one new
    run2[2]["refs"] = [r.replace(":", ":moved-", 1) if r.count(":") == 1 else r for r in run2[2]["refs"]]
    with open(out, "w") as f:
        for d in run1 + run2:
            f.write(json.dumps(d) + "\n")


def publish(brokers, topic, path):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": brokers})
    for f in a.create_topics([NewTopic(topic, 2, 1)]).values():
        f.result(30)  # the stack does not auto-create topics
    p = Producer({"bootstrap.servers": brokers, "compression.type": "zstd"})
    errs = []
    for l in open(path):
        if l.strip():
            p.produce(topic, key=json.loads(l)["digest"], value=l.strip(),
                      on_delivery=lambda e, m: e and errs.append(e))
    if p.flush(30) or errs:
        sys.exit("publish failed: %s" % errs[:3])


def drop(brokers, topic):
    from confluent_kafka.admin import AdminClient
    for f in AdminClient({"bootstrap.servers": brokers}).delete_topics([topic]).values():
        try:
            f.result(30)
        except Exception as e:  # already gone
            print("drop %s: %s" % (topic, e))


def replay(brokers, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": brokers, "group.id": "api-check-%s" % topic,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    md = c.list_topics(topic, timeout=10).topics[topic]
    parts = [TopicPartition(topic, p, 0) for p in md.partitions]
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in md.partitions}
    c.assign(parts)
    docs, got = [], {p: 0 for p in ends}
    while any(got[p] < ends[p] for p in ends):
        m = c.poll(5)
        if m is None:
            break
        if m.error():
            continue
        docs.append((m.partition(), m.offset(), json.loads(m.value())))
        got[m.partition()] = m.offset() + 1
    c.close()
    return [d for _, _, d in docs]


# ---- the expected fleet view, computed from the documents alone ----

def sev_of(s):
    s = (s or "").upper()
    return "MEDIUM" if s == "MODERATE" else s if s in SEVS else "UNKNOWN"


def split_ref(ref):
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        reg, path = first, rest
    else:
        reg, path = "docker.io", ref
    path = path.split("@")[0]
    if ":" in path and "/" not in path.rsplit(":", 1)[1]:
        path = path.rsplit(":", 1)[0]
    return reg, path


def tag_of(ref):
    if "@" in ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else None



NAME_SEP = "/-_.:@+"


def name_match(name, qq):
    """What the name index answers (aggregator/agg_name.c): qq, ASCII-
    lowercased, starts the name or one of its first 8 words."""
    low, qq = name.lower(), qq.lower()
    starts = [0] + [i for i in range(1, len(low)) if low[i - 1] in NAME_SEP and low[i] not in NAME_SEP]
    return any(low[i:].startswith(qq) for i in starts[:8])

class Fleet:
    def __init__(self, docs):
        runs, latest = [], {}
        for d in docs:
            if d["run_id"] not in runs:
                runs.append(d["run_id"])
            key = (runs.index(d["run_id"]), d["scanned_at"])
            if d["digest"] not in latest or key > latest[d["digest"]][0]:
                latest[d["digest"]] = (key, d)
        self.runs = runs
        self.img = {}
        for dg, (_, d) in latest.items():
            seen, fs = set(), []
            for v in d["vulnerabilities"]:
                k = (v["id"], v["package"], v.get("installed"))
                if k not in seen:
                    seen.add(k)
                    fs.append(dict(v, severity=sev_of(v.get("severity"))))
            pk = {(p["ecosystem"], p["name"], p["version"]) for p in d["packages"]}
            refs = d["refs"]
            regs = {split_ref(r)[0] for r in refs} or {"unknown"}
            repos = {"%s/%s" % split_ref(r) for r in refs}
            tags = {tag_of(r) for r in refs} - {None}
            ecos = set()
            for e in [p[0] for p in pk] + [f.get("ecosystem") for f in fs]:
                if e:
                    ecos.add(e)
                    if ":" in e:
                        ecos.add(e.split(":")[0])
            cv = [f["cvss"] for f in fs if f.get("cvss") is not None]
            self.img[dg] = dict(doc=d, findings=fs, pkgs=pk, regs=regs, repos=repos, tags=tags, ecos=ecos,
                                cvss=max(cv) if cv else None,
                                sev={s: sum(f["severity"] == s for f in fs) for s in SEVS},
                                fixable=sum(f.get("fixed") is not None for f in fs))

    def images(self, severity=None, fixable=None, registry=None, repository=None, tag=None,
               ecosystem=None, cvss_min=None):
        out = set()
        for dg, i in self.img.items():
            if severity and not any(i["sev"][s] for s in severity):
                continue
            if fixable is not None and (i["fixable"] > 0) != fixable:
                continue
            if registry and registry not in i["regs"]:
                continue
            if repository and repository not in i["repos"]:
                continue
            if tag and tag not in i["tags"]:
                continue
            if ecosystem and ecosystem not in i["ecos"]:
                continue
            if cvss_min is not None and (i["cvss"] is None or i["cvss"] < cvss_min):
                continue
            out.add(dg)
        return out

    def vulns(self, severity=None, fixable=None, registry=None, repository=None, tag=None,
              ecosystem=None, cvss_min=None):
        fam = lambda e: {e, e.split(":")[0]} if e else set()
        ids = {}
        for dg, i in self.img.items():
            for f in i["findings"]:
                ids.setdefault(f["id"], []).append((dg, f))
        out = {}
        for vid, occ in ids.items():
            fs = [f for _, f in occ]
            imgs = {dg for dg, _ in occ}
            if severity and not any(f["severity"] in severity for f in fs):
                continue
            if fixable is not None and any(f.get("fixed") for f in fs) != fixable:
                continue
            if ecosystem and not any(ecosystem in fam(f.get("ecosystem")) for f in fs):
                continue
            cv = [f["cvss"] for f in fs if f.get("cvss") is not None]
            if cvss_min is not None and (not cv or max(cv) < cvss_min):
                continue
            scoped = {dg for dg in imgs if (not registry or registry in self.img[dg]["regs"]) and
                      (not repository or repository in self.img[dg]["repos"]) and
                      (not tag or tag in self.img[dg]["tags"])}
            if not scoped:
                continue
            out[vid] = len(imgs)
        return out

    def packages(self, registry=None, severity=None, ecosystem=None):
        out, inreg = {}, set()
        for dg, i in self.img.items():  # `images` is fleet-wide; filters select
            for e, n in {(p[0], p[1]) for p in i["pkgs"]}:
                out[(e, n)] = out.get((e, n), 0) + 1
                if not registry or registry in i["regs"]:
                    inreg.add((e, n))
        out = {k: v for k, v in out.items() if k in inreg}
        if severity:
            hit = {(f.get("ecosystem") or "", f["package"]) for i in self.img.values()
                   for f in i["findings"] if f["severity"] in severity}
            out = {k: v for k, v in out.items() if k in hit}
        if ecosystem:
            out = {k: v for k, v in out.items() if ecosystem in (k[0], k[0].split(":")[0])}
        return out


# ---- a running-images inventory (common/fleet/running.h's stored form) ----

def inventory(docs):
    """{cluster: {"ns/pod": value}} over the fleet: an image run by digest,
    a multi-arch index run on an arm64 node (only its arm64 image runs), an
    index-less image of the first run, and a digest the fleet never saw."""
    first = min((d for d in docs if not d.get("index_digest") and d["refs"]), key=lambda d: d["digest"])
    def pod(ns, name, digest, platform, image):
        return {"uid": sha(ns + name)[7:19], "node": "node-" + name, "platform": platform,
                "owner": {"kind": "Deployment", "name": name},
                "containers": [{"name": "app", "kind": "container", "image": image,
                                "repo": image.rsplit(":", 1)[0], "digest": digest, "since": 1764682620000}]}
    return {"prod": {"web/node-1": pod("web", "node-1", sha("npm-app"), "linux/amd64",
                                       "registry.acme.io/web/node:1.0"),
                     "base/multi-0": pod("base", "multi-0", sha("multi-arch-index"), "linux/arm64",
                                         "registry.acme.io/base/multi:1"),
                     "default/first": pod("default", "first", first["digest"], None, first["refs"][0])},
            "stage": {"x/ghost": pod("x", "ghost", sha("never-scanned"), "linux/amd64", "ghost:1")}}


def fits(node, image):  # running.c platform_fits, restated
    return not node or not image or image == node or image.startswith(node + "/")


def running_set(F, inv):
    ents = [c["digest"] for pods in inv.values() for v in pods.values() for c in v["containers"]]
    plats = {}
    for pods in inv.values():
        for v in pods.values():
            for c in v["containers"]:
                plats.setdefault(c["digest"], []).append(v.get("platform"))
    out = set()
    for dg, i in F.img.items():
        ix, pl = i["doc"].get("index_digest"), i["doc"].get("platform")
        if dg in ents or (ix and any(fits(n, pl) for n in plats.get(ix, []))):
            out.add(dg)
    return out


def resp(*args):
    b = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        b += b"$%d\r\n%s\r\n" % (len(a), a)
    return b


def drop_names(redis, prefix):
    """Delete the name-search sets, as a view written before they existed."""
    import socket
    host, port = redis.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(resp("DEL", "%s:agg:ix:pname" % prefix, "%s:agg:ix:reponame" % prefix))
    got = s.recv(64)
    s.close()
    assert got == b":2\r\n", ("both name sets should have existed", got)


def check_cursor(redis, prefix, url):
    """Walking a list while an element is inserted ahead of the cursor:
    every original element exactly once, the new one not at all (the
    pages come from one snapshot of the list)."""
    import socket
    A = Api(url)
    host, port = redis.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    fake = "sha256:" + "f" * 64
    risk, cvss = "%s:agg:ix:imgrisk" % prefix, "%s:agg:ix:imgcvss" % prefix
    # a cvss_min no other check asks: this walk computes its own snapshot
    # instead of reusing one computed up to 10 s ago (which could expire midway)
    f = {"cvss_min": "0.000123"}
    seen, cur, inserted = [], None, False
    for _ in range(1000):
        st, b = A.get("/v1/images", limit=2, cursor=cur, **f)
        assert st == 200, (st, b)
        seen += [x["digest"] for x in b["items"]]
        if not inserted:  # ahead of everything: a live offset would repeat an item
            s.sendall(resp("ZADD", risk, "1e18", fake) + resp("ZADD", cvss, "10", fake))
            got = b""
            while got.count(b"\r\n") < 2:
                got += s.recv(64)
            assert got == b":1\r\n:1\r\n", got
            inserted = True
        cur = b["next_cursor"]
        if not cur:
            break
    s.sendall(resp("ZREM", risk, fake) + resp("ZREM", cvss, fake))
    got = b""
    while got.count(b"\r\n") < 2:
        got += s.recv(64)
    s.close()
    st, b = A.get("/v1/images", limit=500, **f)
    want = [x["digest"] for x in b["items"] if x["digest"] != fake]
    bad = []
    if len(want) < 3:
        bad.append("too few images to page: %d" % len(want))
    if len(seen) != len(set(seen)):
        bad.append("an image repeated across pages")
    if set(seen) != set(want):
        bad.append("walk %d images, list %d" % (len(set(seen)), len(want)))
    print("api cursor: %d images walked in pages of 2 with an insert" % len(seen))
    if bad:
        sys.exit("\n".join(bad))


def running_put(redis, prefix, path):
    import socket
    docs = [json.loads(l) for l in open(path) if l.strip()]
    host, port = redis.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    cmds = []
    for cl, pods in inventory(docs).items():
        cmds.append(resp("SADD", "%s:running:clusters" % prefix, cl))
        for f, v in pods.items():
            cmds.append(resp("HSET", "%s:running:pods:%s" % (prefix, cl), f, json.dumps(v)))
    s.sendall(b"".join(cmds))
    got = b""
    while got.count(b"\r\n") < len(cmds):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    assert got.count(b":") >= len(cmds) and b"-ERR" not in got, got


class Api:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, **q):
        qs = urllib.parse.urlencode({k: v for k, v in q.items() if v is not None})
        try:
            with urllib.request.urlopen(self.url + path + ("?" + qs if qs else ""), timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def all(self, path, key, **q):
        """Every item of a list, walking the cursor with small pages."""
        items, cur, total = [], None, None
        for _ in range(1000):
            st, b = self.get(path, limit=4, cursor=cur, **q)
            assert st == 200, (path, q, st, b)
            total = b["total"] if total is None else total
            items += [key(x) for x in b["items"]]
            cur = b["next_cursor"]
            if not cur:
                break
        assert total == len(items), (path, q, total, len(items))
        assert len(set(items)) == len(items), ("duplicates across pages", path, q)
        return items


def enc(s):
    return urllib.parse.quote(s, safe="")


def check_q(A, F, repos, eq):
    """`q` on packages and repositories against name_match over the replay."""
    def q(f):
        return dict(f)
    # name search: a case-insensitive prefix of the name or of a word in it
    pk_all = F.packages()
    hits = 0
    for qq, f in [("ope", {}), ("LIB", {}), ("lod", {"ecosystem": "npm"}), ("mus", {}), ("ssl", {}), ("zz-none", {})]:
        got = dict(A.all("/v1/packages", lambda x: ((x["ecosystem"], x["name"]), x["images"]), q=qq, **q(f)))
        want = {k: v for k, v in F.packages(**f).items() if name_match(k[1], qq)}
        eq("packages q=%s %s" % (qq, f), got, want)
        hits += bool(want) and len(want) < len(F.packages(**f))
    eq("q cases that select a proper non-empty subset", hits >= 3, True)
    opes = {n for _, n in dict(A.all("/v1/packages", lambda x: ((x["ecosystem"], x["name"]), 1), q="ope"))}
    if any(n == "openssl" for _, n in pk_all):
        eq("q=ope finds openssl", "openssl" in opes, True)
    eq("q=ope finds no zlib", any("zlib" in n for n in opes), False)
    for qq in ["corp", "ALP", "nothing-here"]:
        got = set(A.all("/v1/repositories", lambda x: "%s/%s" % (x["registry"], x["repository"]), q=qq))
        eq("repositories q=%s" % qq, got, {r for r in repos if name_match(r.split("/", 1)[1], qq)})
    eq("q on images is a 400", A.get("/v1/images", q="x")[0], 400)


def check(brokers, topic, url):
    docs = replay(brokers, topic)
    F, A, bad, n = Fleet(docs), Api(url), [], 0

    def eq(what, got, want):
        nonlocal n
        n += 1
        if got != want:
            bad.append("%s: got %r, want %r" % (what, got, want))

    st, s = A.get("/v1/summary")
    c = s["counts"]
    eq("summary images", c["images"], len(F.img))
    eq("summary findings", c["findings"], sum(len(i["findings"]) for i in F.img.values()))
    eq("summary fixable", c["fixable"], sum(i["fixable"] for i in F.img.values()))
    eq("summary errors", c["errors"], sum(1 for i in F.img.values() if i["doc"]["error"]))
    for sv in SEVS:
        eq("summary " + sv, c["severity"][sv], sum(i["sev"][sv] for i in F.img.values()))
    eq("summary latest run", s["latest_run"], F.runs[-1])

    regs = sorted({r for i in F.img.values() for r in i["regs"]})
    repos = sorted({r for i in F.img.values() for r in i["repos"]})
    tags = sorted({t for i in F.img.values() for t in i["tags"]})
    ecos = sorted({e for i in F.img.values() for e in i["ecos"]})
    filters = [{}] + [{"severity": [s]} for s in SEVS] + [{"severity": ["CRITICAL", "LOW"]}] + \
        [{"fixable": True}, {"fixable": False}] + [{"registry": r} for r in regs] + \
        [{"repository": r} for r in repos] + [{"tag": t} for t in tags] + \
        [{"ecosystem": e} for e in ecos] + [{"cvss_min": 7.0}, {"cvss_min": 9.5}] + \
        [{"severity": ["HIGH"], "registry": regs[0], "fixable": True}]

    def q(f):
        out = {}
        for k, v in f.items():
            out[k] = ",".join(v) if k == "severity" else ("true" if v is True else "false" if v is False else v)
        return out

    for f in filters:
        eq("images %s" % f, set(A.all("/v1/images", lambda x: x["digest"], **q(f))), F.images(**f))
        got = dict(A.all("/v1/vulnerabilities", lambda x: (x["id"], x["images"]), **q(f)))
        eq("vulnerabilities %s" % f, got, F.vulns(**f))
    for f in [{}, {"registry": regs[0]}, {"severity": ["CRITICAL"]}, {"ecosystem": "npm"}]:
        got = dict(A.all("/v1/packages", lambda x: ((x["ecosystem"], x["name"]), x["images"]), **q(f)))
        eq("packages %s" % f, got, F.packages(**f))
    check_q(A, F, repos, eq)
    eq("images running=true", A.get("/v1/images", running="true")[1]["total"], 0)
    eq("images running=false", A.get("/v1/images", running="false")[1]["total"], len(F.img))
    eq("summary running_known", s.get("running_known"), False)

    # order: findings descending
    st, b = A.get("/v1/images", sort="findings", limit=500)
    counts = [x["findings"] for x in b["items"]]
    eq("images sort=findings", counts, sorted(counts, reverse=True))
    eq("images sort=findings values", sorted(counts), sorted(len(i["findings"]) for i in F.img.values()))

    # risk: by critical, then high, medium, low counts
    st, b = A.get("/v1/images", limit=500)
    key = lambda x: tuple(x["severity"][s] for s in SEVS[:4])
    eq("images sort=risk", [key(x) for x in b["items"]], sorted((key(x) for x in b["items"]), reverse=True))
    st, b = A.get("/v1/vulnerabilities", sort="severity", limit=500)
    rank = {s: 4 - i for i, s in enumerate(SEVS)}
    worst = {}
    for i in F.img.values():
        for f in i["findings"]:
            worst[f["id"]] = max(worst.get(f["id"], 0), rank[f["severity"]])
    eq("vulnerabilities sort=severity", [rank[x["severity"]] for x in b["items"]],
       sorted(worst.values(), reverse=True))
    eq("vulnerabilities severity", {x["id"]: rank[x["severity"]] for x in b["items"]}, worst)
    st, b = A.get("/v1/images/%s/findings" % enc(max(F.img, key=lambda d: len(F.img[d]["findings"]))), limit=500)
    eq("findings sort=severity", [rank[x["severity"]] for x in b["items"]],
       sorted((rank[x["severity"]] for x in b["items"]), reverse=True))

    for dg, i in F.img.items():
        st, d = A.get("/v1/images/" + enc(dg))
        eq("image %s findings" % dg[:19], d.get("findings"), len(i["findings"]))
        eq("image %s severity" % dg[:19], d.get("severity"), i["sev"])
        eq("image %s refs" % dg[:19], sorted(d.get("refs", [])), sorted(i["doc"]["refs"]))
        eq("image %s cvss_max" % dg[:19], d.get("cvss_max"), i["cvss"])
        got = set(A.all("/v1/images/%s/findings" % enc(dg), lambda x: (x["id"], x["package"], x["installed"])))
        eq("image %s findings list" % dg[:19], got, {(f["id"], f["package"], f.get("installed")) for f in i["findings"]})
        got = set(A.all("/v1/images/%s/findings" % enc(dg), lambda x: (x["id"], x["package"]), severity="HIGH"))
        eq("image %s HIGH findings" % dg[:19], got, {(f["id"], f["package"]) for f in i["findings"] if f["severity"] == "HIGH"})
        got = set(A.all("/v1/images/%s/packages" % enc(dg), lambda x: (x["ecosystem"], x["name"], x["version"])))
        eq("image %s packages" % dg[:19], got, i["pkgs"])
        for ref in i["doc"]["refs"]:
            st, d = A.get("/v1/images/" + enc(ref))
            want = dg if not i["doc"].get("index_digest") else None
            if want:
                eq("ref %s" % ref, d.get("digest"), want)
    vul = F.vulns()
    for vid in sorted(vul)[:12] + ["CVE-2020-8203"]:
        st, d = A.get("/v1/vulnerabilities/" + enc(vid))
        eq("vuln %s images" % vid, d.get("images"), vul.get(vid))
        got = set(A.all("/v1/vulnerabilities/%s/images" % enc(vid), lambda x: x["digest"]))
        eq("vuln %s image list" % vid, got, {dg for dg, i in F.img.items() if any(f["id"] == vid for f in i["findings"])})
    # advisory links: the id's own page and OSV's; a detail adds a CVE's
    # distro tracker (by its packages' ecosystem; lists do not)
    TRK = {"alpine": "https://security.alpinelinux.org/vuln/", "debian": "https://security-tracker.debian.org/tracker/",
           "ubuntu": "https://ubuntu.com/security/"}
    ecos_of = {}
    for i in F.img.values():
        for f in i["findings"]:
            ecos_of.setdefault(f["id"], set()).add((f.get("ecosystem") or "").split(":")[0].lower())

    def want_links(vid, detail):
        w = {"osv": "https://osv.dev/vulnerability/" + vid}
        if vid.startswith("CVE-"):
            w["nvd"] = "https://nvd.nist.gov/vuln/detail/" + vid
            e = ecos_of.get(vid, set())
            if detail and len(e) == 1 and next(iter(e)) in TRK:
                w["tracker"] = TRK[next(iter(e))] + vid
        if vid.startswith("GHSA-"):
            w["ghsa"] = "https://github.com/advisories/" + vid
        return w
    for vid, ln in A.all("/v1/vulnerabilities", lambda x: (x["id"], tuple(sorted(x["links"].items())))):
        eq("links of %s" % vid, dict(ln), want_links(vid, False))
    trackers = 0
    for vid in sorted(vul)[:12] + ["CVE-2020-8203"]:
        st, d = A.get("/v1/vulnerabilities/" + enc(vid))
        eq("links of %s detail" % vid, d.get("links"), want_links(vid, True))
        trackers += "tracker" in want_links(vid, True)
    eq("details with a tracker link", trackers > 0, True)
    st, d = A.get("/v1/vulnerabilities/GHSA-p6mc-m468-83gw")
    eq("alias lookup", d.get("id"), "CVE-2020-8203")
    st, d = A.get("/v1/packages/npm/lodash")
    eq("package lodash versions", [(v["version"], v["images"]) for v in d.get("version_list", [])], [("4.17.15", 1)])
    got = set(A.all("/v1/packages/%s/%s/images" % (enc("Alpine:v3.10"), "musl"), lambda x: x["digest"]))
    eq("package musl images", got, {dg for dg, i in F.img.items() if any(p[:2] == ("Alpine:v3.10", "musl") for p in i["pkgs"])})

    rg = dict(A.all("/v1/registries", lambda x: (x["registry"], x["counts"]["images"])))
    eq("registries", rg, {r: sum(r in i["regs"] for i in F.img.values()) for r in regs})
    rp = dict(A.all("/v1/repositories", lambda x: ("%s/%s" % (x["registry"], x["repository"]), x["counts"]["images"])))
    eq("repositories", rp, {r: sum(r in i["repos"] for i in F.img.values()) for r in repos})
    rp = set(A.all("/v1/repositories", lambda x: x["repository"], registry=regs[0]))
    eq("repositories of %s" % regs[0], rp, {r.split("/", 1)[1] for r in repos if r.split("/", 1)[0] == regs[0]})

    eq("runs", A.all("/v1/runs", lambda x: x["run_id"]), list(reversed(F.runs)))
    st, h = A.get("/v1/history", runs="5")
    pts = h.get("points", [])
    eq("history runs", [p["run_id"] for p in pts], F.runs)
    first = Fleet([d for d in docs if d["run_id"] == F.runs[0]])
    eq("history after run 1", pts[0]["counts"]["findings"] if pts else None,
       sum(len(i["findings"]) for i in first.img.values()))
    eq("history after run 2", pts[-1]["counts"]["findings"] if pts else None,
       sum(len(i["findings"]) for i in F.img.values()))

    def delta(a, b):  # findings of b not in a, per digest
        n = 0
        for dg, i in b.img.items():
            old = {(f["id"], f["package"], f.get("installed")) for f in a.img[dg]["findings"]} if dg in a.img else set()
            n += sum((f["id"], f["package"], f.get("installed")) not in old for f in i["findings"])
        return n
    if len(pts) == 2:
        eq("history run 2 new", pts[1]["new"], delta(first, F))
        eq("history run 2 resolved", pts[1]["resolved"], delta(F, first))
    st, v = A.get("/v1/vulnerabilities", new_since=F.runs[0])
    eq("new since run 1", {x["id"] for x in v["items"]}, set(F.vulns()) - set(first.vulns()))

    for path, qq in [("/v1/images", {"severity": "BAD"}), ("/v1/images", {"limit": "0"}),
                     ("/v1/images", {"limit": "abc"}), ("/v1/images", {"cvss_min": "11"}),
                     ("/v1/images", {"fixable": "yes"}), ("/v1/images", {"bogus": "1"}),
                     ("/v1/images", {"cursor": "zzz"}), ("/v1/vulnerabilities", {"sort": "nope"}),
                     ("/v1/vulnerabilities", {"new_since": "no-such-run"})]:
        st, b = A.get(path, **qq)
        eq("400 for %s %s" % (path, qq), (st, b.get("error", {}).get("code")), (400, "bad_parameter"))
    st, b = A.get("/v1/images/sha256%3A" + "0" * 64)
    eq("404 unknown image", st, 404)
    if bad:
        print("api_fleet: %d of %d checks failed:" % (len(bad), n))
        for b in bad:
            print("  " + b)
        sys.exit(1)
    print("api_fleet: %d checks passed over %d documents (%d images)" % (n, len(docs), len(F.img)))


def check_running(brokers, topic, url):
    """The `running` filter and flag with an inventory present."""
    docs = replay(brokers, topic)
    F, A, bad, n = Fleet(docs), Api(url), [], 0
    inv = inventory(docs)
    run = running_set(F, inv)

    def eq(what, got, want):
        nonlocal n
        n += 1
        if got != want:
            bad.append("%s: got %r, want %r" % (what, got, want))
    eq("summary running_known", A.get("/v1/summary")[1].get("running_known"), True)
    # this API process started on a view whose name sets were dropped
    # (drop-names): it must have rebuilt them
    check_q(A, F, sorted({r for i in F.img.values() for r in i["repos"]}), eq)
    eq("running images non-empty", len(run) >= 3, True)
    regs = sorted({r for i in F.img.values() for r in i["regs"]})
    for f in [{}, {"severity": "CRITICAL"}, {"fixable": "true"}, {"registry": regs[0]}]:
        sev = [f["severity"]] if "severity" in f else None
        fx = {"true": True}.get(f.get("fixable"))
        base = F.images(severity=sev, fixable=fx, registry=f.get("registry"))
        for r, want in (("true", base & run), ("false", base - run)):
            got = set(A.all("/v1/images", lambda x: x["digest"], running=r, **f))
            eq("images running=%s %s" % (r, f), got, want)
    flags = dict(A.all("/v1/images", lambda x: (x["digest"], x["running"])))
    eq("images running flag", flags, {dg: dg in run for dg in F.img})
    carried = {f["id"] for dg in run for f in F.img[dg]["findings"]}
    vul = F.vulns()
    for r, want in (("true", {k: v for k, v in vul.items() if k in carried}),
                    ("false", {k: v for k, v in vul.items() if k not in carried})):
        got = dict(A.all("/v1/vulnerabilities", lambda x: (x["id"], x["images"]), running=r))
        eq("vulnerabilities running=%s" % r, got, want)
    crit = F.vulns(severity=["CRITICAL"])
    got = dict(A.all("/v1/vulnerabilities", lambda x: (x["id"], x["images"]), running="true", severity="CRITICAL"))
    eq("vulnerabilities running=true CRITICAL", got, {k: v for k, v in crit.items() if k in carried})
    held = {(p[0], p[1]) for dg in run for p in F.img[dg]["pkgs"]}
    pk = F.packages()
    for r, want in (("true", {k: v for k, v in pk.items() if k in held}),
                    ("false", {k: v for k, v in pk.items() if k not in held})):
        got = dict(A.all("/v1/packages", lambda x: ((x["ecosystem"], x["name"]), x["images"]), running=r))
        eq("packages running=%s" % r, got, want)
    for dg in sorted(F.img):
        st, d = A.get("/v1/images/" + enc(dg))
        pods = {(w.get("cluster"), w.get("namespace"), w.get("pod")) for w in d.get("running_where", [])}
        want = set()
        ix, pl = F.img[dg]["doc"].get("index_digest"), F.img[dg]["doc"].get("platform")
        for cl, ps in inv.items():
            for fld, v in ps.items():
                for c in v["containers"]:
                    if c["digest"] == dg or (ix and c["digest"] == ix and fits(v.get("platform"), pl)):
                        want.add((cl,) + tuple(fld.split("/", 1)))
        eq("image %s running_where" % dg[:19], pods, want)
    if bad:
        print("api_fleet running: %d of %d checks failed:" % (len(bad), n))
        for b in bad:
            print("  " + b)
        sys.exit(1)
    print("api_fleet running: %d checks passed (%d of %d images run)" % (n, len(run), len(F.img)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "check-cursor":
        check_cursor(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "drop-names":
        drop_names(sys.argv[2], sys.argv[3])
    elif cmd == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif cmd == "publish":
        publish(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "drop":
        drop(sys.argv[2], sys.argv[3])
    elif cmd == "running-put":
        running_put(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "check-running":
        check_running(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
