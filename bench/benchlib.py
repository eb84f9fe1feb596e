#!/usr/bin/env python3
"""benchlib: the measuring half of bench/run (stdlib only).

Subcommands:
  collect  follow a results topic with kcat until every result of a run id
           has arrived (or --idle seconds pass with none); write them as
           JSON lines with the broker timestamp; print {"results","last_ms"}.
  offsets  the end offsets of a topic's partitions now (where collect starts).
  jobs     the jobs topic's publish timestamps of one run (digest -> ms).
  metrics  scrape worker /metrics ports and /proc of their PIDs: counters,
           CPU seconds, peak RSS (VmHWM) as JSON.
  getrate  the registry's raw manifest GET rate over a repo:tag list.
  blobs    download the fleet's unique layer blobs (for the floors).
  reglog   count the registry's requests for the fleet in its access log
           from a byte offset (the requests of one phase), by kind.
  phase    compute one phase's figures from collect/jobs/metrics files.
  skip     the skip-current phase's figures from the coordinator's summary
           log line (jobs published, refs messages) and the access log.
  correct  compare a run's results with the fleet's ground truth.
  cpu      a snapshot of CPU seconds: the machine's busy time (/proc/stat)
           and named processes' (NAME=PID[,PID...]: utime + stime).
  cpudiff  one phase's CPU by process from two snapshots (and the
           coordinator's /usr/bin/time file): where the cores went.
  plot     SVG of images/s against worker count (no dependencies).
  table    print the final table from the results JSON.
"""

import argparse
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request

ACCEPT = ("application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
          "application/vnd.docker.distribution.manifest.v2+json, "
          "application/vnd.docker.distribution.manifest.list.v2+json")


def since(started):
    """kcat's -o for messages from `started` (epoch seconds) on, less 2 s
    for the clocks of the producers (same machine: the margin is generous)."""
    return "s@%d" % max(0, int(started * 1000) - 2000)


def end_offsets(kafka, topic):
    """{partition: the offset the next message will get}, now."""
    meta = subprocess.run(["kcat", "-L", "-b", kafka, "-t", topic, "-J"], capture_output=True,
                          timeout=30, check=True)
    parts = [q["partition"] for q in json.loads(meta.stdout)["topics"][0]["partitions"]]
    args = ["kcat", "-Q", "-b", kafka, "-J"]
    for q in parts:
        args += ["-t", f"{topic}:{q}:-1"]
    got = json.loads(subprocess.run(args, capture_output=True, timeout=30, check=True).stdout)
    return {int(k): v["offset"] for k, v in got[topic].items() if k.isdigit()}


def cmd_offsets(a):
    json.dump(end_offsets(a.kafka, a.topic), open(a.out, "w"))


def cmd_collect(a):
    """Results of run a.run from a.topic; stop at a.expect or after a.idle quiet seconds."""
    # From the offsets the topic had before the phase (--offsets, written by
    # `offsets` before the coordinator starts), not the topic's beginning:
    # the topic keeps every earlier phase and bench run, and re-reading them
    # all (kcat, json.loads) took CPU from the farm while it was measured.
    # Not from a timestamp either: a partition with no message after it
    # resolves to its end when the fetch starts, and a result produced in
    # between was lost (seen: 848 of 849 in a fast warm phase).
    offs = json.load(open(a.offsets)) if a.offsets else None
    cmd = ["kcat", "-C", "-b", a.kafka, "-t", a.topic, "-u", "-q",
           "-X", "fetch.message.max.bytes=16777216", "-f", "%T %s\n"]
    if offs is None:
        procs = [subprocess.Popen(cmd + ["-o", "beginning"], stdout=subprocess.PIPE,
                                  bufsize=1 << 20)]
    else:
        procs = [subprocess.Popen(cmd + ["-p", str(q), "-o", str(o)], stdout=subprocess.PIPE,
                                  bufsize=1 << 20) for q, o in sorted(offs.items())]
    lines = queue.Queue(maxsize=4096)

    def reader(p):
        for line in p.stdout:
            lines.put(line)
        lines.put(None)

    for p in procs:
        threading.Thread(target=reader, args=(p,), daemon=True).start()
    n, last, seen, open_readers = 0, 0, set(), len(procs)
    tick = time.time()
    with open(a.out, "wb") as out:
        while open_readers and n < a.expect:
            if time.time() - tick > a.idle or time.time() - a.started > a.timeout:
                break
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if line is None:
                open_readers -= 1
                continue
            ts, _, body = line.partition(b" ")
            if a.run.encode() not in body:
                continue
            try:
                doc = json.loads(body)
            except ValueError:
                continue
            if doc.get("run_id") != a.run:
                continue
            key = (doc.get("digest"), doc.get("index_digest"), doc.get("platform"))
            tick = time.time()
            if key in seen:  # at-least-once: count an image once
                continue
            seen.add(key)
            n += 1
            last = max(last, int(ts))
            # The document as it came, with the broker time first: no
            # re-encoding while the phase runs.
            out.write(b'{"_ts":' + ts + b"," + body.lstrip()[1:])
    for p in procs:
        p.kill()
        p.wait()
    print(json.dumps({"results": n, "last_ms": last}))


