#!/usr/bin/env python3
"""docs/api.md from aggregator/api/openapi.json (the one source of the API
contract). usage: gen_api_md.py OPENAPI.json > docs/api.md; the unit test
unit_api_test_api_docs fails when docs/api.md differs from the output."""
import json
import sys


def ref_name(r):
    return r.rsplit("/", 1)[-1]


def typ(s, comps):
    if "$ref" in s:
        return "[%s](#%s)" % (ref_name(s["$ref"]), ref_name(s["$ref"]).lower())
    if "allOf" in s:
        return " + ".join(typ(x, comps) for x in s["allOf"])
    t = s.get("type", "object")
    if isinstance(t, list):
        t = " or ".join(t)
    if t == "array":
        return "array of " + typ(s.get("items", {}), comps)
    if "enum" in s:
        return t + " (" + ", ".join("`%s`" % e for e in s["enum"]) + ")"
    return t


def param(p, comps):
    if "$ref" in p:
        p = comps["parameters"][ref_name(p["$ref"])]
    s = p.get("schema", {})
    extra = []
    for k in ("minimum", "maximum", "default", "maxLength"):
        if k in s:
            extra.append("%s %s" % (k, s[k]))
    return "| `%s` | %s | %s | %s | %s |" % (p["name"], p["in"], typ(s, comps),
                                            p.get("description", "").replace("|", "\\|"),
                                            ", ".join(extra))


def main():
    doc = json.load(open(sys.argv[1]))
    comps = doc["components"]
    out = ["# scanfarm-api: the fleet API (v1)", "",
           "Generated from `aggregator/api/openapi.json` by `aggregator/api/gen_api_md.py`; "
           "a unit test fails when this file drifts. The server serves the same document at "
           "`/v1/openapi.json`.", "", doc["info"]["description"], "",
           "Authentication: `Authorization: Bearer <token>` with a token of `--tokens-file`; "
           "without a tokens file the server runs only on a loopback address and asks for "
           "nothing. CORS is off unless `--cors-origin` names an origin. Errors are "
           "`{\"error\":{\"status\",\"code\",\"message\",\"parameter\"}}`.", "",
           "## Endpoints", ""]
    for path, ops in doc["paths"].items():
        op = ops["get"]
        out.append("### `GET %s`" % path)
        out.append("")
        out.append(op["summary"][0].upper() + op["summary"][1:] + ".")
        if op.get("description"):
            out += ["", op["description"]]
        out.append("")
        if op.get("parameters"):
            out += ["| parameter | in | type | description | limits |", "|---|---|---|---|---|"]
            out += [param(p, comps) for p in op["parameters"]]
            out.append("")
        ok = op["responses"]["200"]
        sch = ok.get("content", {}).get("application/json", {}).get("schema", {})
        codes = ", ".join(c for c in op["responses"] if c != "200")
        out.append("Answer: %s%s." % (typ(sch, comps), "; errors " + codes if codes else ""))
        out.append("")
    out += ["## Schemas", ""]
    for name, s in comps["schemas"].items():
        out.append("### %s" % name)
        out.append("")
        if s.get("description"):
            out += [s["description"], ""]
        props, req = {}, set(s.get("required", []))
        for part in s.get("allOf", [s]):
            if "$ref" in part:
                out.append("Everything of [%s](#%s), and:" % (ref_name(part["$ref"]), ref_name(part["$ref"]).lower()))
                out.append("")
            props.update(part.get("properties", {}))
            req |= set(part.get("required", []))
        if props:
            out += ["| field | type | required | description |", "|---|---|---|---|"]
            for k, v in props.items():
                out.append("| `%s` | %s | %s | %s |" % (k, typ(v, comps), "yes" if k in req else "",
                                                     v.get("description", "").replace("|", "\\|")))
        elif "enum" in s:
            out.append(typ(s, comps))
        out.append("")
    sys.stdout.write("\n".join(out).rstrip() + "\n")


if __name__ == "__main__":
    main()
