# Sourced by the tests that need Python tools from the package index:
# `sf_pyvenv NAME IMPORTS PKG...` makes sure a venv $SF_BIN/../NAME holds
# PKG... (checked by running `import IMPORTS` in it), installing them with
# pip when missing, and sets PY to its python. When pip cannot reach the
# package index the calling test exits 0 with SKIP and the reason.
#
# ctest runs tests in parallel and several share one venv, so the check and
# the install happen under an exclusive flock on NAME.lock: whoever finds
# the venv incomplete builds it while the others wait, then finds it whole.
# A venv cannot be built aside and renamed into place (its scripts carry
# its absolute path), hence the lock rather than an atomic rename.
sf_pyvenv() {
  local name=$1 imports=$2 venv="$SF_BIN/../$1" log fd
  shift 2
  PY="$venv/bin/python"
  _sf_pyvenv_ok() { [ -x "$PY" ] && "$PY" -c "import $imports" 2>/dev/null; }
  _sf_pyvenv_ok && return 0
  exec {fd}>"$venv.lock"
  flock "$fd"
  if _sf_pyvenv_ok; then
    exec {fd}>&-; return 0
  fi
  rm -rf "$venv"
  if ! python3 -m venv "$venv"; then
    echo "FAIL: python3 -m venv $venv"; exit 1
  fi
  log=$(mktemp)
  if ! "$venv/bin/pip" install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    # A half-installed venv must not pass for a whole one next time.
    rm -rf "$venv"
    if grep -qiE "connection|resolve|network|timed out|No matching distribution" "$log"; then
      echo "SKIP: pip cannot reach the package index; $name not installed"; tail -3 "$log"
      rm -f "$log"; exit 0
    fi
    cat "$log"; rm -f "$log"; exit 1
  fi
  rm -f "$log"
  exec {fd}>&-
}