def cmd_jobs(a):
    p = subprocess.run(["kcat", "-C", "-b", a.kafka, "-t", a.topic, "-o", since(a.started), "-e", "-u",
                        "-q", "-f", "%T %s\n"], capture_output=True, timeout=120)
    out = {}
    for line in p.stdout.splitlines():
        ts, _, body = line.partition(b" ")
        if a.run.encode() not in body:
            continue
        doc = json.loads(body)
        if doc.get("run_id") == a.run:
            out[doc["digest"]] = int(ts)
    json.dump(out, open(a.out, "w"))
    print(len(out))


def scrape(port):
    vals = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            k, _, v = line.rpartition(" ")
            try:
                vals[k] = float(v)
            except ValueError:
                pass
    return vals


def proc(pid):
    hz = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    cpu = (int(st[11]) + int(st[12])) / hz
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return cpu, hwm


def cmd_metrics(a):
    out = []
    for spec in a.workers:
        pid, port = spec.split(":")
        m = scrape(int(port))
        cpu, hwm = proc(int(pid))
        out.append({"pid": int(pid), "port": int(port), "cpu_s": cpu, "rss_peak": hwm,
                    "metrics": m})
    json.dump(out, open(a.out, "w"))


def cmd_getrate(a):
    refs = [l.strip() for l in open(a.refs) if l.strip()]
    host = a.registry.split("://", 1)[-1]
    count = [0] * a.threads
    stop = time.time() + a.seconds

    def run(k):
        c = http.client.HTTPConnection(host, timeout=30)
        i = k
        while time.time() < stop:
            repo, tag = refs[i % len(refs)].rsplit(":", 1)
            c.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
            r = c.getresponse()
            r.read()
            if r.status == 200:
                count[k] += 1
            i += a.threads

    t0 = time.time()
    th = [threading.Thread(target=run, args=(k,)) for k in range(a.threads)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    secs = time.time() - t0
    print(json.dumps({"requests": sum(count), "seconds": round(secs, 3),
                      "req_per_s": round(sum(count) / secs, 1), "threads": a.threads}))


def cmd_blobs(a):
    """Unique layers named by the cold run's results -> files in a.dir."""
    layers = {}
    for line in open(a.results):
        doc = json.loads(line)
        repo = doc["refs"][0].split("/", 1)[1].rsplit(":", 1)[0] if doc.get("refs") else None
        for l in doc.get("layers") or []:
            layers.setdefault(l["digest"], repo)
    os.makedirs(a.dir, exist_ok=True)
    host = a.registry.split("://", 1)[-1]
    c = http.client.HTTPConnection(host, timeout=60)
    total, sizes = 0, {}
    for d, repo in sorted(layers.items()):
        path = os.path.join(a.dir, d.replace(":", "_") + ".gz")
        if not os.path.exists(path):
            c.request("GET", f"/v2/{repo}/blobs/{d}")
            r = c.getresponse()
            body = r.read()
            if r.status in (301, 302, 307):
                loc = r.getheader("Location")
                body = urllib.request.urlopen(loc).read()
            elif r.status != 200:
                raise SystemExit(f"blob {d}: {r.status}")
            with open(path + ".tmp", "wb") as f:
                f.write(body)
            os.rename(path + ".tmp", path)
        sizes[d] = os.path.getsize(path)
        total += sizes[d]
    json.dump(sizes, open(os.path.join(a.dir, "sizes.json"), "w"))
    print(json.dumps({"unique_layers": len(layers), "compressed_bytes": total}))


def cmd_reglog(a):
    """Requests under /v2/<prefix>/ logged since byte a.offset of the access log."""
    kinds, n = {}, 0
    needle = f"/v2/{a.prefix}/".encode()
    if a.log and os.path.exists(a.log):
        with open(a.log, "rb") as f:
            f.seek(a.offset)
            for line in f:
                q = line.find(b'"')
                if q < 0 or needle not in line:
                    continue
                req = line[q + 1:].split(b" ", 2)
                if len(req) < 2:
                    continue
                path = req[1].split(b"?")[0]
                what = "manifests" if b"/manifests/" in path else "blobs" if b"/blobs/" in path else \
                    "tags" if path.endswith(b"/tags/list") else "other"
                k = req[0].decode(errors="replace") + " " + what
                kinds[k] = kinds.get(k, 0) + 1
                n += 1
    json.dump({"requests": n if a.log else None, "by_kind": kinds, "log": a.log or None},
              open(a.out, "w"))


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def metric_sum(ws, name, label=None):
    s = 0.0
    for w in ws:
        for k, v in w["metrics"].items():
            if k == name or (k.startswith(name + "{") and (label is None or label in k)):
                s += v
    return s


def cmd_phase(a):
    """Figures of one phase: results + job timestamps + metrics before/after."""
    res = [json.loads(l) for l in open(a.results)]
    jobs = json.load(open(a.jobs)) if a.jobs and os.path.exists(a.jobs) else {}
    before = json.load(open(a.before)) if a.before else []
    after = json.load(open(a.after)) if a.after else []
    secs = max(1e-9, (max((r["_ts"] for r in res), default=a.start_ms) - a.start_ms) / 1000.0)
    layers, cbytes = {}, 0
    hits = total = 0
    for r in res:
        for l in r.get("layers") or []:
            total += 1
            hits += l.get("cache") == "hit"
            layers.setdefault(l["digest"], l.get("size", 0))
    sizes = json.load(open(a.sizes)) if a.sizes and os.path.exists(a.sizes) else {}
    for r in res:
        for l in r.get("layers") or []:
            cbytes += sizes.get(l["digest"], 0)
    lat = []
    for r in res:
        j = jobs.get(r.get("index_digest") or r["digest"])
        if j is not None:
            lat.append((r["_ts"] - j) / 1000.0)

    def delta(name, label=None):
        return metric_sum(after, name, label) - metric_sum(before, name, label)

    states = {k: delta("scanfarm_layers_total", f'cache="{k}"') for k in ("hit", "wait", "miss", "uncached")}
    looked = sum(states.values())
    analyses = delta("scanfarm_layers_total", 'cache="miss"') + \
        delta("scanfarm_layers_total", 'cache="uncached"')
    cpu = sum(w["cpu_s"] for w in after) - sum(w["cpu_s"] for w in before)
    errors = sum(1 for r in res if r.get("error"))
    out = {
        "run_id": a.run, "results": len(res), "expected": a.expect, "errors": errors,
        "seconds": round(secs, 3),
        "images_per_s": round(len(res) / secs, 2),
        "layers_per_s": round(total / secs, 2),
        "compressed_mb_per_s": round(cbytes / 1e6 / secs, 2),
        "compressed_mb_referenced": round(cbytes / 1e6, 2),
        "unique_layers": len(layers),
        "layer_refs": total,
        # no lookup at all: the worker answered from the cached image result
        "cache_hit_ratio": round((states["hit"] + states["wait"]) / looked, 4) if looked else
        (1.0 if res else None),
        "cache_lookups": states,
        "results_layers_marked_hit": round(hits / total, 4) if total else None,
        "layers_analysed": analyses,
        "analyses_per_unique_layer": round(analyses / len(layers), 2) if layers else None,
        "latency_s": {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99),
                      "samples": len(lat)},
        "workers": len(after),
        "peak_rss_mb_per_worker": [round(w["rss_peak"] / 2**20, 1) for w in after],
        "cpu_s_per_image": round(cpu / len(res), 4) if res else None,
    }
    if a.reglog and os.path.exists(a.reglog):
        rl = json.load(open(a.reglog))
        if rl.get("requests") is not None:
            out["registry"] = {"requests": rl["requests"], "by_kind": rl["by_kind"],
                               "per_image": round(rl["requests"] / len(res), 2) if res else None,
                               "req_per_s": round(rl["requests"] / secs, 1)}
    json.dump(out, open(a.out, "w"), indent=1)
    print(json.dumps(out))


