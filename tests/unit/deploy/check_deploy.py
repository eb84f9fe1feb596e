#!/usr/bin/python3
"""check_deploy: the deploy files must not rot.

Every YAML file under deploy/ must parse; every scanfarm flag, environment
variable and port that the compose file and the Kubernetes manifests pass
must be an option of the program that receives it (read from the built
programs' own --help, which is generated from their option tables); the
KEDA trigger must name the workers' real consumer group and jobs topic;
every path the Dockerfile copies must exist (sources in the repo, programs
in the build). Exit status 1 with one line per problem.

Usage: check_deploy.py <repo root> <bin dir>
"""
import os
import re
import shlex
import subprocess
import sys

import yaml

REPO, BIN = sys.argv[1], sys.argv[2]
problems = []
checked = {"files": 0, "flags": 0, "env": 0}


def bad(msg):
    problems.append(msg)


def help_text(argv):
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return out.stdout + out.stderr


def options_of(argv):
    text = help_text(argv)
    flags = set(re.findall(r"(--[a-z][a-z0-9-]*)", text))
    envs = set(re.findall(r"\b(SCANFARM_[A-Z0-9_]+)\b", text))
    if "SCANFARM_* environment variable" in text:
        # the worker's help states the rule instead of listing each name:
        # --metrics-port <-> SCANFARM_METRICS_PORT (see docs/worker-config.md)
        envs |= {"SCANFARM_" + f[2:].upper().replace("-", "_") for f in flags
                 if f not in ("--help", "--version", "--print-config")}
    return {"flags": flags, "env": envs, "text": text}


PROGRAMS = {
    "scanfarm-worker": options_of([os.path.join(BIN, "scanfarm-worker"), "--help"]),
    "scanfarm-coordinator": options_of([os.path.join(BIN, "scanfarm-coordinator"), "--help"]),
    "scanfarm-inventory": options_of([os.path.join(BIN, "scanfarm-inventory"), "--help"]),
    "scanfarm-aggregator": options_of([os.path.join(BIN, "scanfarm-aggregator"), "--help"]),
    "scanfarm aggregate": options_of([os.path.join(BIN, "scanfarm"), "aggregate", "--help"]),
    "scanfarm db import": options_of([os.path.join(BIN, "scanfarm"), "db", "import", "--help"]),
    "scanfarm db update": options_of([os.path.join(BIN, "scanfarm"), "db", "update", "--help"]),
    "scanfarm db info": options_of([os.path.join(BIN, "scanfarm"), "db", "info", "--help"]),
}
for name, opts in PROGRAMS.items():
    if not opts["flags"]:
        bad(f"{name} --help lists no options")


def program_of(tokens):
    """The scanfarm program a command line runs, or None."""
    for i, t in enumerate(tokens):
        base = os.path.basename(t)
        if base in ("scanfarm-worker", "scanfarm-coordinator", "scanfarm-inventory",
                    "scanfarm-aggregator"):
            return base, tokens[i + 1:]
        if base == "scanfarm" and i + 1 < len(tokens):
            sub = tokens[i + 1]
            if sub == "db" and i + 2 < len(tokens):
                return f"scanfarm db {tokens[i + 2]}", tokens[i + 3:]
            return f"scanfarm {sub}", tokens[i + 2:]
    return None, []


def tokens_of(cmd):
    if cmd is None:
        return []
    if isinstance(cmd, str):
        return shlex.split(cmd)
    toks = []
    for c in cmd:
        # `sh -c "..."` scripts: split the script too
        toks.extend(shlex.split(c) if " " in str(c) else [str(c)])
    return toks


def check_flags(where, prog, rest):
    if prog not in PROGRAMS:
        bad(f"{where}: runs unknown program '{prog}'")
        return
    for t in rest:
        if t.startswith("--"):
            flag = t.split("=", 1)[0]
            checked["flags"] += 1
            if flag not in PROGRAMS[prog]["flags"]:
                bad(f"{where}: {prog} has no option {flag}")


def check_env(where, progs, names):
    for n in names:
        if not n.startswith("SCANFARM_"):
            continue
        checked["env"] += 1
        if not any(n in PROGRAMS[p]["env"] for p in progs if p in PROGRAMS):
            bad(f"{where}: {n} is read by none of {sorted(progs)}")


def load_all(path):
    checked["files"] += 1
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        bad(f"{path}: does not parse: {e}")
        return []


def check_compose(path):
    for doc in load_all(path):
        anchors = {}
        for name, svc in (doc.get("services") or {}).items():
            toks = tokens_of(svc.get("command"))
            prog, rest = program_of(toks)
            if prog is None:
                continue
            where = f"{os.path.relpath(path, REPO)}:{name}"
            check_flags(where, prog, rest)
            env = svc.get("environment") or {}
            names = env.keys() if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]
            check_env(where, [prog], names)
            # `compose exec <service> scanfarm report|query|status` must find
            # the stack: every long-running scanfarm service carries its address
            if svc.get("restart", "no") != "no" and \
                    not {"SCANFARM_REDIS", "SCANFARM_KAFKA"} <= set(names):
                bad(f"{where}: no SCANFARM_REDIS / SCANFARM_KAFKA in its environment")
        for name, svc in (doc.get("services") or {}).items():
            check_compose_writes(f"{os.path.relpath(path, REPO)}:{name}", svc)


def dockerfile_stage_installs(stage):
    """Packages the Dockerfile's stage `stage` installs with apt-get."""
    text = open(os.path.join(REPO, "deploy", "docker", "Dockerfile")).read()
    m = re.search(r"^FROM\s+\S+\s+AS\s+" + re.escape(stage) + r"\s*$(.*?)(?=^FROM|\Z)", text,
                  re.M | re.S)
    if not m:
        return None
    pkgs = set()
    for inst in re.findall(r"apt-get install ([^&]*)", m.group(1).replace("\\\n", " ")):
        pkgs |= {w for w in inst.split() if not w.startswith("-")}
    return pkgs


