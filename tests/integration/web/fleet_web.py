#!/usr/bin/env python3
"""Write a synthetic fleet of N scanfarm.result/v1 documents (one a line)
for the web console's browser test, from the quickstart-sized results of
fleet_results.py (real Alpine packages and findings from the corpus).

Image i lives at fleet.example:5000/team-<i % 50>/svc-<i % 7>:v<i>, is a
copy of base result i % len(bases) with its own digest, two layers (the
base's and an app layer), each finding's layer index, and every third
image also carries an npm finding in the app layer (a GHSA advisory), so
the console has layers of origin, two ecosystems and two id namespaces;
every fourth image (i % 4 == 1) lost its base's critical findings, so a
severity filter has something to leave out.
Deterministic: the same input gives the same digests.

usage: fleet_web.py BASE_RESULTS.jsonl RUN_ID N
"""
import hashlib
import json
import sys

NPM = {"id": "GHSA-jf85-cpcp-j695", "aliases": ["CVE-2019-10744"], "package": "lodash",
       "ecosystem": "npm", "installed": "4.17.11", "fixed": "4.17.12", "severity": "CRITICAL",
       "cvss": 9.1, "type": "npm", "layer": 1}


def sha(s):
    return "sha256:" + hashlib.sha256(s.encode()).hexdigest()


def main():
    src, run, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bases = [json.loads(l) for l in open(src)]
    bases = [b for b in bases if not b["error"] and b["vulnerabilities"]]
    for i in range(n):
        b = bases[i % len(bases)]
        doc = dict(b)
        doc["run_id"] = run
        doc["digest"] = sha("web-fleet-%d" % i)
        doc["refs"] = ["fleet.example:5000/team-%02d/svc-%d:v%d" % (i % 50, i % 7, i)]
        doc["layers"] = [
            {"digest": sha("base-layer-" + b["digest"]), "cache": "hit", "error": None, "size": 2706450},
            {"digest": sha("app-layer-%d" % i), "cache": "miss", "error": None, "size": 1000 + i},
        ]
        vulns = [dict(v, layer=0) for v in b["vulnerabilities"]]
        if i % 4 == 1:  # a patched base: its critical findings fixed
            vulns = [v for v in vulns if v["severity"] != "CRITICAL"]
        pkgs = [dict(p, layer=0) for p in b["packages"]]
        if i % 3 == 0:
            vulns.append(dict(NPM))
            pkgs.append({"name": "lodash", "version": "4.17.11", "type": "npm", "ecosystem": "npm",
                         "layer": 1, "path": "app/node_modules/lodash/package.json"})
        doc["vulnerabilities"] = vulns
        doc["packages"] = pkgs
        doc["scanned_at"] = "2026-03-02T%02d:%02d:00Z" % (i // 60 % 24, i % 60)
        print(json.dumps(doc))


if __name__ == "__main__":
    main()