def norm_id(i):
    """The corpus names Node.js security WG advisories `nodejs-security-wg:npm/N`;
    the DB importer names the same records `NSWG-NPM-N`."""
    if i.startswith("nodejs-security-wg:npm/"):
        return "NSWG-NPM-" + i.rsplit("/", 1)[1]
    return i


def vkey(v):
    return {norm_id(x) for x in [v["id"]] + list(v.get("aliases") or [])}


def cmd_correct(a):
    """found / missed / extra of planted + base findings, and planted packages."""
    truth = json.load(open(a.truth))
    got = {}
    for line in open(a.results):
        r = json.loads(line)
        k = f'{r["index_digest"]}/{r["platform"]}' if r.get("index_digest") else r["digest"]
        got[k] = r
    found = missed = extra = 0
    pk_found = pk_missed = 0
    missing_images = 0
    examples = []
    for key, img in truth["images"].items():
        r = got.get(key)
        if r is None:
            missing_images += 1
            continue
        expect = list(img["planted_findings"]) + \
            list(truth["base_reference"][img["base"]]["findings"])
        have = [(v["package"], v.get("installed"), vkey(v)) for v in r.get("vulnerabilities") or []]
        used = [False] * len(have)
        for e in expect:
            hit = False
            for i, (p, ver, ids) in enumerate(have):
                if p == e["package"] and ver == e["installed"] and ids & vkey(e):
                    used[i] = hit = True
            if hit:
                found += 1
            else:
                missed += 1
                if len(examples) < 5:
                    examples.append({"image": img["refs"][0], "missed": e["id"],
                                     "package": e["package"]})
        for i, u in enumerate(used):
            if not u:
                extra += 1
                if len(examples) < 10:
                    examples.append({"image": img["refs"][0], "extra": sorted(have[i][2])[0],
                                     "package": have[i][0]})
        pk = {(p.get("name"), p.get("version")) for p in r.get("packages") or []}
        for p in img["packages"]:
            if (p["name"], p["version"]) in pk:
                pk_found += 1
            else:
                pk_missed += 1
    out = {"images_expected": len(truth["images"]), "images_missing": missing_images,
           "findings_expected": found + missed, "found": found, "missed": missed,
           "extra": extra, "planted_packages_found": pk_found,
           "planted_packages_missed": pk_missed, "examples": examples}
    json.dump(out, open(a.out, "w"), indent=1)
    print(json.dumps(out))


