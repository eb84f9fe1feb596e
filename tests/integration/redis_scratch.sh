# Sourced by script tests that use the stack's Redis under a key prefix of
# their own: `sf_redis_scratch NAME` sets REDIS (the stack's), PREFIX
# (NAME-<pid>), a scratch folder T, exports SCANFARM_REDIS and the key
# prefix for the scanfarm commands, and on exit deletes the prefix's keys
# and T. Fails (exit 1) when the stack's Redis does not answer: an
# integration test never passes on a dead stack.
# Needs SF_SRC (tests/stackenv.sh gives the stack's addresses).
. "$SF_SRC/tests/stackenv.sh"
sf_redis_scratch() {
  REDIS=$SF_STACK_REDIS
  if ! (exec 3<>"/dev/tcp/${REDIS%:*}/${REDIS##*:}") 2>/dev/null; then
    echo "FAIL: stack needed and absent: no Redis at $REDIS (SF_STACK_REDIS)" >&2; exit 1
  fi
  PREFIX="$1-$$"
  T=$(mktemp -d)
  trap sf_redis_scratch_cleanup EXIT
  export SCANFARM_REDIS="$REDIS" SCANFARM_PREFIX="$PREFIX" SCANFARM_KEY_PREFIX="$PREFIX"
}
sf_redis_scratch_cleanup() {
  if command -v redis-cli >/dev/null; then
    redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" --scan --pattern "$PREFIX:*" |
      xargs -r redis-cli -h "${REDIS%:*}" -p "${REDIS##*:}" DEL >/dev/null
  fi
  rm -rf "$T"
}
