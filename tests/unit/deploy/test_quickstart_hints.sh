#!/usr/bin/env bash
# The quickstart must build every program it runs (a fresh clone has no
# others), and its closing "Next:" hints must work on a stack on other
# ports: every scanfarm command they print that reads the fleet view
# (query, status, report) names the stack's Redis, and the coordinator run
# gets --redis so `status --run` knows the run's total. Each hinted
# command's flags must also be options of that command (its --help).
set -euo pipefail
: "${SF_SRC:?}" "${SF_BIN:?}"
exec /usr/bin/python3 - "$SF_SRC/deploy/local/quickstart" "$SF_BIN" <<'PY'
import re, subprocess, sys
text = open(sys.argv[1]).read()
bin_dir = sys.argv[2]
problems = []
block = text[text.index("Next:"):text.index("EOT", text.index("Next:"))]
hints = re.findall(r"\$BIN/scanfarm (\w+)([^\n]*)", block)
if not hints:
    problems.append("no scanfarm hints found after Next:")
for cmd, rest in hints:
    if cmd in ("query", "status", "report") and "--redis $REDIS" not in rest:
        problems.append(f"hint 'scanfarm {cmd}{rest}' lacks --redis $REDIS")
    help_text = subprocess.run([f"{bin_dir}/scanfarm", cmd, "--help"], capture_output=True,
                               text=True).stdout
    for flag in re.findall(r"(--[a-z][a-z-]*)", rest):
        if flag not in help_text:
            problems.append(f"hint 'scanfarm {cmd}' uses {flag}, not an option of it")
coord = re.search(r'"\$BIN/scanfarm-coordinator" --once(.*?)>"\$QS/coordinator.log"', text, re.S)
if not coord or '--redis "$REDIS"' not in coord.group(1):
    problems.append("the quickstart's coordinator runs without --redis: status --run has no total")
sub = re.search(r"scanfarm-subscribe -b \$KAFKA -t (\S+)", block)
if sub and sub.group(1) == "scanfarm.findings":
    h = subprocess.run([f"{bin_dir}/scanfarm-subscribe", "--help"], capture_output=True, text=True)
    if h.returncode != 0 or "findings" not in h.stdout:
        problems.append("the subscriber hint names scanfarm.findings, which it does not print")
# Every program the script runs must be one it builds: a fresh clone has no
# other binaries (a missing scanfarm-aggregator once left the run waiting).
built = re.search(r"^PROGRAMS=\(([^)]*)\)", text, re.M)
if not built:
    problems.append("no PROGRAMS=(...) build list found")
else:
    names = set(built.group(1).split())
    for used in sorted(set(re.findall(r"\$BIN/(scanfarm[a-z-]*)", text))):
        if used not in names:
            problems.append(f"runs $BIN/{used} but does not build it (PROGRAMS)")
for p in problems:
    print("quickstart:", p)
print(f"{len(hints)} hints checked: {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