def log_fields(line):
    """key=value fields of a structured log line (values without spaces)."""
    out = {}
    for tok in line.split("|", 1)[-1].split():
        k, eq, v = tok.partition("=")
        if eq:
            out[k] = v
    return out


def cmd_skip(a):
    """Figures of the skip-current rescan: no results to wait for, so the
    phase is the coordinator's run, start to exit (its refs messages'
    delivery reports included)."""
    line = [l for l in open(a.log) if 'msg="run enumerated"' in l]
    f = log_fields(line[-1]) if line else {}
    n = lambda k: int(f[k]) if f.get(k, "").lstrip("-").isdigit() else None
    secs = max(1e-3, (a.end_ms - a.start_ms) / 1000.0)
    out = {"run_id": a.run, "images": a.expect, "seconds": round(secs, 3),
           "images_per_s": round(a.expect / secs, 2),
           "digests": n("digests"), "tags_resolved": n("tags_resolved"),
           "jobs_published": n("jobs"), "jobs_delivered": n("jobs_delivered"),
           "skipped_current": n("skipped_current"), "skip_check_errors": n("skip_check_errors"),
           "refs_msgs": n("refs_msgs_delivered"),
           "coordinator_seconds": float(f["seconds"]) if "seconds" in f else None,
           "note": "scanfarm-coordinator --redis over the warm fleet: a digest whose cached "
                   "result is current gets a refs message instead of a job"}
    if a.reglog and os.path.exists(a.reglog):
        rl = json.load(open(a.reglog))
        if rl.get("requests") is not None:
            out["registry"] = {"requests": rl["requests"], "by_kind": rl["by_kind"],
                               "per_image": round(rl["requests"] / a.expect, 2) if a.expect else None,
                               "req_per_s": round(rl["requests"] / secs, 1)}
    json.dump(out, open(a.out, "w"), indent=1)
    print(json.dumps(out))


