#!/usr/bin/python3
"""check_k8s: structure of the rendered Kubernetes objects.

Renders deploy/k8s/base and every overlay (with `kubectl kustomize` when
kubectl is installed, else with k8s_render.py, a renderer of the kustomize
subset these files use; with kubectl present both run and must agree) and
checks every rendered object:

  - at most one autoscaler (HPA or KEDA ScaledObject) per Deployment, and
    each autoscaler's target exists;
  - every pod volume is filled or declared optional: Secrets/ConfigMaps
    exist with the keys mounted, a PVC exists, and a PVC some container
    mounts read-only is written by another container (a Job, CronJob or
    init container) - an empty volume nothing fills is a crash loop;
  - every environment variable reaches the container that reads it: each
    SCANFARM_* a container gets (env, envFrom) is an option of the program
    it runs and no flag on its command line overrides it; every
    ConfigMap/Secret it loads exists; every $(VAR) it uses is defined;
  - every long-running container (Deployment, StatefulSet, DaemonSet) has a
    liveness and a readiness probe whose port is one of its ports.

Usage: check_k8s.py <repo root> <bin dir>. Exit 1 with one line per problem.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8s_render  # noqa: E402

REPO, BIN = sys.argv[1], sys.argv[2]
problems = []
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def env_map(argv):
    """SCANFARM_* variable -> flag (or None) a program's --help names."""
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    envs, flag = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s+(--[a-z0-9-]+)", line)
        if m:
            flag = m.group(1)
        for e, f in re.findall(r"\b(SCANFARM_[A-Z0-9_]+)\b(?: \((--[a-z0-9-]+))?", line):
            envs.setdefault(e, f or flag)
    if "SCANFARM_* environment variable" in text:
        for f in re.findall(r"^\s+(--[a-z][a-z0-9-]*)", text, re.M):
            if f not in ("--help", "--version", "--print-config"):
                envs.setdefault("SCANFARM_" + f[2:].upper().replace("-", "_"), f)
    return envs


def bin_path(name):
    return os.path.join(BIN, name)


PROGRAMS = {
    "scanfarm-worker": env_map([bin_path("scanfarm-worker"), "--help"]),
    "scanfarm-coordinator": env_map([bin_path("scanfarm-coordinator"), "--help"]),
    "scanfarm-aggregator": env_map([bin_path("scanfarm-aggregator"), "--help"]),
    "scanfarm aggregate": env_map([bin_path("scanfarm"), "aggregate", "--help"]),
    "scanfarm db update": env_map([bin_path("scanfarm"), "db", "update", "--help"]),
    "scanfarm db info": env_map([bin_path("scanfarm"), "db", "info", "--help"]),
}


def program_of(c):
    toks = []
    for part in (c.get("command") or []) + (c.get("args") or []):
        toks.extend(shlex.split(part) if " " in str(part) else [str(part)])
    for i, t in enumerate(toks):
        base = os.path.basename(t)
        if base in ("scanfarm-worker", "scanfarm-coordinator", "scanfarm-aggregator"):
            return base, toks[i + 1:]
        if base == "scanfarm" and i + 1 < len(toks):
            if toks[i + 1] == "db" and i + 2 < len(toks):
                return "scanfarm db " + toks[i + 2], toks[i + 3:]
            return "scanfarm " + toks[i + 1], toks[i + 2:]
    return None, toks


def pod_of(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec")


def index(objs):
    return {(o.get("kind"), (o.get("metadata") or {}).get("name")): o for o in objs}


def check_autoscalers(where, objs, idx):
    per = {}
    for o in objs:
        ref = (o.get("spec") or {}).get("scaleTargetRef") or {}
        if o.get("kind") not in ("HorizontalPodAutoscaler", "ScaledObject"):
            continue
        target = (ref.get("kind", "Deployment"), ref.get("name"))
        per.setdefault(target, []).append(f"{o['kind']}/{o['metadata']['name']}")
        if target not in idx:
            bad(where, f"{o['kind']}/{o['metadata']['name']} scales {target[0]}/{target[1]}, "
                       "which is not rendered")
    for target, scalers in per.items():
        if len(scalers) > 1:
            bad(where, f"{target[0]}/{target[1]} has {len(scalers)} autoscalers: {scalers}")


def writers_of(objs):
    """PVC claim names some container mounts writable."""
    out = set()
    for o in objs:
        pod = pod_of(o)
        if not pod:
            continue
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
                  for v in pod.get("volumes") or [] if "persistentVolumeClaim" in v}
        for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            for m in c.get("volumeMounts") or []:
                if m["name"] in claims and not m.get("readOnly"):
                    out.add(claims[m["name"]])
    return out


