#!/usr/bin/python3
"""k8s_render: render a kustomization without kubectl, for the subset of
kustomize that deploy/k8s uses, so the structure check runs where kubectl is
not installed (Debian 12's kubernetes-client is 1.20, whose built-in
kustomize is too old for `patches:`). check_k8s.py compares it with
`kubectl kustomize` whenever kubectl is present.

Supported: `resources` (files and directories), `namespace`, `images`
(newName/newTag), `patches` with a `path` to a strategic-merge patch
(including `$patch: delete`), `configMapGenerator` with `behavior: merge`
and `literals`. Anything else raises RenderError rather than rendering
something different from kustomize.
"""
import copy
import os

import yaml

KNOWN = {"apiVersion", "kind", "resources", "namespace", "images", "patches",
         "configMapGenerator"}
# Strategic-merge keys of the list fields these manifests patch.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name",
              "env": "name", "volumeMounts": "mountPath", "ports": "containerPort"}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
                  "StorageClass", "CustomResourceDefinition",
                  "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}


class RenderError(Exception):
    pass


def _load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _key(o):
    return (o.get("kind"), (o.get("metadata") or {}).get("name"))


def _merge(base, patch):
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if k in out and k in MERGE_KEYS and isinstance(v, list):
                out[k] = _merge_list(out[k], v, MERGE_KEYS[k])
            elif k in out:
                out[k] = _merge(out[k], v)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(patch)


def _merge_list(base, patch, key):
    """Items of the patch merge into the base item of the same key; new
    items come first, in the patch's order, as kustomize puts them."""
    out = [copy.deepcopy(x) for x in base]
    new = []
    for item in patch:
        for i, cur in enumerate(out):
            if cur.get(key) == item.get(key):
                out[i] = _merge(cur, item)
                break
        else:
            new.append(copy.deepcopy(item))
    return new + out


def _images(objs, rules):
    def fix(c):
        img = c.get("image", "")
        for r in rules:
            name = r["name"]
            if img == name or img.startswith(name + ":") or img.startswith(name + "@"):
                repo = r.get("newName", name.split(":")[0] if ":" in name else name)
                tag = r.get("newTag")
                if tag is None:
                    rest = img[len(name):]
                    c["image"] = repo + rest
                else:
                    c["image"] = f"{repo}:{tag}"
                return

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("containers", "initContainers") and isinstance(v, list):
                    for c in v:
                        fix(c)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for o in objs:
        walk(o)


def render(d):
    """The objects `kubectl kustomize d` prints (order not kept)."""
    path = os.path.join(d, "kustomization.yaml")
    docs = _load(path)
    if len(docs) != 1:
        raise RenderError(f"{path}: one document expected")
    k = docs[0]
    unknown = set(k) - KNOWN
    if unknown:
        raise RenderError(f"{path}: unsupported fields {sorted(unknown)}")
    objs = []
    for r in k.get("resources") or []:
        p = os.path.join(d, r)
        objs.extend(render(p) if os.path.isdir(p) else _load(p))
    for p in k.get("patches") or []:
        if set(p) != {"path"}:
            raise RenderError(f"{path}: only path patches are supported")
        for patch in _load(os.path.join(d, p["path"])):
            i = next((i for i, o in enumerate(objs) if _key(o) == _key(patch)), None)
            if i is None:
                raise RenderError(f"{path}: patch target {_key(patch)} not found")
            if patch.get("$patch") == "delete":
                del objs[i]
            else:
                objs[i] = _merge(objs[i], patch)
    for g in k.get("configMapGenerator") or []:
        if g.get("behavior") != "merge" or set(g) - {"name", "behavior", "literals"}:
            raise RenderError(f"{path}: only merge generators with literals are supported")
        i = next((i for i, o in enumerate(objs) if _key(o) == ("ConfigMap", g["name"])), None)
        if i is None:
            raise RenderError(f"{path}: ConfigMap {g['name']} to merge into not found")
        data = dict(objs[i].get("data") or {})
        for lit in g.get("literals") or []:
            name, _, value = lit.partition("=")
            data[name] = value
        objs[i]["data"] = data
    _images(objs, k.get("images") or [])
    if k.get("namespace"):
        for o in objs:
            if o.get("kind") not in CLUSTER_SCOPED:
                o.setdefault("metadata", {})["namespace"] = k["namespace"]
    return objs
