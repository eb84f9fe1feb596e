#!/usr/bin/env bash
# tests/layering.sh — the folder layering of docs/architecture.md, checked
# from the #include lines: every include between two folders must follow
# an allowed arrow (the table below, the same as common/CMakeLists.txt's),
# and the folders' include graph must have no cycle. Exit 1 with one line
# per offending include, or per cycle. Cheap: one grep over the tree
# (ctest: unit_layering). Usage: tests/layering.sh [SOURCE_ROOT]
set -euo pipefail
ROOT=${1:-${SF_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
cd "$ROOT"

# Who may include whom. "common" stands for every common/ folder.
declare -A ALLOW=(
  [base]=""
  [model]="base"
  [registry]="base"
  [vuln]="base model"
  [analyze]="base model registry vuln"
  [bus]="base model registry"
  [cache]="base model registry vuln analyze"
  [kube]="base registry"
  [fleet]="base model registry vuln analyze bus cache kube"
  [report]="base model registry vuln analyze bus cache kube fleet"
  [coordinator]="common"
  [inventory]="common coordinator"
  [worker]="common"
  [aggregator]="common"
  [notify]="common"
  [api]="common aggregator"
  [cli]="common aggregator"
)
COMMON="base model registry vuln analyze bus cache kube fleet report"

# The folder (node) a source file belongs to, into NODE.
node_of() {
  local r
  case $1 in
    common/*) r=${1#common/}; NODE=${r%%/*} ;;
    coordinator/inventory/*) NODE=inventory ;;
    aggregator/*/*) r=${1#aggregator/}; NODE=${r%%/*} ;;
    *) NODE=${1%%/*} ;;
  esac
}

# Program folders' headers are included by bare name: basename -> node.
declare -A FLAT=()
while IFS= read -r h; do
  node_of "$h"
  FLAT[${h##*/}]+="$NODE "
done < <(find coordinator worker aggregator cli -name '*.h' 2>/dev/null)

declare -A EDGE=()
bad=0
while IFS= read -r line; do
  f=${line%%:*}
  inc=${line#*\"}
  inc=${inc%\"*}
  node_of "$f"
  from=$NODE
  if [[ -z ${ALLOW[$from]+x} ]]; then
    echo "layering: $f: folder '$from' is not in the table"; bad=1; continue
  fi
  case $inc in
    */*) to=${inc%%/*}
         [[ " $COMMON " == *" $to "* ]] || continue ;;
    *) [[ -e ${f%/*}/$inc ]] && continue   # its own folder
       [[ -n ${FLAT[$inc]+x} ]] || continue  # generated or system
       to=${FLAT[$inc]%% *} ;;
  esac
  [[ $to == "$from" ]] && continue
  EDGE["$from $to"]=1
  ok=0
  for a in ${ALLOW[$from]}; do
    [[ $a == "$to" || ($a == common && " $COMMON " == *" $to "*) ]] && ok=1
  done
  if ((!ok)); then
    echo "layering: $f includes \"$inc\": $from -> $to is not an allowed arrow"
    bad=1
  fi
done < <(find common coordinator worker aggregator cli -name '*.[ch]' -print0 | sort -z |
         xargs -0 grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"')

# Cycles among the folders, by depth-first search over the arrows found.
declare -A STATE=()
dfs() {
  local n=$1 path=$2 e
  STATE[$n]=1
  for e in "${!EDGE[@]}"; do
    [[ ${e%% *} == "$n" ]] || continue
    local m=${e#* }
    if [[ ${STATE[$m]:-0} == 1 ]]; then
      echo "layering: folder cycle: $path -> $m"
      bad=1
    elif [[ ${STATE[$m]:-0} == 0 ]]; then
      dfs "$m" "$path -> $m"
    fi
  done
  STATE[$n]=2
}
for n in "${!ALLOW[@]}"; do
  [[ ${STATE[$n]:-0} == 0 ]] && dfs "$n" "$n"
done

if ((bad)); then
  exit 1
fi
echo "layering: ok (${#EDGE[@]} arrows between folders, no cycle)"