def machine_cpu():
    """Busy and total CPU seconds of the whole machine since boot."""
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    total = sum(v[:8])  # guest time is already inside user
    return (total - idle) / hz, total / hz


def cmd_cpu(a):
    busy, total = machine_cpu()
    procs = {}
    for spec in a.procs:
        name, _, pids = spec.partition("=")
        secs = 0.0
        for pid in filter(None, pids.split(",")):
            try:
                secs += proc(int(pid))[0]
            except (OSError, ValueError, IndexError):
                pass  # gone or not ours: counts nothing
        procs[name] = secs
    json.dump({"t": time.monotonic(), "machine_busy_s": busy, "machine_total_s": total,
               "procs": procs}, open(a.out, "w"))


def cmd_cpudiff(a):
    b, e = json.load(open(a.before)), json.load(open(a.after))
    wall = max(1e-3, e["t"] - b["t"])
    out = {"wall_s": round(wall, 2),
           "machine_busy_s": round(e["machine_busy_s"] - b["machine_busy_s"], 2),
           "cores": os.cpu_count(), "by_process_s": {}}
    for k, v in e["procs"].items():
        out["by_process_s"][k] = round(v - b["procs"].get(k, 0.0), 2)
    if a.coord_time and os.path.exists(a.coord_time):
        try:
            u, s_ = open(a.coord_time).read().split()[-2:]
            out["by_process_s"]["coordinator"] = round(float(u) + float(s_), 2)
        except ValueError:
            pass
    ours = sum(out["by_process_s"].values())
    # What else ran on the machine meanwhile (other users, the bench's own
    # helpers): the share of the cores the farm did not get.
    out["other_s"] = round(max(0.0, out["machine_busy_s"] - ours), 2)
    out["idle_s"] = round(max(0.0, wall * out["cores"] - out["machine_busy_s"]), 2)
    json.dump(out, open(a.out, "w"), indent=1)


def cmd_summary(a):
    d = json.load(open(a.json))
    if "jobs_published" in d:  # the skip phase
        print(f"{d['images']} images in {d['seconds']} s, {d['images_per_s']} images/s, "
              f"{d['jobs_published']} jobs published, {d['refs_msgs']} refs messages")
        return
    print(f"{d['results']}/{d['expected']} results in {d['seconds']} s, {d['images_per_s']} images/s")


