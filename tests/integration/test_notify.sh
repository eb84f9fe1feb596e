#!/usr/bin/env bash
# scanfarm-notify end to end on the real Kafka and Redis, against a local
# receiver (tests/integration/notify/receiver.py) playing a webhook, Slack,
# a Teams Workflows webhook and the GitHub Issues API:
#   A. a new CRITICAL finding gives exactly one Slack message, one Teams
#      card, one webhook call with a valid HMAC and one GitHub issue - even
#      though the first
#      notifier is killed between the GitHub create and the Kafka commit
#      (test hook) and a second one processes the same delta again;
#   B. a delta removing the finding closes the issue with a comment (and the
#      Azure DevOps work item, also opened once across a crash);
#   C. a 503/429 storm (with Retry-After, and GitHub's 403 + Retry-After)
#      delays delivery but loses nothing;
#   C2. GitHub's spent primary rate limit (403, X-RateLimit-Remaining 0) is
#      waited out until X-RateLimit-Reset, even with --max-retries 0;
#   D. a sink down for good ends in scanfarm.notify.dlq with the reason,
#      and the offset is committed (a rerun sends nothing more);
#   E. first scans: a digest's first result on the results topic gives the
#      notifications its findings deserve, once.
set -euo pipefail
: "${SF_BIN:?}" "${SF_SRC:?}"
. "$SF_SRC/tests/stackenv.sh"
K=$SF_STACK_KAFKA R=$SF_STACK_REDIS
for a in "$K" "$R"; do
  if ! (exec 3<>"/dev/tcp/${a%:*}/${a##*:}") 2>/dev/null; then echo "FAIL: stack needed and absent: nothing at $a" >&2; exit 1; fi
