#!/usr/bin/env bash
# One spelling across the programs, old spellings kept as hidden aliases,
# and every program and command answering --help and --version (exit 0).
#   - coordinator: --platform (old --platforms, SCANFARM_PLATFORMS, config
#     key "platforms"), --insecure-registry HOST marks that registry
#     insecure and no other; --help shows only the new spellings;
#   - scanfarm report/query/status/aggregate/rematch: --key-prefix and
#     SCANFARM_KEY_PREFIX (old --prefix / SCANFARM_PREFIX) reach the same
#     prefix check; scan: --insecure-registry;
#   - scanfarm <cmd> --version, scanfarm db update --help,
#     scanfarm-subscribe --help/--version exit 0 (they exited 64).
set -euo pipefail
: "${SF_BIN:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
C="$SF_BIN/scanfarm-coordinator"
SF="$SF_BIN/scanfarm"
plat() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(",".join(d["platform"]))'; }
[ "$("$C" --platform linux/arm64 --print-config | plat)" = linux/arm64 ]
[ "$("$C" --platforms linux/arm64 --print-config | plat)" = linux/arm64 ]
[ "$(SCANFARM_PLATFORMS=linux/s390x "$C" --print-config | plat)" = linux/s390x ]
[ "$(SCANFARM_PLATFORM=linux/ppc64le SCANFARM_PLATFORMS=linux/s390x "$C" --print-config | plat)" = linux/ppc64le ]
echo '{"platforms": ["linux/386"]}' >"$T/c.json"
[ "$("$C" --config "$T/c.json" --print-config | plat)" = linux/386 ]
"$C" --help >"$T/help"
grep -q -- "--platform LIST" "$T/help"
grep -q -- "--insecure-registry LIST" "$T/help"
if grep -q -- "--platforms" "$T/help"; then echo "FAIL: --help shows --platforms"; exit 1; fi
"$C" --registry https://a.example:5000 --registry https://b.example \
  --insecure-registry a.example:5000 --print-config | python3 -c '
import json, sys
regs = {r["url"]: r["insecure"] for r in json.load(sys.stdin)["registries"]}
assert regs == {"https://a.example:5000": True, "https://b.example": False}, regs'

# the CLI's key prefix: both spellings and both variables reach the check
for args in "--key-prefix" "--prefix"; do
  set +e
  "$SF" report $args 'bad prefix!' >/dev/null 2>"$T/err"; rc=$?
  set -e
  [ "$rc" = 64 ] && grep -q "prefix" "$T/err" || { echo "FAIL: report $args"; cat "$T/err"; exit 1; }
done
for var in SCANFARM_KEY_PREFIX SCANFARM_PREFIX; do
  set +e
  env "$var=bad prefix!" "$SF" query cve CVE-1 >/dev/null 2>"$T/err"; rc=$?
  set -e
  [ "$rc" = 64 ] && grep -q "prefix" "$T/err" || { echo "FAIL: $var"; cat "$T/err"; exit 1; }
done
for cmd in report query status aggregate rematch; do
  grep -q -- "--key-prefix" <<<"$("$SF" $cmd --help)" || { echo "FAIL: $cmd --help lacks --key-prefix"; exit 1; }
done
grep -q -- "--insecure-registry" <<<"$("$SF" scan --help)"
grep -q -- "--key-prefix" <<<"$("$SF_BIN/scanfarm-aggregator" --help)" ||
  { echo "FAIL: scanfarm-aggregator --help lacks --key-prefix"; exit 1; }

# --help and --version everywhere
for c in "scan" "db" "db import" "db update" "db info" "report" "query" "status" "aggregate" "rematch"; do
  for o in --help --version; do
    "$SF" $c $o >/dev/null 2>&1 || { echo "FAIL: scanfarm $c $o exited $?"; exit 1; }
  done
done
grep -q '^scanfarm ' <<<"$("$SF" scan --version)"
for p in scanfarm-coordinator scanfarm-worker scanfarm-aggregator scanfarm-subscribe; do
  for o in --help --version; do
    "$SF_BIN/$p" $o >/dev/null 2>&1 || { echo "FAIL: $p $o exited $?"; exit 1; }
  done
done
echo "spellings and --help/--version: ok"
