#!/usr/bin/env python3
"""A local stand-in for NVD's CVE API 2.0, for `scanfarm db update --nvd` tests.

Serves the corpus's NVD records (one file per CVE) as the API does:
GET <any path ending in /cves/2.0>?lastModStartDate=&lastModEndDate=&startIndex=&resultsPerPage=
returns {"resultsPerPage","startIndex","totalResults","format":"NVD_CVE","version":"2.0",
"timestamp","vulnerabilities":[{"cve":...}]} with the records whose lastModified falls in
the window, sorted by id. It refuses what NVD refuses (a window over 120 days, only one of
the two dates, resultsPerPage over 2000: HTTP 404 like NVD), fails the first request with
503 when --fail-first is given, and serves /osv/record.json (one OSV record). Every request
is logged as one JSON line (time, path, params, apiKey header) to --log.

usage: nvd_fixture_server.py --records DIR --port-file F --log F [--fail-first]
"""
import argparse
import datetime
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OSV = {"id": "GHSA-0000-0000-0001", "aliases": ["CVE-2021-42386"], "modified": "2021-11-15T00:00:00Z",
       "affected": [{"package": {"ecosystem": "Alpine:v3.14", "name": "busybox"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.33.1-r6"}]}]}]}


def parse_date(s):
    s = s.replace("Z", "")
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", action="store_true")
    a = ap.parse_args()
    recs = []
    for name in sorted(os.listdir(a.records)):
        if name.startswith("CVE-") and name.endswith(".json"):
            with open(os.path.join(a.records, name)) as f:
                recs.append(json.load(f))
    recs.sort(key=lambda r: r["id"])
    lock = threading.Lock()
    state = {"failed": not a.fail_first}
    log = open(a.log, "a")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, code, body, extra=()):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            with lock:
                log.write(json.dumps({"t": time.time(), "path": u.path, "q": q,
                                      "apiKey": self.headers.get("apiKey")}) + "\n")
                log.flush()
                api = u.path.endswith("/cves/2.0")
                first_fail = api and not state["failed"]
                state["failed"] = state["failed"] or api
            if u.path == "/osv/record.json":
                return self.send(200, json.dumps(OSV))
            if not u.path.endswith("/cves/2.0"):
                return self.send(404, "{}")
            if first_fail:
                return self.send(503, "{}", [("Retry-After", "0")])
            start, end = q.get("lastModStartDate"), q.get("lastModEndDate")
            if (start is None) != (end is None):
                return self.send(404, "{}")
            per = int(q.get("resultsPerPage", "2000"))
            idx = int(q.get("startIndex", "0"))
            if per > 2000 or per < 1:
                return self.send(404, "{}")
            sel = recs
            if start:
                s, e = parse_date(start), parse_date(end)
                if (e - s).days > 120:
                    return self.send(404, "{}")
                sel = [r for r in recs if s <= parse_date(r["lastModified"]) <= e]
            page = sel[idx:idx + per]
            body = {"resultsPerPage": len(page), "startIndex": idx, "totalResults": len(sel),
                    "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-12-02T00:00:00.000",
                    "vulnerabilities": [{"cve": r} for r in page]}
            self.send(200, json.dumps(body))

    serve(ThreadingHTTPServer(("127.0.0.1", 0), H), a.port_file)


def serve(srv, port_file):
    """Publish srv's port atomically in port_file (the test polls it), serve."""
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