done
NOTIFY="$SF_BIN/scanfarm-notify"
T=$(mktemp -d)
ID="nt$$-$(date +%s)"
TOPIC="test.notify.$ID" DLQ="test.notify.dlq.$ID" PREFIX="notify-test-$ID"
RESULTS="test.notify.results.$ID"
RPID=
cleanup() {
  [[ -n $RPID ]] && kill "$RPID" 2>/dev/null || true
  if command -v redis-cli >/dev/null; then
    redis-cli -h "${R%:*}" -p "${R##*:}" --scan --pattern "$PREFIX:*" |
      xargs -r redis-cli -h "${R%:*}" -p "${R##*:}" DEL >/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT

# Topics (the broker does not auto-create): the stack's librdkafka helper.
TOOL="$T/kafka-topics"
# shellcheck disable=SC2046
cc -std=c11 -O1 -o "$TOOL" "$SF_SRC/deploy/local/kafka-topics.c" $(pkg-config --cflags --libs rdkafka)
"$TOOL" "$K" 1 "$TOPIC" "$DLQ" "$RESULTS" >/dev/null

python3 "$SF_SRC/tests/integration/notify/receiver.py" "$T/port" & RPID=$!
for _ in $(seq 50); do [[ -s $T/port ]] && break; sleep 0.1; done
PORT=$(cat "$T/port") BASE="http://127.0.0.1:$(cat "$T/port")"

printf 'hmac-key-%s\n' "$ID" >"$T/hmac"
printf '%s\n' "$BASE/slack" >"$T/slack_url"
export NT_HOOK_URL="$BASE/hook" NT_GH_TOKEN=test-token NT_TEAMS_URL="$BASE/teams" NT_ADO_PAT=test-pat
cat >"$T/policy.yaml" <<EOF
sinks:
  hook: {type: webhook, url_env: NT_HOOK_URL, secret_file: $T/hmac}
  chat: {type: slack, url_file: $T/slack_url}
  ms: {type: teams, url_env: NT_TEAMS_URL}
  ado: {type: azure-devops, api: "$BASE/ado", project: payments, token_env: NT_ADO_PAT}
  gh: {type: github, api: "$BASE/gh", repo: acme/payments, token_env: NT_GH_TOKEN, label: scanfarm}
rules:
  - name: critical-fixable
    severity: CRITICAL
    fixable: true
    registries: ["127.0.0.1:*"]
    sinks: [chat, hook, ms, ado, gh]
    group: image
EOF

DIG="sha256:$(printf '%s' "$ID" | sha256sum | cut -c1-64)"
delta() { # db_version added-json removed-json
  printf '{"schema":"scanfarm.findings/v1","digest":"%s","refs":["127.0.0.1:5000/payments/api:1.4"],"run_id":"rematch-%s","db_version":"%s","previous_db_version":"v0","produced_at":"2026-03-02T04:03:10.512Z","added":%s,"removed":%s}\n' \
    "$DIG" "$1" "$1" "$2" "$3"
}
F_CRIT='{"id":"CVE-2026-0001","aliases":[],"package":"libssl3","ecosystem":"Alpine:v3.19","installed":"3.1.0-r0","fixed":"3.1.4-r0","severity":"CRITICAL","cvss":9.8}'
F_LOW='{"id":"CVE-2026-0009","aliases":[],"package":"zlib","ecosystem":"Alpine:v3.19","installed":"1.3-r0","fixed":"1.3-r1","severity":"LOW","cvss":2.0}'
F_CRIT2='{"id":"CVE-2026-0002","aliases":[],"package":"busybox","ecosystem":"Alpine:v3.19","installed":"1.36-r0","fixed":"1.36-r1","severity":"CRITICAL","cvss":9.1}'
F_CRIT3='{"id":"CVE-2026-0003","aliases":[],"package":"musl","ecosystem":"Alpine:v3.19","installed":"1.2-r0","fixed":"1.2-r1","severity":"CRITICAL","cvss":9.0}'
produce() { kcat -P -b "$K" -t "$TOPIC" -k "$DIG"; }
run() { # extra args...
  "$NOTIFY" --config "$T/policy.yaml" --kafka "$K" --topic "$TOPIC" --group "g-$ID" \
    --dlq-topic "$DLQ" --results-topic "$RESULTS" --redis "$R" --key-prefix "$PREFIX" --session-timeout-ms 6000 \
    --exit-idle-ms 1500 --backoff-base-ms 100 --backoff-max-ms 2000 --timeout-ms 3000 "$@"
}
state() { curl -fsS "$BASE/_state"; }
ctl() { curl -fsS -X POST --data "$1" "$BASE/_ctl/fail" >/dev/null; }
check() { # python expression over s (the receiver state); message
  state | python3 -c "import json,sys,hmac,hashlib
s=json.load(sys.stdin)
ok=lambda r: r['status'] in (200, 201, 202)
reqs=lambda p,m='POST': [r for r in s['requests'] if r['path']==p and r['method']==m and ok(r)]
key=open('$T/hmac').read().strip().encode()
if not ($1): print('FAIL: $2'); print(json.dumps(s)[:3000]); sys.exit(1)
print('ok: $2')"
}

# --- A: one of each, through a crash after the Azure DevOps create, then one
# after the GitHub create (each before anything is remembered or committed)
delta v1 "[$F_CRIT,$F_LOW]" '[]' | produce
rc=0; SCANFARM_NOTIFY_TEST_CRASH=ado-create run 2>"$T/a0.log" || rc=$?
[[ $rc == 70 ]] || { echo "FAIL: the ado crash hook did not fire (rc=$rc)"; cat "$T/a0.log"; exit 1; }
check "len(s['items'])==1 and not s['issues']" "first run created the work item, then died"
rc=0; SCANFARM_NOTIFY_TEST_CRASH=github-create run 2>"$T/a1.log" || rc=$?
[[ $rc == 70 ]] || { echo "FAIL: the crash hook did not fire (rc=$rc)"; cat "$T/a1.log"; exit 1; }
check "len(reqs('/gh/repos/acme/payments/issues'))==1" "second run created the issue, then died"
check "len(s['items'])==1 and any(r['path'].endswith('/wiql') for r in s['requests'])" "no second work item: found again by its tag (WIQL)"
run 2>"$T/a2.log"
check "len(reqs('/slack'))==1 and len(reqs('/hook'))==1 and len(reqs('/teams'))==1" "exactly one Slack message, one webhook call, one Teams card"
check "json.loads(reqs('/teams')[0]['body'])['attachments'][0]['content']['type']=='AdaptiveCard'" "Teams: an Adaptive Card"
check "len(s['issues'])==1 and len(reqs('/gh/repos/acme/payments/issues'))==1" "no second issue after the restart"
check "any('labels=scanfarm' in r['query'] and 'state=all' in r['query'] for r in reqs('/gh/repos/acme/payments/issues','GET'))" "the restart found the issue by listing its label"
check "all(r['headers']['x-scanfarm-signature']=='sha256='+hmac.new(key,r['body'].encode(),hashlib.sha256).hexdigest() for r in reqs('/hook'))" "webhook HMAC valid"
check "json.loads(reqs('/hook')[0]['body'])['schema']=='scanfarm.notification/v1' and [f['id'] for f in json.loads(reqs('/hook')[0]['body'])['findings']]==['CVE-2026-0001']" "webhook body: v1, only the CRITICAL finding"
check "'blocks' in json.loads(reqs('/slack')[0]['body']) and 'scanfarm:issue:' in s['issues']['1']['body']" "Slack blocks; issue marker"
grep -q "test-token\|test-pat\|hmac-key\|/slack" "$T/a0.log" "$T/a1.log" "$T/a2.log" && { echo "FAIL: a secret in the logs"; exit 1; }
# the last restart re-read the delta: the chat sinks and the work item were
# deduplicated (per-sink metrics), the GitHub issue found by its marker
grep -q '"totals" sink=hook sent=0 failed=0 deduplicated=1' "$T/a2.log" &&
  grep -q '"totals" sink=chat sent=0 failed=0 deduplicated=1' "$T/a2.log" &&
  grep -q '"totals" sink=ado sent=0 failed=0 deduplicated=1' "$T/a2.log" &&
  grep -q '"totals" sink=gh sent=1 failed=0 deduplicated=0' "$T/a2.log" ||
  { echo "FAIL: per-sink counters of the restart"; grep totals "$T/a2.log"; exit 1; }
echo "ok: the restart counted deduplicated per sink"

# --- B: the finding disappears: comment + close
delta v2 '[]' "[$F_CRIT]" | produce
run 2>"$T/b.log"
check "s['issues']['1']['state']=='closed' and len(s['comments'].get('1',[]))==1 and 'Resolved' in s['comments']['1'][0]" "issue closed with a comment"
check "s['items']['1']['fields']['System.State']=='Done' and len(s['items']['1']['history'])==1 and 'Resolved' in s['items']['1']['history'][0]" "work item closed (Done) with a history comment"
check "len(s['issues'])==1" "still one issue"

# --- C: a 503/429 storm delays but loses nothing
ctl '{"prefix":"/hook","statuses":[503,503,429,503],"retry_after":1}'
ctl '{"prefix":"/slack","statuses":[429,429],"retry_after":1}'
ctl '{"prefix":"/gh","statuses":[502,403],"retry_after":1}' # 403 + Retry-After: GitHub's secondary rate limit
delta v3 "[$F_CRIT2]" '[]' | produce
t0=$(date +%s.%N)
run 2>"$T/c.log"
t1=$(date +%s.%N)
check "len(reqs('/hook'))==3 and len(reqs('/slack'))==3 and len(s['issues'])==2" "storm: every notification delivered once"
check "sum(1 for r in s['requests'] if r['status'] in (403,429,502,503))==8" "storm: 8 refusals were retried"
echo "storm run: $(python3 -c "print(round($t1-$t0,1))") s (includes the 1.5 s idle exit; a floor under load)"

# --- C2: GitHub's primary rate limit (403, X-RateLimit-Remaining 0) is waited
# out until X-RateLimit-Reset, without counting as a failed attempt: with no
# retries allowed at all the issue is still created, after the reset
ctl '{"prefix":"/gh","statuses":[403],"ratelimit_reset_in":2}'
F_CRIT4='{"id":"CVE-2026-0004","aliases":[],"package":"curl","ecosystem":"Alpine:v3.19","installed":"8.0-r0","fixed":"8.1-r0","severity":"CRITICAL","cvss":9.3}'
delta v3b "[$F_CRIT4]" '[]' | produce
run --max-retries 0 2>"$T/c2.log"
check "len(s['issues'])==3" "rate limit: the issue was created after the reset"
check "(lambda r403: any(r['path'].startswith('/gh') and r['t']>r403['t'] for r in s['requests']) and all(r['t']>=int(r403['t'])+2 for r in s['requests'] if r['path'].startswith('/gh') and r['t']>r403['t']))([r for r in s['requests'] if r['status']==403][-1])" "rate limit: no GitHub request before X-RateLimit-Reset"
grep -q "rate limit spent, waiting for its reset" "$T/c2.log" || { echo "FAIL: no rate-limit wait logged"; exit 1; }

# --- D: a sink down for good ends in the DLQ with the reason
ctl '{"prefix":"/hook","always":503}'
delta v4 "[$F_CRIT3]" '[]' | produce
run --max-retries 2 2>"$T/d.log"
kcat -C -b "$K" -t "$DLQ" -o beginning -e -q >"$T/dlq.jsonl"
python3 - "$T/dlq.jsonl" <<'PY'
import json, sys
es = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(es) == 1, es
e = es[0]
assert e["schema"] == "scanfarm.notify.dlq/v1" and e["sink"] == "hook", e
assert e["code"] == "server" and "HTTP 503" in e["reason"] and "3 attempts" in e["reason"], e
assert e["payload"]["findings"][0]["id"] == "CVE-2026-0003", e
assert "/hook" not in e["reason"], e  # the secret URL is not in the reason
print("ok: DLQ entry with the reason:", e["reason"])
PY
check "len(s['issues'])==4 and len(s['items'])==4 and len(reqs('/slack'))==5" "the other sinks still got it"
n=$(state | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin)['requests'] if r['path']=='/hook'))")
run --exit-idle-ms 500 2>"$T/d2.log"
n2=$(state | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin)['requests'] if r['path']=='/hook'))")
[[ $n == "$n2" ]] || { echo "FAIL: the dead-lettered delta was consumed again ($n -> $n2)"; exit 1; }
echo "ok: offsets committed after the DLQ"