def check_volumes(where, pod, idx, writers):
    mounted_ro = {}
    for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        for m in c.get("volumeMounts") or []:
            mounted_ro.setdefault(m["name"], True)
            mounted_ro[m["name"]] &= bool(m.get("readOnly"))
    for v in pod.get("volumes") or []:
        name = v["name"]
        for kind, key, ref in (("Secret", "secret", "secretName"),
                               ("ConfigMap", "configMap", "name")):
            src = v.get(key)
            if src is None or src.get("optional"):
                continue
            obj = idx.get((kind, src.get(ref)))
            if obj is None:
                bad(where, f"volume {name}: {kind} {src.get(ref)} is not rendered "
                           "(and not optional)")
                continue
            keys = set((obj.get("data") or {}).keys()) | set((obj.get("stringData") or {}).keys())
            for it in src.get("items") or []:
                if it["key"] not in keys:
                    bad(where, f"volume {name}: {kind} {src.get(ref)} has no key {it['key']}")
        pvc = v.get("persistentVolumeClaim")
        if pvc:
            claim = pvc["claimName"]
            if ("PersistentVolumeClaim", claim) not in idx:
                bad(where, f"volume {name}: PVC {claim} is not rendered")
            elif mounted_ro.get(name) and claim not in writers:
                bad(where, f"volume {name}: PVC {claim} is mounted read-only and nothing "
                           "writes it")
        if name not in mounted_ro:
            bad(where, f"volume {name} is mounted by no container")


def check_env(where, c, idx):
    prog, rest = program_of(c)
    names = {e["name"]: "env" for e in c.get("env") or []}
    for ef in c.get("envFrom") or []:
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = ef.get(key)
            if not ref:
                continue
            obj = idx.get((kind, ref.get("name")))
            if obj is None:
                if not ref.get("optional"):
                    bad(where, f"envFrom {kind} {ref.get('name')} is not rendered")
                continue
            for k in (obj.get("data") or {}).keys() | (obj.get("stringData") or {}).keys():
                names[k] = f"{kind} {ref['name']}"
    text = " ".join(str(x) for x in (c.get("command") or []) + (c.get("args") or []))
    for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\{?([A-Z_][A-Z0-9_]*)", text):
        var = var[0] or var[1]
        if var.startswith("SCANFARM_") and var not in names:
            bad(where, f"uses ${var}, which its environment does not define")
    if prog is None:
        return
    reads = PROGRAMS.get(prog)
    if reads is None:
        bad(where, f"runs {prog}, which this check does not know")
        return
    # a flag overrides the variable unless its value is that variable
    flags = {t.split("=", 1)[0]: (rest[i + 1] if "=" not in t and i + 1 < len(rest) else
                                  t.partition("=")[2])
             for i, t in enumerate(rest) if t.startswith("--")}
    for var, src in sorted(names.items()):
        if not var.startswith("SCANFARM_"):
            continue
        if var not in reads:
            bad(where, f"{var} (from {src}) is not read by {prog}")
        elif reads[var] in flags and flags[reads[var]].strip("${}") != var:
            bad(where, f"{var} (from {src}) is overridden by {reads[var]} on the command line")


def check_probes(where, c):
    ports = {str(p.get("containerPort")) for p in c.get("ports") or []}
    ports |= {p.get("name") for p in c.get("ports") or [] if p.get("name")}
    for probe in ("livenessProbe", "readinessProbe"):
        p = c.get(probe)
        if not p:
            bad(where, f"long-running container has no {probe}")
            continue
        port = (p.get("httpGet") or p.get("tcpSocket") or {}).get("port")
        if port is not None and str(port) not in ports:
            bad(where, f"{probe} port {port} is not one of its ports {sorted(ports)}")


def check(where, objs):
    idx = index(objs)
    check_autoscalers(where, objs, idx)
    writers = writers_of(objs)
    for o in objs:
        pod = pod_of(o)
        if not pod:
            continue
        w = f"{where}:{o['kind']}/{o['metadata']['name']}"
        check_volumes(w, pod, idx, writers)
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            check_env(f"{w}/{c['name']}", c, idx)
        if o["kind"] in LONG_RUNNING:
            for c in pod.get("containers") or []:
                check_probes(f"{w}/{c['name']}", c)


def render_kubectl(path):
    out = subprocess.run(["kubectl", "kustomize", path], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def canon(objs):
    return sorted(yaml.safe_dump(o, sort_keys=True) for o in objs)


def main():
    root = os.path.join(REPO, "deploy", "k8s")
    dirs = [os.path.join(root, "base")]
    over = os.path.join(root, "overlays")
    dirs += sorted(os.path.join(over, d) for d in os.listdir(over))
    kubectl = shutil.which("kubectl")
    for d in dirs:
        where = os.path.relpath(d, REPO)
        try:
            objs = k8s_render.render(d)
        except k8s_render.RenderError as e:
            bad(where, f"does not render: {e}")
            continue
        if kubectl:
            try:
                ref = render_kubectl(d)
            except RuntimeError as e:
                bad(where, f"kubectl kustomize fails: {e}")
                continue
            if canon(ref) != canon(objs):
                bad(where, "k8s_render.py and kubectl kustomize disagree")
                objs = ref
        check(where, objs)
        print(f"{where}: {len(objs)} objects", "(kubectl and k8s_render.py agree)"
              if kubectl else "(k8s_render.py; kubectl not installed)")
    for p in problems:
        print("k8s structure:", p)
    print(f"{len(dirs)} kustomizations: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
