#!/usr/bin/env python3
"""fleet: push a deterministic synthetic fleet and write its ground truth.

R repositories x T tags over real base images from the corpus (pushed by
tests/fixtures/push-corpus into corpus/*; their layers are cross-mounted,
never re-uploaded) plus generated app layers:

  deps layer  one per repository, shared by its tags: an npm tree of
              package.json files at known-vulnerable versions (taken from the
              corpus npm fixture and its expected findings) and Python
              site-packages *.dist-info/METADATA entries;
  code layer  one per distinct tag: --app-kb of seeded random bytes (does not
              compress, so it costs what real application bytes cost).

A share (--share) of tags point at the repository's first manifest, and
--multiarch repositories also get an OCI index `multi` (amd64 + arm64/v8
over the corpus Alpine 3.12.12 minirootfs of each architecture). Everything
is a function of --seed: the same seed gives the same digests.

--bases N keeps only the first N bases (the worker race test builds 200
images on the 5 single-layer bases: 4 Alpine releases and Debian slim).

Ground truth (--truth FILE, JSON): per image manifest digest, its refs,
base, platform, layer digests, the planted packages, and the expected
findings (--no-reference leaves out the base findings, for tests that
only need the fleet's shape):
  - planted npm findings: the corpus npm-expected-findings.json entries for
    the packages planted (independent of scanfarm);
  - base findings: `scanfarm scan --format json --db DB` of the corpus base
    image alone (scanfarm's single-image scanner; checks that the farm's
    cache, locks and layer assembly give the same answer).
Pushing: keep-alive connections, HEAD before upload, cross-repository
mounts, --threads parallel workers.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import regpush  # noqa: E402  (Client, push_blob, put_manifest)

MT_O_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_O_INDEX = "application/vnd.oci.image.index.v1+json"
MT_O_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_O_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_D_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_D_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = ", ".join([MT_O_MANIFEST, MT_O_INDEX, MT_D_MANIFEST, MT_D_LIST])
CREATED = "2026-11-28T00:00:00Z"

# (name, corpus repository:tag, platform). Alpine releases, Debian and a
# distroless-style image: the bases real fleets are built on.
BASES = [
    ("alpine-3.10.9", "corpus/alpine:3.10.9", "linux/amd64"),
    ("alpine-3.12.12", "corpus/alpine:3.12.12", "linux/amd64"),
    ("alpine-3.18.9", "corpus/alpine:3.18.9", "linux/amd64"),
    ("alpine-3.20.3", "corpus/alpine:3.20.3", "linux/amd64"),
    ("debian-bookworm-slim", "corpus/debian:bookworm-slim", "linux/amd64"),
    ("debian-bullseye-dpkg", "corpus/debian:bullseye-dpkg", "linux/amd64"),
    ("distroless-base-debian12", "corpus/distroless:base-debian12", "linux/amd64"),
]
MULTI = ("alpine-3.12.12-multi", "corpus/alpine-multiarch:3.12.12")

# Python distributions planted as dist-info METADATA (package inventory check).
PYPI = [("requests", "2.19.1"), ("urllib3", "1.24.1"), ("Jinja2", "2.10"),
        ("PyYAML", "5.3"), ("Django", "2.2.0"), ("flask", "0.12.2"), ("six", "1.16.0")]


def log(msg):
    print("fleet: " + msg, file=sys.stderr, flush=True)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def jbytes(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def make_tar(files):
    """Deterministic tar (fixed mtime/owner) -> (gzip bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        dirs = set()
        for path, _ in files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        for d in sorted(dirs):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1764288000
            tf.addfile(ti)
        for path, data in files:
            ti = tarfile.TarInfo(path)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1764288000
            tf.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    return gzip.compress(tar, compresslevel=6, mtime=0), sha(tar)


def mount_blob(c, repo, digest, src):
    """Cross-repository mount of a blob the registry already holds."""
    scope = f"repository:{repo}:pull,push repository:{src}:pull"
    r, _ = c.request("HEAD", f"/v2/{repo}/blobs/{digest}", scope=scope)
    if r.status == 200:
        return
    r, _ = c.request("POST", f"/v2/{repo}/blobs/uploads/?mount={digest}&from={src}", body=b"",
                     scope=scope)
    if r.status != 201:
        raise RuntimeError(f"mount {digest} from {src} into {repo}: {r.status}")


def get_manifest(c, repo, ref):
    r, body = c.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT},
                        scope=f"repository:{repo}:pull")
    if r.status != 200:
        raise RuntimeError(f"{repo}:{ref}: {r.status} (run tests/fixtures/push-corpus first)")
    return json.loads(body)


