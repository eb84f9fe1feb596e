#!/usr/bin/env python3
"""A local HTTP receiver for scanfarm-notify's integration test.

It records every request and plays three services:
  POST /hook                      a generic webhook
  POST /slack                     a Slack incoming webhook (answers "ok")
  POST /teams                     a Teams Workflows webhook (answers 202)
  /ado/{project}/_apis/wit/...    Azure DevOps work items: wiql, create
                                  ($type, JSON Patch), get, update (JSON Patch)
  /gh/repos/{owner}/{repo}/...    the GitHub Issues REST endpoints the
                                  notifier uses: create, get, list by label
                                  (state, per_page, page), comment, PATCH
Control (not recorded):
  POST /_ctl/fail   {"prefix": "/hook", "statuses": [503, 429], "retry_after": 1}
                    answers the next requests under prefix with these
                    statuses, in order (429 and 403 with Retry-After when
                    retry_after is given; with "ratelimit_reset_in": n instead,
                    GitHub's spent primary limit: X-RateLimit-Remaining 0 and
                    X-RateLimit-Reset n s ahead); {"prefix": ..., "always": 503} for good;
                    {"prefix": ..., "clear": true} back to normal
  GET  /_state      {"requests": [...], "issues": {...}}

Usage: receiver.py PORTFILE   (binds a free loopback port, writes it there)
"""
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
REQUESTS = []          # every recorded request
ISSUES = {}            # number -> issue
ITEMS = {}             # Azure DevOps work item id -> {"id", "fields", "history"}
COMMENTS = {}          # number -> [bodies]
FAIL = {}              # prefix -> {"statuses": [...], "retry_after": n, "always": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, obj=None, headers=None):
        body = b"" if obj is None else (obj if isinstance(obj, bytes) else json.dumps(obj).encode())
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def injected(self, path):
        """A status to fail with (and its headers), or None."""
        for prefix, f in FAIL.items():
            if not path.startswith(prefix):
                continue
            if f.get("always"):
                return f["always"], {}
            if f.get("statuses"):
                code = f["statuses"].pop(0)
                hdr = ({"Retry-After": f["retry_after"]}
                       if code in (403, 429) and "retry_after" in f else {})
                if code in (403, 429) and "ratelimit_reset_in" in f:
                    # GitHub's primary limit: spent, resets in n seconds
                    hdr = {"X-RateLimit-Limit": 5000, "X-RateLimit-Remaining": 0,
                           "X-RateLimit-Reset": int(time.time()) + f["ratelimit_reset_in"]}
                return code, hdr
        return None

    def handle_any(self, method):
        url = urlsplit(self.path)
        raw = self.body()
        if url.path == "/_ctl/fail":
            with LOCK:
                c = json.loads(raw)
                if c.get("clear"):
                    FAIL.pop(c["prefix"], None)
                else:
                    FAIL[c["prefix"]] = c
            return self.reply(200, {})
        if url.path == "/_state":
            with LOCK:
                return self.reply(200, {"requests": REQUESTS, "issues": ISSUES,
                                        "comments": COMMENTS, "items": ITEMS})
        with LOCK:
            inj = self.injected(url.path)
            REQUESTS.append({"method": method, "path": url.path, "query": url.query,
                             "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": raw.decode("utf-8", "replace"),
                             "status": inj[0] if inj else 200, "t": time.time()})
            if inj:
                return self.reply(inj[0], {"message": "injected"}, inj[1])
            if url.path in ("/hook", "/slack"):
                return self.reply(200, b"ok")
            if url.path == "/teams":
                return self.reply(202, b"")
            if url.path.startswith("/ado/"):
                return self.ado(method, url, raw)
            return self.github(method, url, raw)

    def ado(self, method, url, raw):
        import base64
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b":test-pat").decode():
            return self.reply(401, {"message": "unauthorized"})
        if "api-version=7.1" not in url.query:
            return self.reply(400, {"message": "api-version missing"})
        p = url.path
        if re.fullmatch(r"/ado/[^/]+/_apis/wit/wiql", p) and method == "POST":
            tag = re.search(r"CONTAINS '([^']+)'", json.loads(raw)["query"]).group(1)
            hits = [{"id": i} for i, w in sorted(ITEMS.items())
                    if tag in [t.strip() for t in w["fields"]["System.Tags"].split(";")]]
            return self.reply(200, {"queryType": "flat", "workItems": hits})
        patch = self.headers.get("Content-Type") == "application/json-patch+json"
        m = re.fullmatch(r"/ado/[^/]+/_apis/wit/workitems/\$([^/]+)", p)
        if m and method == "POST":
            if not patch:
                return self.reply(415, {"message": "json-patch expected"})
            n = len(ITEMS) + 1
            f = {op["path"][len("/fields/"):]: op["value"] for op in json.loads(raw)}
            f.setdefault("System.State", "New")
            ITEMS[n] = {"id": n, "type": m.group(1), "fields": f, "history": []}
            return self.reply(200, ITEMS[n])
        m = re.fullmatch(r"/ado/[^/]+/_apis/wit/workitems/(\d+)", p)
        if not m or int(m.group(1)) not in ITEMS:
            return self.reply(404, {"message": "not found"})
        w = ITEMS[int(m.group(1))]
        if method == "PATCH":
            if not patch:
                return self.reply(415, {"message": "json-patch expected"})
            for op in json.loads(raw):
                k = op["path"][len("/fields/"):]
                if k == "System.History":
                    w["history"].append(op["value"])
                else:
                    w["fields"][k] = op["value"]
        return self.reply(200, w)

    def github(self, method, url, raw):
        m = re.fullmatch(r"/gh/repos/([^/]+)/([^/]+)/issues(?:/(\d+))?(/comments)?", url.path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        if self.headers.get("Authorization") != "Bearer test-token":
            return self.reply(401, {"message": "Bad credentials"})
        num = int(m.group(3)) if m.group(3) else None
        if num is None and method == "POST":
            d = json.loads(raw)
            n = len(ISSUES) + 1
            ISSUES[n] = {"number": n, "title": d["title"], "body": d.get("body", ""),
                         "labels": [{"name": x} for x in d.get("labels", [])], "state": "open"}
            return self.reply(201, ISSUES[n])
        if num is None and method == "GET":
            q = parse_qs(url.query)
            label = q.get("labels", [""])[0]
            state = q.get("state", ["open"])[0]
            per = int(q.get("per_page", ["30"])[0])
            page = int(q.get("page", ["1"])[0])
            sel = [i for _, i in sorted(ISSUES.items(), reverse=True)
                   if (not label or label in [x["name"] for x in i["labels"]])
                   and (state == "all" or i["state"] == state)]
            return self.reply(200, sel[(page - 1) * per:page * per])
        if num not in ISSUES:
            return self.reply(404, {"message": "Not Found"})
        if m.group(4) and method == "POST":
            COMMENTS.setdefault(num, []).append(json.loads(raw)["body"])
            return self.reply(201, {"id": len(COMMENTS[num]), "body": json.loads(raw)["body"]})
        if method == "PATCH":
            ISSUES[num].update({k: v for k, v in json.loads(raw).items() if k in ("state", "state_reason")})
        return self.reply(200, ISSUES[num])

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
