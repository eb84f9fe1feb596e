#!/usr/bin/env python3
"""One source file for `scanfarm db update`'s conditional-fetch test.

GET /src.json: the first request is answered 503 with Retry-After: 1;
later ones 304 when If-None-Match carries the current ETag, else 200 with
ETag and the body. Each request is logged as a JSON line (time, the
If-None-Match header, the status sent) to --log.

usage: cond_server.py --file F --port-file F --log F
"""
import argparse
import json
import time
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

from nvd_fixture_server import serve  # same folder: on sys.path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    state = {"n": 0}
    log = open(a.log, "a")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            data = open(a.file, "rb").read()
            etag = '"%x-%d"' % (zlib.crc32(data), len(data))
            inm = self.headers.get("If-None-Match")
            state["n"] += 1
            if state["n"] == 1:
                code, body, extra = 503, b"busy", [("Retry-After", "1")]
            elif inm == etag:
                code, body, extra = 304, b"", [("ETag", etag)]
            else:
                code, body, extra = 200, data, [("ETag", etag)]
            log.write(json.dumps({"t": time.time(), "inm": inm, "code": code}) + "\n")
            log.flush()
            self.send_response(code)
            for k, v in extra:
                self.send_header(k, v)
            if code != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    serve(HTTPServer(("127.0.0.1", 0), H), a.port_file)


if __name__ == "__main__":
    main()
