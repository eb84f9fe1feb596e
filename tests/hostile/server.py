#!/usr/bin/env python3
"""hostile registry: a registry (OCI distribution API, stdlib only) whose
every repository is one misbehaviour, for tests/hostile/run.

Repository case/<name> is served by the function registered as case <name>:
it answers /v2/case/<name>/manifests/<ref> and /v2/case/<name>/blobs/<digest>
however it likes (trickling, endless, oversized, wrong, redirecting, ...).
GET /__cases lists every case with what the runner must observe:

  expect   "ok" (exit 0) or "error" (exit 2)
  match    text the scanner's stderr must contain (None: any)
  max_s    seconds the scan may take
  max_rss  peak RSS of the scanner in MiB
  fast     part of the CI subset (the rest runs with --all)
  args     extra scanner flags

GET /__prepare/<name> builds what a case serves ahead of the scan (bombs,
10^6 files), so generation time never counts against the scanner.

A new case is one function:

    @case("my-case", expect="error", match="what the user must read")
    def my_case(h, kind, ref):
        if kind == "manifest": ... h.reply(...) / serve_image(h, kind, ref, img)

Usage: server.py [--port N] [--exit-with-stdin]
  --port 0 (default) picks a free port; it prints "ready <port>".
  --exit-with-stdin: exit when stdin reaches EOF, so a test that holds a
  pipe to it never leaves the server behind, even when killed.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
import zlib
from functools import lru_cache
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from fixhttp import QuietHandler, serve  # noqa: E402

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

CASES = {}


def case(name, expect="error", match=None, max_s=10, max_rss=64, fast=True, args=(),
         prepare=None):
    def deco(fn):
        CASES[name] = dict(fn=fn, prepare=prepare, expect=expect, match=match, max_s=max_s,
                           max_rss=max_rss, fast=fast, args=list(args))
        return fn
    return deco


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


# ---- building images ------------------------------------------------------

def tar_of(entries):
    """entries: (path, bytes) files, (path, ("symlink"|"hardlink", target)) links."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for path, what in entries:
            ti = tarfile.TarInfo(path)
            ti.mtime = 0
            if isinstance(what, tuple):
                ti.type = tarfile.SYMTYPE if what[0] == "symlink" else tarfile.LNKTYPE
                ti.linkname = what[1]
                t.addfile(ti)
            else:
                ti.size = len(what)
                t.addfile(ti, io.BytesIO(what))
    return out.getvalue()


OS_RELEASE = b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n'
APK_DB = b"P:musl\nV:1.2.4-r1\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r2\nA:x86_64\no:busybox\n\n"


def base_layer():
    return tar_of([("etc/os-release", OS_RELEASE), ("lib/apk/db/installed", APK_DB)])


class Image:
    """An image of layers given as (compressed bytes, uncompressed bytes, media type)."""

    def __init__(self, layers):
        self.blobs = {}
        cfg = {"architecture": "amd64", "os": "linux",
               "rootfs": {"type": "layers", "diff_ids": [sha(raw) for _, raw, _ in layers]}}
        self.config = json.dumps(cfg).encode()
        self.blobs[sha(self.config)] = self.config
        descs = []
        for comp, _, mt in layers:
            self.blobs[sha(comp)] = comp
            descs.append({"mediaType": mt, "digest": sha(comp), "size": len(comp)})
        self.layer_digests = [d["digest"] for d in descs]
        self.manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MT_MANIFEST,
            "config": {"mediaType": MT_CONFIG, "digest": sha(self.config),
                       "size": len(self.config)},
            "layers": descs}).encode()
        self.digest = sha(self.manifest)


def gz_layer(raw):
    return (gzip.compress(raw, mtime=0), raw, MT_GZIP)


@lru_cache(maxsize=None)
def plain_image():
    return Image([gz_layer(base_layer())])