def check_compose_writes(where, svc):
    """push-corpus needs the zstd CLI and writes its cache and its image
    list: they must go to a writable place, never under a read-only mount."""
    toks = tokens_of(svc.get("command"))
    if not any(os.path.basename(t) == "push-corpus" for t in toks):
        return
    target = (svc.get("build") or {}).get("target")
    pkgs = dockerfile_stage_installs(target) if target else None
    if pkgs is None or "zstd" not in pkgs:
        bad(f"{where}: runs push-corpus in an image without zstd "
            f"(not built from a Dockerfile stage that installs it)")
    ro = [v.split(":")[1] for v in svc.get("volumes") or []
          if isinstance(v, str) and v.endswith(":ro")]
    opts = dict(zip(toks, toks[1:]))
    for flag in ("--list", "--cache"):
        dest = opts.get(flag)
        if dest is None:
            bad(f"{where}: push-corpus without {flag} writes under its own checkout")
        elif any(dest == r or dest.startswith(r.rstrip("/") + "/") for r in ro):
            bad(f"{where}: push-corpus {flag} {dest} is on a read-only mount")


def containers(doc):
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return (pod.get("initContainers") or []) + (pod.get("containers") or [])


def check_k8s(paths):
    configmaps, consumers, docs = {}, {}, []
    for p in paths:
        for doc in load_all(p):
            docs.append((p, doc))
            if doc.get("kind") == "ConfigMap":
                configmaps[doc["metadata"]["name"]] = (p, doc.get("data") or {})
    worker_args = []
    for p, doc in docs:
        for c in containers(doc):
            toks = tokens_of(c.get("command")) + tokens_of(c.get("args"))
            prog, rest = program_of(toks)
            if prog is None:
                continue
            where = f"{os.path.relpath(p, REPO)}:{c.get('name')}"
            check_flags(where, prog, rest)
            check_env(where, [prog], [e["name"] for e in c.get("env") or []])
            if prog == "scanfarm-worker":
                worker_args = rest
                port = dict(zip(rest, rest[1:])).get("--metrics-port", "9100")
                ports = {str(x.get("containerPort")) for x in c.get("ports") or []}
                if port not in ports:
                    bad(f"{where}: metrics port {port} is not a containerPort {sorted(ports)}")
                ann = ((doc.get("spec") or {}).get("template", {}).get("metadata", {})
                       .get("annotations") or {})
                if ann.get("prometheus.io/port", port) != port:
                    bad(f"{where}: prometheus.io/port {ann.get('prometheus.io/port')} != {port}")
            for ef in c.get("envFrom") or []:
                ref = (ef.get("configMapRef") or {}).get("name")
                if ref:
                    consumers.setdefault(ref, set()).add(prog)
    for name, (p, data) in configmaps.items():
        check_env(f"{os.path.relpath(p, REPO)}:{name}", consumers.get(name, set()), data.keys())
    wtext = PROGRAMS["scanfarm-worker"]["text"]
    args = dict(zip(worker_args, worker_args[1:]))
    for p, doc in docs:
        if doc.get("kind") != "ScaledObject":
            continue
        for trig in (doc.get("spec") or {}).get("triggers") or []:
            md = trig.get("metadata") or {}
            group = args.get("--group")
            if group is None and md.get("consumerGroup") not in wtext:
                bad(f"{p}: KEDA consumerGroup {md.get('consumerGroup')} is not the workers' group")
            if md.get("topic") not in wtext and md.get("topic") != args.get("--jobs-topic"):
                bad(f"{p}: KEDA topic {md.get('topic')} is not the workers' jobs topic")


def check_dockerfile(path):
    copied = set()
    for line in open(path):
        m = re.match(r"^\s*COPY\s+(.*)$", line)
        if not m:
            continue
        words = m.group(1).split()
        opts = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")][:-1]
        if any(o.startswith("--from=") for o in opts):
            for src in paths:
                rel = re.sub(r"^/src/build/bin/", "", src)
                if rel == src:
                    bad(f"{path}: unexpected build path {src}")
                elif not os.path.exists(os.path.join(BIN, rel)):
                    bad(f"{path}: copies {src}, which the build does not produce")
        else:
            for src in paths:
                copied.add(src.rstrip("/"))
                if not os.path.exists(os.path.join(REPO, src)):
                    bad(f"{path}: copies {src}, which is not in the repository")
    # configure needs every folder the top-level CMakeLists.txt adds
    for sub in re.findall(r"^\s*add_subdirectory\((\S+?)\)", open(os.path.join(REPO,
                          "CMakeLists.txt")).read(), re.M):
        if sub not in copied:
            bad(f"{path}: does not copy {sub}/, which CMakeLists.txt adds (configure fails)")


compose = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(REPO, "deploy", "compose"))
           for f in fs if f.endswith((".yaml", ".yml"))]
k8s = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(REPO, "deploy", "k8s"))
       for f in fs if f.endswith((".yaml", ".yml"))]
for p in compose:
    check_compose(p)
base = [p for p in k8s if "/base/" in p]
check_k8s(base)
for overlay in sorted({os.path.dirname(p) for p in k8s if "/overlays/" in p}):
    check_k8s(base + [p for p in k8s if os.path.dirname(p) == overlay])
check_dockerfile(os.path.join(REPO, "deploy", "docker", "Dockerfile"))

for p in problems:
    print("deploy drift:", p)
print(f"checked {checked['files']} YAML files, {checked['flags']} flags, "
      f"{checked['env']} environment settings: {len(problems)} problems")
sys.exit(1 if problems else 0)