def get_blob(c, repo, digest):
    r, body = c.request("GET", f"/v2/{repo}/blobs/{digest}", scope=f"repository:{repo}:pull")
    if r.status != 200:
        raise RuntimeError(f"{repo}@{digest}: {r.status}")
    return body


def load_base(c, repo_ref, platform_arch=None):
    """Layers (digest, size, mediaType) and diff_ids of a corpus image."""
    repo, tag = repo_ref.split(":")
    m = get_manifest(c, repo, tag)
    if "manifests" in m:
        for d in m["manifests"]:
            if d["platform"]["architecture"] == platform_arch:
                m = get_manifest(c, repo, d["digest"])
                break
    cfg = json.loads(get_blob(c, repo, m["config"]["digest"]))
    return {"repo": repo, "layers": [(l["digest"], l["size"]) for l in m["layers"]],
            "diff_ids": cfg["rootfs"]["diff_ids"]}


def base_reference(scanfarm, db, registry, ref, platform):
    """Findings of the base image alone, from scanfarm's single-image scanner."""
    out = subprocess.run([scanfarm, "scan", "--format", "json", "--db", db,
                          "--platform", platform, f"{registry}/{ref}"],
                         check=True, capture_output=True).stdout
    doc = json.loads(out)
    if isinstance(doc, list):
        doc = doc[0]
    return [{"package": v["package"], "installed": v["installed"], "id": v["id"],
             "aliases": v.get("aliases") or []} for v in doc["vulnerabilities"]], \
        len(doc["packages"])


def pep503(name):
    return "".join("-" if ch in "_." else ch for ch in name.lower())


def pep440_pad(v):
    """PEP 440 release segments compare zero-padded: 2.2.0 == 2.2."""
    while v.endswith(".0") and v.count(".") > 0:
        v = v[:-2]
    return v


def pypi_oracle(corpus):
    """Expected PyPI findings of the planted versions, from the PyPA OSV
    records' explicit `versions` lists (an oracle that needs no version
    ordering, so it does not share scanfarm's PEP 440 code)."""
    want = {pep503(n): pep440_pad(v) for n, v in PYPI}
    out = {}
    path = os.path.join(corpus, "vulndb/osv/pypa-advisory-database.osv-json.tar.gz")
    with tarfile.open(path) as tf:
        for m in tf:
            if not m.isfile() or not m.name.endswith(".json"):
                continue
            doc = json.load(tf.extractfile(m))
            if doc.get("withdrawn"):
                continue
            for aff in doc.get("affected") or []:
                pkg = aff.get("package") or {}
                n = pep503(pkg.get("name", ""))
                if pkg.get("ecosystem") == "PyPI" and n in want and want[n] in {pep440_pad(x) for x in aff.get("versions") or []}:
                    out.setdefault(n, []).append({"id": doc["id"], "aliases": doc.get("aliases") or []})
    return out


def deps_layer(rng, npm_installed, npm_findings, pypi_findings, repo):
    """npm tree + Python dist-infos, seeded; returns (blob, diff_id, packages, findings)."""
    k = rng.randint(3, min(10, len(npm_installed)))
    pick = sorted(rng.sample(npm_installed, k), key=lambda p: p["path"])
    files, pkgs, finds = [], [], []
    app = f"srv/{repo.replace('/', '-')}"
    files.append((f"{app}/package.json", jbytes({"name": repo.replace("/", "-"),
                                                 "version": "1.0.0", "private": True})))
    for p in pick:
        files.append((f"{app}/{p['path']}/package.json",
                      jbytes({"name": p["name"], "version": p["version"]})))
        pkgs.append({"ecosystem": "npm", "name": p["name"], "version": p["version"]})
        for f in npm_findings:
            if f["package"] == p["name"] and f["version"] == p["version"]:
                finds.append({"package": f["package"], "installed": f["version"], "id": f["id"],
                              "aliases": f.get("aliases") or []})
    for name, ver in rng.sample(PYPI, rng.randint(1, 3)):
        meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n\n".encode()
        files.append((f"usr/lib/python3/site-packages/{name}-{ver}.dist-info/METADATA", meta))
        pkgs.append({"ecosystem": "PyPI", "name": name, "version": ver})
        for f in pypi_findings.get(pep503(name), []):
            finds.append({"package": name, "installed": ver, "id": f["id"], "aliases": f["aliases"]})
    blob, diff = make_tar(files)
    return blob, diff, pkgs, finds


