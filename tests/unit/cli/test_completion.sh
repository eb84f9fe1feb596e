#!/usr/bin/env bash
# Shell completion generated from the programs' --help (gen_completion.py):
# every option every program and command lists is offered, none of the
# hidden old spellings is, and bash completes for real (the completion
# function run with COMP_WORDS as bash would set them) and so does zsh, when
# installed (an interactive zsh on a pty, see zsh_complete.zsh).
set -euo pipefail
: "${SF_SRC:?}" "${SF_BIN:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$SF_SRC/deploy/completion/gen_completion.py" "$SF_BIN" "$T"
B="$T/scanfarm.bash"
complete_words() { # words... -> the completions bash offers for the last one
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _scanfarm; printf "%s\n" "${COMPREPLY[@]}"' _ "$B" "$@"
}
grep -qx scan <<<"$(complete_words scanfarm sc)"
grep -qx aggregate <<<"$(complete_words scanfarm ag)"
grep -qx -- --format <<<"$(complete_words scanfarm scan --for)"
grep -qx -- --vex <<<"$(complete_words scanfarm scan --v)"
grep -qx update <<<"$(complete_words scanfarm db up)"
grep -qx -- --timeout <<<"$(complete_words scanfarm db update --ti)"
grep -qx -- --key-prefix <<<"$(complete_words scanfarm report --key)"
grep -qx -- --insecure-registry <<<"$(complete_words scanfarm-worker --insecure)"
grep -qx -- --platform <<<"$(complete_words scanfarm-coordinator --platfor)"
if grep -qx -- --platforms <<<"$(complete_words scanfarm-coordinator --platfor)"; then
  echo "FAIL: the hidden --platforms is offered"; exit 1
fi
grep -qx -- --jobs-topic <<<"$(complete_words scanfarm-inventory --jobs)"
grep -qx -- --print-docs <<<"$(complete_words scanfarm scan --print-d)"
if grep -qx -- --topic <<<"$(complete_words scanfarm-coordinator --to)"; then
  echo "FAIL: the hidden --topic is offered"; exit 1
fi
if grep -q . <<<"$(complete_words scanfarm report --pre)"; then
  echo "FAIL: the hidden --prefix is offered"; exit 1
fi
# every flag of every --help is in the script
check() { # key argv...
  local key=$1; shift
  for f in $("$@" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -q -- "'$key') .*$f\b" "$B" || { echo "FAIL: $key: $f not offered"; exit 1; }
  done
}
check scanfarm-worker "$SF_BIN/scanfarm-worker"
check scanfarm-coordinator "$SF_BIN/scanfarm-coordinator"
check scanfarm-inventory "$SF_BIN/scanfarm-inventory"
check scanfarm-notify "$SF_BIN/scanfarm-notify"
for c in scan report query status aggregate rematch; do check "scanfarm $c" "$SF_BIN/scanfarm" $c; done
for c in import update info; do check "scanfarm db $c" "$SF_BIN/scanfarm" db $c; done
# zsh for real: an interactive zsh on a pty (tests/unit/cli/zsh_complete.zsh)
# with compinit, the line typed, one Tab, the edit buffer read back. The
# first Tab of a session is the first case: the autoloaded file completed
# nothing there, and `scanfarm scanf` gave "scanfarm scanfarm" (the usage
# lines of --help were taken for commands); both fixed, both checked here.
if command -v zsh >/dev/null; then
  zsh -n "$T/_scanfarm"
  zc() { zsh -f "$SF_SRC/tests/unit/cli/zsh_complete.zsh" "$@"; }
  zc fpath "$T" 'scanfarm sc' 'scanfarm scanf' 'scanfarm scan --for' 'scanfarm scan --v' \
    'scanfarm db up' 'scanfarm db update --ti' 'scanfarm report --key' 'scanfarm report --pre' \
    'scanfarm-worker --insecure' 'scanfarm-coordinator --platfor' >"$T/zsh.out"
  zc source "$T" 'scanfarm ag' 'scanfarm-worker --jobs' >>"$T/zsh.out"
  diff -u - "$T/zsh.out" <<'EOF' || { echo "FAIL: zsh completions differ"; exit 1; }
scanfarm sc -> <scanfarm scan >
scanfarm scanf -> <scanfarm scanf>
scanfarm scan --for -> <scanfarm scan --format >
scanfarm scan --v -> <scanfarm scan --ve>
scanfarm db up -> <scanfarm db update >
scanfarm db update --ti -> <scanfarm db update --timeout >
scanfarm report --key -> <scanfarm report --key-prefix >
scanfarm report --pre -> <scanfarm report --pre>
scanfarm-worker --insecure -> <scanfarm-worker --insecure-registry >
scanfarm-coordinator --platfor -> <scanfarm-coordinator --platform >
scanfarm ag -> <scanfarm aggregate >
scanfarm-worker --jobs -> <scanfarm-worker --jobs-topic >
EOF
else
  echo "zsh not installed: zsh completion not tested"
fi
echo "completion: ok"