# --- E: first scans: a digest's first result on the results topic is
# notified like a delta adding its findings (rules apply: the LOW is not);
# a redelivery and a later result of the same digest notify nothing more
ctl '{"prefix":"/hook","clear":true}'
DIG2="sha256:$(printf 'first-%s' "$ID" | sha256sum | cut -c1-64)"
result() { # run_id finding-json
  printf '{"schema":"scanfarm.result/v1","run_id":"%s","digest":"%s","index_digest":null,"platform":"linux/amd64","refs":["127.0.0.1:5000/payments/web:2"],"os":{},"packages":[],"vulnerabilities":[%s],"summary":{},"layers":[],"db_version":"v9","timings":{},"error":null}\n' \
    "$1" "$DIG2" "$2"
}
F_CRIT5='{"id":"CVE-2026-0005","aliases":[],"package":"expat","ecosystem":"Alpine:v3.19","installed":"2.5-r0","fixed":"2.6-r0","severity":"CRITICAL","cvss":9.8}'
F_CRIT6='{"id":"CVE-2026-0006","aliases":[],"package":"xz","ecosystem":"Alpine:v3.19","installed":"5.4-r0","fixed":"5.6-r0","severity":"CRITICAL","cvss":9.0}'
slack0=$(state | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin)['requests'] if r['path']=='/slack' and r['status']==200))")
run --exit-idle-ms 4000 2>"$T/e.log" & NPID=$!
for _ in $(seq 300); do
  [[ $(grep -c "partitions assigned" "$T/e.log" 2>/dev/null) -ge 2 ]] && break
  sleep 0.1
done
[[ $(grep -c "partitions assigned" "$T/e.log") -ge 2 ]] || { echo "FAIL: the notifier did not join both groups"; cat "$T/e.log"; exit 1; }
# a new group starting at the end looks the end up when it first fetches:
# give it that moment, or the results would land before its start
sleep 2
{ result run-a "$F_CRIT5,$F_LOW"; result run-a "$F_CRIT5,$F_LOW"; result run-b "$F_CRIT5,$F_CRIT6"; } |
  kcat -P -b "$K" -t "$RESULTS" -k "$DIG2"
wait "$NPID"
check "len([r for r in reqs('/slack') if 'CVE-2026-0005' in r['body']])==1 and len(reqs('/slack'))==$slack0+1" "first scan: one Slack message for the new image CRITICAL finding"
check "not any('CVE-2026-0006' in r['body'] or 'CVE-2026-0009' in r['body'] for r in reqs('/slack') if 'CVE-2026-0005' in r['body'])" "first scan: the LOW and the later result are not notified"
check "len(s['issues'])==5 and any('CVE-2026-0005' in i['title'] for i in s['issues'].values())" "first scan: one GitHub issue"
echo PASS