def code_layer(seed, repo, tag, kb):
    r = random.Random(f"{seed}/{repo}/{tag}")
    data = r.randbytes(kb * 1024)
    blob, diff = make_tar([(f"srv/{repo.replace('/', '-')}/app.bin", data),
                           (f"srv/{repo.replace('/', '-')}/VERSION", tag.encode())])
    return blob, diff


def image(c, repo, base, extra, arch="amd64", variant=None):
    """Push config + manifest for base layers + extra [(blob, diff_id)]."""
    diff_ids = base["diff_ids"] + [d for _, d in extra]
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    cfg = jbytes(dict(plat, created=CREATED, config={"Env": ["PATH=/usr/bin:/bin"]},
                      rootfs={"type": "layers", "diff_ids": diff_ids}))
    cd = regpush.push_blob(c, repo, cfg)
    layers = []
    for d, size in base["layers"]:
        mount_blob(c, repo, d, base["repo"])
        layers.append({"mediaType": MT_O_GZIP, "digest": d, "size": size})
    for blob, _ in extra:
        layers.append({"mediaType": MT_O_GZIP, "digest": regpush.push_blob(c, repo, blob),
                       "size": len(blob)})
    m = {"schemaVersion": 2, "mediaType": MT_O_MANIFEST,
         "config": {"mediaType": MT_O_CONFIG, "digest": cd, "size": len(cfg)}, "layers": layers}
    return m, plat


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--registry", default="http://127.0.0.1:5000")
    ap.add_argument("--prefix", default="sfbench")
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--tags", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--share", type=float, default=0.2,
                    help="share of tags (after the first) pointing at the repo's first manifest")
    ap.add_argument("--multiarch", type=int, default=3, help="repositories with an OCI index")
    ap.add_argument("--bases", type=int, default=len(BASES),
                    help=f"use only the first N of the {len(BASES)} base images")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the base images' reference scans (truth without base findings)")
    ap.add_argument("--app-kb", type=int, default=64, help="random bytes per code layer")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--corpus", default=os.environ.get("SF_CORPUS", os.path.join(HERE, "..", "..", "shared", "corpus")))
    ap.add_argument("--scanfarm", help="scanfarm binary (base references)")
    ap.add_argument("--db", help="vulnerability DB (base references)")
    ap.add_argument("--truth", required=True, help="ground-truth JSON to write")
    a = ap.parse_args()
    if not a.no_reference and not (a.scanfarm and a.db):
        ap.error("--scanfarm and --db are needed for the base references (or --no-reference)")
    if not 1 <= a.bases <= len(BASES):
        ap.error(f"--bases must be 1..{len(BASES)}")
    bases_used = BASES[:a.bases]

    npm = json.load(open(os.path.join(a.corpus, "lang/npm/npm-expected-findings.json")))
    pypi = pypi_oracle(a.corpus)
    host = a.registry.split("://", 1)[-1]
    c0 = regpush.Client(a.registry)
    bases = {name: load_base(c0, ref) for name, ref, _ in bases_used}
    multi = {}
    if a.multiarch:
        multi = {arch: load_base(c0, MULTI[1], arch) for arch in ("amd64", "arm64")}
    refs = {}
    if not a.no_reference:
        for name, ref, plat in bases_used:
            refs[name] = base_reference(a.scanfarm, a.db, host, ref, plat)
        for arch, plat in (("amd64", "linux/amd64"), ("arm64", "linux/arm64/v8")):
            if a.multiarch:
                refs[f"{MULTI[0]}-{arch}"] = base_reference(a.scanfarm, a.db, host, MULTI[1], plat)

    images, errors, lock = {}, [], threading.Lock()
    blobs = {"bytes": 0, "count": 0}

    def add(digest, rec):
        with lock:
            if digest in images:
                images[digest]["refs"] = sorted(set(images[digest]["refs"] + rec["refs"]))
            else:
                images[digest] = rec

    def one_repo(c, i):
        rng = random.Random(f"{a.seed}/repo/{i}")
        repo = f"{a.prefix}/app{i:04d}"
        bname = bases_used[rng.randrange(len(bases_used))][0]
        dblob, ddiff, pkgs, finds = deps_layer(rng, npm["installed"], npm["findings"], pypi, repo)
        first = None
        for t in range(a.tags):
            tag = f"v{t}"
            if t and rng.random() < a.share:
                regpush.put_manifest(c, repo, tag, first[0], MT_O_MANIFEST)
                add(first[1], {"refs": [f"{host}/{repo}:{tag}"]} | images_rec(first[2]))
                continue
            cblob, cdiff = code_layer(a.seed, repo, tag, a.app_kb)
            m, _ = image(c, repo, bases[bname], [(dblob, ddiff), (cblob, cdiff)])
            d = regpush.put_manifest(c, repo, tag, m, MT_O_MANIFEST)
            rec = {"base": bname, "platform": "linux/amd64", "index_digest": None,
                   "layers": [l["digest"] for l in m["layers"]],
                   "packages": pkgs, "planted_findings": finds}
            add(d, dict(rec, refs=[f"{host}/{repo}:{tag}"]))
            with lock:
                blobs["bytes"] += len(cblob) + (len(dblob) if t == 0 else 0)
                blobs["count"] += 1 + (1 if t == 0 else 0)
            if first is None:
                first = (m, d, rec)
        if i < a.multiarch:
            cblob, cdiff = code_layer(a.seed, repo, "multi", a.app_kb)
            ms, mlayers = [], []
            for arch, variant in (("amd64", None), ("arm64", "v8")):
                m, plat = image(c, repo, multi[arch], [(dblob, ddiff), (cblob, cdiff)], arch, variant)
                mlayers.append([l["digest"] for l in m["layers"]])
                body = jbytes(m)
                d = regpush.put_manifest(c, repo, f"multi-{arch}", m, MT_O_MANIFEST)
                ms.append({"mediaType": MT_O_MANIFEST, "digest": d, "size": len(body),
                           "platform": plat})
            idx = {"schemaVersion": 2, "mediaType": MT_O_INDEX, "manifests": ms}
            xd = regpush.put_manifest(c, repo, "multi", idx, MT_O_INDEX)
            plats = (("amd64", "linux/amd64"), ("arm64", "linux/arm64/v8"))
            for md, mm, (arch, p) in zip(ms, mlayers, plats):
                add(md["digest"], {"refs": [f"{host}/{repo}:multi-{arch}"], "base": f"{MULTI[0]}-{arch}",
                                   "platform": p, "index_digest": None, "layers": mm,
                                   "packages": pkgs, "planted_findings": finds})
                add(f"{xd}/{p}", {"refs": [f"{host}/{repo}:multi"], "base": f"{MULTI[0]}-{arch}",
                                  "platform": p, "index_digest": xd, "digest": md["digest"],
                                  "layers": mm,
                                  "packages": pkgs, "planted_findings": finds})

    def images_rec(rec):
        return {k: v for k, v in rec.items()}

    def worker(k):
        c = regpush.Client(a.registry)
        try:
            for i in range(k, a.repos, a.threads):
                one_repo(c, i)
        except Exception as e:  # fail the run, say why
            errors.append(f"{type(e).__name__}: {e}")

    t0 = time.time()
    th = [threading.Thread(target=worker, args=(k,)) for k in range(a.threads)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    secs = time.time() - t0
    if errors:
        log(errors[0])
        return 1
    ntags = sum(len(r["refs"]) for r in images.values())
    truth = {"seed": a.seed, "repos": a.repos, "tags": a.tags, "share": a.share,
             "bases": [name for name, _, _ in bases_used],
             "registry": host, "prefix": a.prefix, "push_seconds": round(secs, 3),
             "app_blobs_pushed": blobs["count"], "app_bytes_pushed": blobs["bytes"],
             "base_reference": {k: {"findings": v[0], "packages": v[1]} for k, v in refs.items()},
             "images": images}
    with open(a.truth, "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    log(f"{a.repos} repos, {ntags} tag refs, {len(images)} result keys, "
        f"{blobs['count']} app blobs ({blobs['bytes'] / 1e6:.1f} MB) in {secs:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