def cmd_plot(a):
    pts = json.load(open(a.points))  # [[workers, images_per_s], ...]
    w, h, m = 480, 300, 50
    xs = [p[0] for p in pts]
    ymax = max([p[1] for p in pts] + [1e-9]) * 1.15
    xmax = max(xs + [8])

    def X(v):
        return m + (w - 2 * m) * (v / xmax)

    def Y(v):
        return h - m - (h - 2 * m) * (v / ymax)

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{w/2}" y="18" text-anchor="middle" font-size="13">{a.title}</text>',
         f'<line x1="{m}" y1="{h-m}" x2="{w-m}" y2="{h-m}" stroke="black"/>',
         f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h-m}" stroke="black"/>',
         f'<text x="{w/2}" y="{h-12}" text-anchor="middle">workers (scanfarm-worker processes)</text>',
         f'<text x="14" y="{h/2}" transform="rotate(-90 14 {h/2})" text-anchor="middle">images/s (cold)</text>']
    for x in xs:
        s.append(f'<text x="{X(x)}" y="{h-m+14}" text-anchor="middle">{x}</text>')
    for i in range(5):
        v = ymax * i / 4
        s.append(f'<text x="{m-4}" y="{Y(v)+4}" text-anchor="end">{v:.1f}</text>')
        s.append(f'<line x1="{m}" y1="{Y(v)}" x2="{w-m}" y2="{Y(v)}" stroke="#ddd"/>')
    path = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts)
    s.append(f'<polyline points="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    for x, y in pts:
        s.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="#1f77b4"/>')
        s.append(f'<text x="{X(x)+5:.1f}" y="{Y(y)-6:.1f}">{y:.2f}</text>')
    s.append("</svg>")
    open(a.out, "w").write("\n".join(s) + "\n")


def ratio(x, y):
    return f"{x / y:.2f}x" if x and y else "-"


def fmt_num(v):
    return str(v) if isinstance(v, (int, float)) else "-"


def cmd_table(a):
    d = json.load(open(a.json))
    m = d["machine"]
    print(f"\nscanfarm bench  {d['date']}  {m['nproc']} cores, {m['mem_gb']} GB RAM, {m['cpu']}")
    print(f"  {m['note']}")
    print(f"  command: {d['command']}")
    f = d["fleet"]
    print(f"  fleet: {f['repos']} repos x {f['tags']} tags = {f['results_expected']} image results, "
          f"{f['unique_layers']} unique layers, {f['compressed_mb']} MB compressed; "
          f"pushed in {f['push_seconds']} s")
    print(f"  workers: {d['workers']} x scanfarm-worker (--concurrency {d['worker_concurrency']})\n")
    hdr = ("phase", "images", "s", "images/s", "layers/s", "MB/s", "hit", "an/uniq",
           "p50 s", "p95 s", "p99 s", "RSS MB", "cpu s/img")
    print("  " + "".join(f"{h:>10}" for h in hdr))
    for name in ("cold", "warm", "rematch"):
        p = d.get(name)
        if not p:
            continue
        lat = p.get("latency_s") or {}

        def fmt(v, spec):
            return format(v, spec) if isinstance(v, (int, float)) else "-"
        row = (name, p.get("results"), fmt(p.get("seconds"), ".1f"), fmt(p.get("images_per_s"), ".2f"),
               fmt(p.get("layers_per_s"), ".1f"), fmt(p.get("compressed_mb_per_s"), ".1f"),
               fmt(p.get("cache_hit_ratio"), ".3f"), fmt(p.get("analyses_per_unique_layer"), ".2f"),
               fmt(lat.get("p50"), ".2f"), fmt(lat.get("p95"), ".2f"), fmt(lat.get("p99"), ".2f"),
               fmt(max(p.get("peak_rss_mb_per_worker") or [0]) or None, ".0f"),
               fmt(p.get("cpu_s_per_image"), ".3f"))
        print("  " + "".join(f"{str(v):>10}" for v in row))
    b = d["baselines"]
    print(f"\n  floors (same run, same {f['unique_layers']} unique blobs, {b['gzip']['compressed_mb']} MB):")
    for k in ("gzip", "igzip"):
        x = b[k]
        print(f"    {k + ' -dc':<10} {x['seconds']:.2f} s  {x['mb_per_s']:.1f} MB/s compressed in"
              f"   cold farm / floor time: {ratio(d['cold']['seconds'], x['seconds'])}")
    g = b["manifest_get"]
    print(f"    manifest GET {g['req_per_s']:.0f} req/s ({g['threads']} conns)   "
          f"cold images/s as share of it: {d['cold']['images_per_s'] / g['req_per_s'] * 100:.2f}%")
    for name in ("cold", "warm"):
        r = (d.get(name) or {}).get("registry")
        if r:
            share = d.get("registry_share_of_raw_rate", {}).get(name)
            print(f"    registry during {name}: {r['requests']} requests, {r['per_image']} per image, "
                  f"{r['req_per_s']:.0f} req/s = {share * 100 if share is not None else 0:.1f}% of the raw "
                  f"manifest GET rate  ({', '.join(f'{k} {v}' for k, v in sorted(r['by_kind'].items()))})")
    s, w = d.get("skip"), d.get("warm") or {}
    if s:
        reg, wreg = s.get("registry") or {}, w.get("registry") or {}
        print(f"    skip-current rescan (coordinator --redis): {s['images']} images in {s['seconds']:.2f} s = "
              f"{s['images_per_s']:.2f} images/s (warm: {fmt_num(w.get('images_per_s'))}), "
              f"jobs published {s['jobs_published']}, refs messages {s['refs_msgs']}, "
              f"check errors {s['skip_check_errors']}, registry requests per image "
              f"{fmt_num(reg.get('per_image'))} (warm: {fmt_num(wreg.get('per_image'))})")
    cpus = [(n, d[n]["cpu"]) for n in ("cold", "warm", "skip") if (d.get(n) or {}).get("cpu")]
    if cpus:
        names = sorted({k for _, c in cpus for k in c["by_process_s"]})
        print(f"\n  CPU seconds per phase ({cpus[0][1]['cores']} cores x wall; 'other' = the rest of "
              "the machine, 'idle' = unused):")
        hdr = ("phase", "wall", "busy") + tuple(names) + ("other", "idle")
        print("  " + "".join(f"{h:>12}" for h in hdr))
        for n, c in cpus:
            row = (n, c["wall_s"], c["machine_busy_s"]) + tuple(
                c["by_process_s"].get(k, "-") for k in names) + (c["other_s"], c["idle_s"])
            print("  " + "".join(f"{str(v):>12}" for v in row))
    c = d["correctness"]
    print(f"\n  correctness (cold): planted+reference findings {c['findings_expected']}: found {c['found']}, "
          f"missed {c['missed']}, extra {c['extra']}; planted packages found {c['planted_packages_found']}, "
          f"missed {c['planted_packages_missed']}; images missing {c['images_missing']}")
    for k in ("warm",):
        if d.get("correctness_" + k):
            c = d["correctness_" + k]
            print(f"  correctness ({k}): found {c['found']}, missed {c['missed']}, extra {c['extra']}, "
                  f"images missing {c['images_missing']}")
    if d.get("sweep"):
        print("\n  cold throughput by worker count: " +
              ", ".join(f"{w}: {v:.2f} img/s" for w, v in d["sweep"]) + f"  (plot: {d.get('plot')})")
    if d.get("push"):
        print("\n  scan on push, push-to-result latency p50 / p95 / p99 (warm layer): " +
              "; ".join(f"burst {n}: {r['p50_s']} / {r['p95_s']} / {r['p99_s']} s"
                        for n, r in d["push"]["bursts"].items()))
    print(f"\n  JSON: {a.json}")


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("collect")
    for k in ("--kafka", "--topic", "--run", "--out"):
        p.add_argument(k, required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--idle", type=float, default=120)
    p.add_argument("--timeout", type=float, default=7200)
    p.add_argument("--started", type=float, default=time.time())
    p.add_argument("--offsets", help="JSON {partition: offset} from `offsets` (default: the beginning)")
    p = sp.add_parser("offsets")
    for k in ("--kafka", "--topic", "--out"):
        p.add_argument(k, required=True)
    p = sp.add_parser("jobs")
    for k in ("--kafka", "--topic", "--run", "--out"):
        p.add_argument(k, required=True)
    p.add_argument("--started", type=float, default=0, help="epoch seconds (default: the beginning)")
    p = sp.add_parser("metrics")
    p.add_argument("--out", required=True)
    p.add_argument("workers", nargs="*", help="PID:PORT")
    p = sp.add_parser("getrate")
    p.add_argument("--registry", required=True)
    p.add_argument("--refs", required=True)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p = sp.add_parser("blobs")
    for k in ("--registry", "--results", "--dir"):
        p.add_argument(k, required=True)
    p = sp.add_parser("reglog")
    p.add_argument("--log")
    p.add_argument("--offset", type=int, default=0)
    for k in ("--prefix", "--out"):
        p.add_argument(k, required=True)
    p = sp.add_parser("phase")
    for k in ("--results", "--out", "--run"):
        p.add_argument(k, required=True)
    for k in ("--jobs", "--before", "--after", "--sizes", "--reglog"):
        p.add_argument(k)
    p.add_argument("--start-ms", type=int, required=True)
    p.add_argument("--expect", type=int, required=True)
    p = sp.add_parser("skip")
    for k in ("--log", "--out", "--run"):
        p.add_argument(k, required=True)
    p.add_argument("--reglog")
    for k in ("--start-ms", "--end-ms", "--expect"):
        p.add_argument(k, type=int, required=True)
    p = sp.add_parser("correct")
    for k in ("--truth", "--results", "--out"):
        p.add_argument(k, required=True)
    p = sp.add_parser("cpu")
    p.add_argument("--out", required=True)
    p.add_argument("procs", nargs="*", help="NAME=PID[,PID...]")
    p = sp.add_parser("cpudiff")
    for k in ("--before", "--after", "--out"):
        p.add_argument(k, required=True)
    p.add_argument("--coord-time")
    p = sp.add_parser("summary")
    p.add_argument("--json", required=True)
    p = sp.add_parser("plot")
    for k in ("--points", "--out", "--title"):
        p.add_argument(k, required=True)
    p = sp.add_parser("table")
    p.add_argument("--json", required=True)
    a = ap.parse_args()
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()
