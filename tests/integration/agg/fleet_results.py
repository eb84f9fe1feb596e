#!/usr/bin/env python3
"""Write scanfarm.result/v1 documents for a small fleet built from the
corpus' Alpine ground truth (real packages and real findings per image),
one JSON document per line, to stdout.

Each Alpine minirootfs becomes the base of a few images in three
registries; the digest differs per repository. Severities come from a
short table of the real NVD ratings of the CVEs involved (UNKNOWN for the
rest), so the charts have something to show. A last image carries an
error, as a failing registry would produce.

usage: fleet_results.py CORPUS RUN_ID [DB_VERSION]
"""
import hashlib
import json
import sys

SEVERITY = {  # NVD v3 base ratings
    "CVE-2021-3711": ("CRITICAL", 9.8), "CVE-2021-36159": ("CRITICAL", 9.1),
    "CVE-2022-37434": ("CRITICAL", 9.8), "CVE-2018-25032": ("HIGH", 7.5),
    "CVE-2022-0778": ("HIGH", 7.5), "CVE-2021-3450": ("HIGH", 7.4),
    "CVE-2021-28831": ("HIGH", 7.5), "CVE-2020-1967": ("HIGH", 7.5),
    "CVE-2021-23840": ("HIGH", 7.5), "CVE-2021-30139": ("HIGH", 7.5),
    "CVE-2021-3712": ("HIGH", 7.4), "CVE-2023-0286": ("HIGH", 7.4),
    "CVE-2021-3449": ("MEDIUM", 5.9), "CVE-2020-28928": ("MEDIUM", 5.5),
    "CVE-2019-1551": ("MEDIUM", 5.3), "CVE-2020-1971": ("MEDIUM", 5.9),
    "CVE-2021-23841": ("MEDIUM", 5.9), "CVE-2022-2097": ("MEDIUM", 5.3),
    "CVE-2021-23839": ("LOW", 3.7), "CVE-2019-1547": ("MEDIUM", 4.7),
    "CVE-2019-1549": ("MEDIUM", 5.3), "CVE-2019-1563": ("LOW", 3.7),
}

PLACES = [
    ["registry.acme.io/payments/api:{v}", "registry.acme.io/payments/api:stable"],
    ["registry.acme.io/web/frontend:{v}"],
    ["127.0.0.1:5000/agg/worker:{v}", "127.0.0.1:5000/agg/worker:latest"],
    ["docker.io/library/alpine:{v}"],
]


def main():
    corpus, run = sys.argv[1], sys.argv[2]
    db = sys.argv[3] if len(sys.argv) > 3 else "agg-test-db-1"
    with open(corpus + "/ground-truth/alpine-ground-truth.json") as f:
        cases = json.load(f)["cases"]
    best = {}
    for case in cases:  # per image, the advisory source finding the most
        if len(case["findings"]) >= len(best.get(case["image"], {"findings": []})["findings"]):
            best[case["image"]] = case
    n = 0
    for ci, case in enumerate(sorted(best.values(), key=lambda c: c["image"])):
        rel = case["alpine_release"]
        for i, place in enumerate(PLACES):
            if (ci + i) % 4 == 3:
                continue  # not every base is in every repository
            # a moving tag (stable, latest) points at one image only
            refs = [p.format(v=rel) for p in place[:None if ci == 0 else 1]]
            digest = "sha256:" + hashlib.sha256(
                (case["image_sha256"] + place[0]).encode()).hexdigest()
            vulns = []
            for x in case["findings"]:
                sev, cvss = SEVERITY.get(x["id"], ("UNKNOWN", None))
                fixed = x["fixed_versions"][0] if x["fixed_versions"] else None
                vulns.append({"id": x["id"], "aliases": [], "package": x["package"],
                              "ecosystem": "Alpine:v" + ".".join(rel.split(".")[:2]),
                              "installed": x["version"], "fixed": fixed,
                              "severity": sev, "cvss": cvss})
            pkgs = [{"name": p["name"], "version": p["version"], "type": "apk",
                     "ecosystem": "Alpine:v" + ".".join(rel.split(".")[:2]),
                     "src_name": p["origin"]} for p in case["installed_packages"]]
            doc = {"schema": "scanfarm.result/v1", "run_id": run, "digest": digest,
                   "index_digest": None, "platform": "linux/amd64", "refs": refs,
                   "os": {"id": "alpine", "version_id": rel}, "packages": pkgs,
                   "vulnerabilities": vulns, "summary": {}, "layers": [],
                   "db_version": db,
                   "scanned_at": "2026-03-01T10:%02d:00Z" % (n % 60), "timings": {},
                   "error": None}
            print(json.dumps(doc))
            n += 1
    bad = {"schema": "scanfarm.result/v1", "run_id": run,
           "digest": "sha256:" + hashlib.sha256(b"broken").hexdigest(),
           "platform": None, "refs": ["registry.acme.io/legacy/broken:1"], "os": None,
           "packages": [], "vulnerabilities": [], "summary": {}, "layers": [],
           "db_version": db, "scanned_at": "2026-03-01T11:00:00Z", "timings": {},
           "error": {"code": "auth", "kind": "image", "message": "401 from registry"}}
    print(json.dumps(bad))


if __name__ == "__main__":
    main()
