#!/usr/bin/env python3
"""docs_drift: every docs/*-config.md against the program it documents.

Each reference holds, between `<!-- generated: ... -->` and
`<!-- end generated -->`, exactly what `<program> --print-docs` prints (the
option engine, common/base/opt.h); the text around the block is written by
hand. Check mode fails (exit 1, one line per drifted doc) when a block
differs or a program has no doc; --write regenerates the blocks (and
creates a missing doc with a title).

usage: docs_drift.py SRC_DIR BIN_DIR [--write]
"""
import os
import re
import subprocess
import sys

SRC, BIN = sys.argv[1], sys.argv[2]
WRITE = "--write" in sys.argv[3:]

# doc name -> argv after BIN/ ; one per program and per `scanfarm` command
DOCS = {
    "coordinator": ["scanfarm-coordinator"],
    "worker": ["scanfarm-worker"],
    "aggregator": ["scanfarm-aggregator"],
    "inventory": ["scanfarm-inventory"],
    "notify": ["scanfarm-notify"],
    "api": ["scanfarm-api"],
    "admission": ["scanfarm-admission"],
    "cli-scan": ["scanfarm", "scan"],
    "cli-db-import": ["scanfarm", "db", "import"],
    "cli-db-update": ["scanfarm", "db", "update"],
    "cli-db-info": ["scanfarm", "db", "info"],
    "cli-report": ["scanfarm", "report"],
    "cli-query": ["scanfarm", "query"],
    "cli-status": ["scanfarm", "status"],
    "cli-aggregate": ["scanfarm", "aggregate"],
    "cli-rematch": ["scanfarm", "rematch"],
}
BLOCK = re.compile(r"<!-- generated:.*?<!-- end generated -->\n", re.S)


def generated(argv):
    p = subprocess.run([os.path.join(BIN, argv[0])] + argv[1:] + ["--print-docs"],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or not p.stdout.startswith("<!-- generated:"):
        raise RuntimeError(f"{' '.join(argv)} --print-docs exited {p.returncode}: "
                           f"{p.stderr.strip()[:200]}")
    return p.stdout


def main():
    problems = []
    for name, argv in DOCS.items():
        path = os.path.join(SRC, "docs", f"{name}-config.md")
        try:
            want = generated(argv)
        except (RuntimeError, OSError) as e:
            problems.append(str(e))
            continue
        text = open(path).read() if os.path.exists(path) else None
        have = BLOCK.search(text) if text else None
        if have and have.group(0) == want:
            continue
        if not WRITE:
            problems.append(f"docs/{name}-config.md drifted from `{' '.join(argv)} --print-docs`"
                            f" (regenerate: python3 {sys.argv[0]} SRC BIN --write)")
            continue
        if text is None:
            text = f"# `{' '.join(argv)}` options\n\n{want}"
        elif have:
            text = text[:have.start()] + want + text[have.end():]
        else:
            text = text.rstrip("\n") + "\n\n" + want
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote docs/{name}-config.md")
    for p in problems:
        print(p)
    if not problems:
        print(f"docs: {len(DOCS)} references match their programs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