def serve_image(h, kind, ref, img):
    """Answer as an honest registry holding img (tag: any)."""
    if kind == "manifest":
        if ref.startswith("sha256:") and ref != img.digest:
            return h.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        return h.reply(200, img.manifest, ctype=MT_MANIFEST, digest=img.digest)
    if ref in img.blobs:
        return h.reply(200, img.blobs[ref], ctype="application/octet-stream")
    return h.reply(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')


def zeros_tar_stream(name="big", size=(8 << 30) - 1):
    """A tar header announcing one huge file, then zeros forever."""
    ti = tarfile.TarInfo(name)
    ti.size = size
    yield ti.tobuf(format=tarfile.USTAR_FORMAT)
    chunk = bytes(1 << 20)
    while True:
        yield chunk


def gzip_stream(chunks, level=1):
    """Deflate chunks as one gzip member, lazily (endless input: endless output)."""
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    for ch in chunks:
        out = c.compress(ch)
        if out:
            yield out
    yield c.flush()


@lru_cache(maxsize=None)
def bomb_image(codec, mib):
    """A layer whose one file is mib MiB of zeros: tiny compressed."""
    raw_head = next(zeros_tar_stream(size=mib << 20))
    raw = raw_head + bytes(mib << 20) + bytes(1024)
    if codec == "gzip":
        comp = gzip.compress(raw, compresslevel=9, mtime=0)
        mt = MT_GZIP
    else:
        comp = subprocess.run(["zstd", "-19", "-q", "-c"], input=raw, check=True,
                              stdout=subprocess.PIPE).stdout
        mt = MT_ZSTD
    return Image([(comp, raw, mt)])


@lru_cache(maxsize=None)
def many_files_image(n):
    """n empty files in one layer, headers written directly (tarfile is slow)."""
    t = tarfile.TarInfo("d/0")
    parts = []
    for i in range(n):
        t.name = "d/%d/%d" % (i // 1000, i)
        parts.append(t.tobuf(format=tarfile.USTAR_FORMAT))
    parts.append(bytes(1024))
    raw = b"".join(parts)
    return Image([(gzip.compress(raw, compresslevel=1, mtime=0), raw, MT_GZIP)])


# ---- the handler -----------------------------------------------------------

class H(QuietHandler):
    def reply(self, code, body=b"", ctype="application/json", digest=None, headers=()):
        first = [("Content-Type", ctype)] + ([("Docker-Content-Digest", digest)] if digest else [])
        super().reply(code, body, first + list(headers))

    def head_only(self, code, length=None, ctype="application/octet-stream", headers=()):
        """Status and headers; the body is the caller's to write (or never)."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def trickle(self, data, per_s):
        """Write data at per_s bytes a second (one write each 1/per_s s)."""
        self.head_only(200, len(data))
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1.0 / per_s)
        except OSError:
            pass
        self.close_connection = True

    def endless(self, chunks, ctype="application/octet-stream"):
        """Chunked body from an endless iterator, until the client hangs up."""
        self.head_only(200, None, ctype)
        try:
            for ch in chunks:
                if ch:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(ch), ch))
        except OSError:
            pass
        self.close_connection = True

    def route(self):
        if self.path == "/__cases":
            meta = {k: {m: v for m, v in c.items() if m not in ("fn", "prepare")}
                    for k, c in CASES.items()}
            return self.reply(200, json.dumps(meta).encode())
        if self.path.startswith("/__prepare/") and self.path[11:] in CASES:
            prep = CASES[self.path[11:]]["prepare"]
            if prep:
                prep()
            return self.reply(200, b"{}")
        if self.path == "/v2/" or self.path == "/v2":
            return self.reply(200, b"{}")
        parts = self.path.split("?")[0].split("/")
        # /v2/case/<name>/(manifests|blobs)/<ref>
        if len(parts) == 6 and parts[1] == "v2" and parts[2] == "case" and parts[3] in CASES \
                and parts[4] in ("manifests", "blobs"):
            kind = "manifest" if parts[4] == "manifests" else "blob"
            return CASES[parts[3]]["fn"](self, kind, parts[5])
        return self.reply(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    do_GET = do_HEAD = route


# ---- the cases: item 2 of issue 12 (slow and oversized bodies) --------------

@case("trickle-blob", match="deadline", max_s=8)
def trickle_blob(h, kind, ref):
    """A layer served at 2 bytes/s: above the stall guard, far below any
    sane rate; the deadline (2 s + size at 1 MiB/s here) must end it."""
    img = plain_image()
    if kind == "blob" and ref in img.layer_digests:
        return h.trickle(img.blobs[ref], 2)
    serve_image(h, kind, ref, img)


@case("trickle-config", match="deadline", max_s=10)
def trickle_config(h, kind, ref):
    """The image config served at 2 bytes/s: its deadline is set by the
    config cap (2 s + 4 MiB at 1 MiB/s)."""
    img = plain_image()
    if kind == "blob" and ref == sha(img.config):
        return h.trickle(img.config, 2)
    serve_image(h, kind, ref, img)


@case("endless-config", match="exceeds", max_s=5)
def endless_config(h, kind, ref):
    """An image config that never ends."""
    img = plain_image()
    if kind == "blob" and ref == sha(img.config):
        return h.endless(iter(lambda: b"{" + b" " * 65536, None))
    serve_image(h, kind, ref, img)


def declared_1k_image():
    """The plain image, its layer declared as 1,024 bytes."""
    img = plain_image()
    m = json.loads(img.manifest)
    m["layers"][0]["size"] = 1024
    fake = Image.__new__(Image)
    fake.__dict__.update(img.__dict__)
    fake.manifest = json.dumps(m).encode()
    fake.digest = sha(fake.manifest)
    return fake


@case("endless-blob", match="declared size", max_s=5)
def endless_blob(h, kind, ref):
    """A layer declared as 1,024 bytes served as an endless valid gzip stream."""
    img = declared_1k_image()
    if kind == "blob" and ref in img.layer_digests:
        return h.endless(gzip_stream(zeros_tar_stream()))
    serve_image(h, kind, ref, img)


@case("oversized-blob-length", match="declared size", max_s=5)
def oversized_blob_length(h, kind, ref):
    """A layer declared as 1,024 bytes whose response announces 10 GB."""
    img = declared_1k_image()
    if kind == "blob" and ref in img.layer_digests:
        h.head_only(200, 10 ** 10)
        try:
            for ch in gzip_stream(zeros_tar_stream()):
                h.wfile.write(ch)
        except OSError:
            pass
        h.close_connection = True
        return
    serve_image(h, kind, ref, img)


# ---- item 12: messages -------------------------------------------------------

@case("huge-www-authenticate", match="header too large", max_s=10)
def huge_www_authenticate(h, kind, ref):
    """401 with a 1 MiB WWW-Authenticate: the error must say what was too large."""
    realm = "x" * (1 << 20)
    h.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
            headers=[("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:1/%s"' % realm)])


@case("long-www-authenticate", match="WWW-Authenticate", max_s=5)
def long_www_authenticate(h, kind, ref):
    """401 with an 8 KiB WWW-Authenticate: past what the client keeps (4 KiB)."""
    realm = "x" * 8192
    h.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
            headers=[("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:1/%s"' % realm)])


def index_of(children):
    doc = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": children}).encode()
    return doc, sha(doc)


@case("nested-index", match="nested index", max_s=5)
def nested_index(h, kind, ref):
    """An index whose only child is another index."""
    inner, inner_d = index_of([{"mediaType": MT_MANIFEST, "digest": plain_image().digest,
                                "size": len(plain_image().manifest),
                                "platform": {"os": "linux", "architecture": "amd64"}}])
    outer, outer_d = index_of([{"mediaType": MT_INDEX, "digest": inner_d, "size": len(inner),
                                "platform": {"os": "linux", "architecture": "amd64"}}])
    if kind == "manifest" and ref == inner_d:
        return h.reply(200, inner, ctype=MT_INDEX, digest=inner_d)
    if kind == "manifest" and not ref.startswith("sha256:"):
        return h.reply(200, outer, ctype=MT_INDEX, digest=outer_d)
    serve_image(h, kind, ref, plain_image())


@case("index-child-bad-type", match="another media type", max_s=5)
def index_child_bad_type(h, kind, ref):
    """An index whose child claims to be an HTML page."""
    doc, d = index_of([{"mediaType": "text/html", "digest": plain_image().digest,
                        "size": len(plain_image().manifest),
                        "platform": {"os": "linux", "architecture": "amd64"}}])
    if kind == "manifest" and not ref.startswith("sha256:"):
        return h.reply(200, doc, ctype=MT_INDEX, digest=d)
    serve_image(h, kind, ref, plain_image())


# ---- already bounded before issue 12: kept proven ---------------------------

@case("ok-image", expect="ok", max_s=5)
def ok_image(h, kind, ref):
    """The control: an honest image scans cleanly."""
    serve_image(h, kind, ref, plain_image())


@case("no-packages", expect="ok", max_s=5)
def no_packages(h, kind, ref):
    """A layer without one package source (UBSan: qsort of nothing)."""
    serve_image(h, kind, ref, empty_image())


@lru_cache(maxsize=None)
def empty_image():
    return Image([gz_layer(tar_of([("README", b"nothing here\n")]))])


@case("manifest-100mb", match="size cap", max_s=5)
def manifest_100mb(h, kind, ref):
    """A manifest announced as 100 MB (then trickled)."""
    if kind == "manifest":
        h.head_only(200, 100 << 20, MT_MANIFEST)
        try:
            while True:
                h.wfile.write(b" " * 65536)
                time.sleep(0.05)
        except OSError:
            pass
        h.close_connection = True
        return
    serve_image(h, kind, ref, plain_image())


@case("manifest-endless", match="size cap", max_s=10)
def manifest_endless(h, kind, ref):
    """A manifest that never ends (chunked whitespace)."""
    if kind == "manifest":
        return h.endless(iter(lambda: b"{" + b" " * 65536, None), MT_MANIFEST)
    serve_image(h, kind, ref, plain_image())


def many_layers(h, kind, ref, n):
    """The plain image with its one layer listed n times."""
    img = plain_image()
    m = json.loads(img.manifest)
    m["layers"] = m["layers"] * n
    body = json.dumps(m).encode()
    if kind == "manifest":
        return h.reply(200, body, ctype=MT_MANIFEST, digest=sha(body))
    serve_image(h, kind, ref, img)


@case("layers-600", match="layers", max_s=5)
def layers_600(h, kind, ref):
    """600 layers: past SF_LIM_IMAGE_LAYERS (512)."""
    many_layers(h, kind, ref, 600)


@case("layers-1e5", max_s=10, fast=False)
def layers_1e5(h, kind, ref):
    """10^5 layer descriptors: the manifest is past its cap."""
    many_layers(h, kind, ref, 100000)


@case("wrong-digest-manifest", match="digest", max_s=5)
def wrong_digest_manifest(h, kind, ref):
    """Docker-Content-Digest that is not the body's."""
    img = plain_image()
    if kind == "manifest":
        return h.reply(200, img.manifest, ctype=MT_MANIFEST, digest=sha(b"other"))
    serve_image(h, kind, ref, img)


@case("wrong-digest-blob", match="digest", max_s=5)
def wrong_digest_blob(h, kind, ref):
    """A layer whose bytes are another valid layer's."""
    img = plain_image()
    if kind == "blob" and ref in img.layer_digests:
        other = gzip.compress(tar_of([("etc/os-release", b"ID=evil\n")]), mtime=0)
        return h.reply(200, other, ctype="application/octet-stream")
    serve_image(h, kind, ref, img)


@case("redirect-loop", match="redirect", max_s=5)
def redirect_loop(h, kind, ref):
    """Every blob GET redirects to itself."""
    if kind == "blob":
        return h.reply(307, b"", headers=[("Location", h.path)])
    serve_image(h, kind, ref, plain_image())


@case("429-huge-retry-after", match="429", max_s=10)
def too_many_requests(h, kind, ref):
    """429 with Retry-After of 11 days, forever."""
    h.reply(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}', headers=[("Retry-After", "999999")])


@case("deep-json", max_s=5)
def deep_json(h, kind, ref):
    """A manifest nested 100,000 arrays deep."""
    if kind == "manifest":
        return h.reply(200, b"[" * 100000 + b"]" * 100000, ctype=MT_MANIFEST)
    serve_image(h, kind, ref, plain_image())


@case("gzip-bomb", match="limit", max_s=30, fast=False, prepare=lambda: bomb_image("gzip", 256))
def gzip_bomb(h, kind, ref):
    """256 MiB of zeros in a 250 KB gzip layer."""
    serve_image(h, kind, ref, bomb_image("gzip", 256))


@case("zstd-bomb", match="limit", max_s=30, fast=False, prepare=lambda: bomb_image("zstd", 256))
def zstd_bomb(h, kind, ref):
    """256 MiB of zeros in a few KB of zstd."""
    serve_image(h, kind, ref, bomb_image("zstd", 256))


@case("files-1e6", expect="ok", max_s=180, fast=False,
      prepare=lambda: many_files_image(1000000))
def files_1e6(h, kind, ref):
    """10^6 empty files in one layer: walked with bounded memory."""
    serve_image(h, kind, ref, many_files_image(1000000))


@lru_cache(maxsize=None)
def tricks_image():
    return Image([gz_layer(base_layer()), gz_layer(tar_of([
        ("../../../../tmp/sf-hostile-traversal", b"pwned\n"),
        ("/tmp/sf-hostile-absolute", b"pwned\n"),
        ("a/../../../tmp/sf-hostile-dotdot", b"pwned\n"),
        # The host's own files must never be read through a layer's links.
        ("etc/os-release", ("symlink", "../../../../../../etc/os-release")),
        ("lib/apk/db/installed", ("symlink", "/etc/shadow")),
        ("loop/a", ("symlink", "b")),
        ("loop/b", ("symlink", "a")),
        ("etc/alpine-release", ("hardlink", "../../../etc/hostname")),
    ]))])


@case("traversal-and-symlinks", expect="ok", max_s=5)
def traversal_and_symlinks(h, kind, ref):
    """Paths escaping the root and links to host files or in loops."""
    serve_image(h, kind, ref, tricks_image())


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Scanners hang up on hostile bodies: that is the point, not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def nested_jar(depth):
    """A jar holding a jar holding ... depth levels, each with a pom.properties."""
    inner = b""
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("META-INF/maven/org.example/lib%d/pom.properties" % level,
                       "groupId=org.example\nartifactId=lib%d\nversion=1.%d\n" % (level, level))
            if inner:
                z.writestr("lib/inner%d.jar" % level, inner)
        inner = buf.getvalue()
    return inner


@lru_cache(maxsize=None)
def jars_image():
    return Image([gz_layer(base_layer()),
                  gz_layer(tar_of([("app/deep.jar", nested_jar(12))]))])


@case("nested-jars", expect="ok", max_s=5)
def nested_jars(h, kind, ref):
    """A jar nested 12 deep (past SF_LIM_JAR_DEPTH): bounded, no crash."""
    serve_image(h, kind, ref, jars_image())


def bad_elves():
    """ELF files whose headers point past their end or overflow."""
    hdr = bytearray(64)
    hdr[0:4] = b"\x7fELF"
    hdr[4], hdr[5], hdr[6] = 2, 1, 1             # 64-bit, little endian, version 1
    hdr[16:18] = (2).to_bytes(2, "little")       # ET_EXEC
    hdr[18:20] = (62).to_bytes(2, "little")      # x86-64
    huge = bytearray(hdr)
    huge[40:48] = (2 ** 63).to_bytes(8, "little")  # e_shoff past any file
    huge[58:60] = (64).to_bytes(2, "little")       # e_shentsize
    huge[60:62] = (65535).to_bytes(2, "little")    # e_shnum
    huge[62:64] = (65534).to_bytes(2, "little")    # e_shstrndx
    wrap = bytearray(huge)
    wrap[40:48] = (2 ** 64 - 32).to_bytes(8, "little")  # offset + size wraps
    return [("usr/bin/truncated", bytes(hdr[:20])), ("usr/bin/huge-shoff", bytes(huge)),
            ("usr/bin/wrapping", bytes(wrap) + b"\x00" * 64),
            ("usr/local/bin/gobin", bytes(huge) + b"\xff Go buildinf:" + b"\xff" * 32)]


@lru_cache(maxsize=None)
def elves_image():
    return Image([gz_layer(base_layer()), gz_layer(tar_of(bad_elves()))])


@case("malformed-elf", expect="ok", max_s=5)
def malformed_elf(h, kind, ref):
    """Binaries whose ELF headers lie: skipped, never read out of bounds."""
    serve_image(h, kind, ref, elves_image())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--exit-with-stdin", action="store_true")
    a = ap.parse_args()
    if a.exit_with_stdin:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    srv = Server(("127.0.0.1", a.port), H)
    return serve(srv, "ready %d" % srv.server_address[1])


if __name__ == "__main__":
    sys.exit(main())
