# zsh_complete.zsh: completions as an interactive zsh gives them, for
# tests/unit/cli/test_completion.sh.
#
#   zsh -f zsh_complete.zsh MODE DIR LINE...
#
# Starts `zsh -f -i` on a pseudo-terminal (zsh/zpty) with compinit, DIR
# holding the generated _scanfarm: MODE fpath = installed as users do (DIR
# in $fpath, autoloaded by compinit), MODE source = `source DIR/_scanfarm`
# after compinit. Then for each LINE types LINE, one Tab and ^X, a widget
# printing the edit buffer, and prints "LINE -> <BUFFER>". The first LINE
# is the session's first Tab (an autoloaded file that only defines its
# function completes nothing there).
mode=$1 dir=$2
shift 2
zmodload zsh/zpty || { print -u2 "no zsh/zpty"; exit 2 }
out=$(mktemp) || exit 2
trap 'zpty -d z 2>/dev/null; rm -f $out' EXIT
zpty z 'zsh -f -i' || exit 2
if [[ $mode == fpath ]]; then
  zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
else
  zpty -w z "autoload -Uz compinit; compinit -u -D; source ${(q)dir}/_scanfarm"
fi
zpty -w z "dumpbuf() { print -r -- \"<\$BUFFER>\" >${(q)out}; BUFFER= }; zle -N dumpbuf; bindkey '^X' dumpbuf"
for line in "$@"; do
  : >$out
  zpty -n -w z "$line"$'\t\C-x'
  for i in {1..200}; do [[ -s $out ]] && break; sleep 0.05; done
  [[ -s $out ]] || { print -u2 "zsh did not answer for: $line"; exit 1 }
  print -r -- "$line -> $(<$out)"
done
