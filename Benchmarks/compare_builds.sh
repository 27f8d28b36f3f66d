#!/usr/bin/env bash
# Two pipetrace binaries on the same text-output workload, taking turns (the VM's speed drifts
# within a minute, so runs alternate; medians and best times are shown). Checks that a change to
# the text output did not slow the default trace down, and what the new binary's strace options
# cost against its own default.
# Usage: Benchmarks/compare_builds.sh OLD_BINARY NEW_BINARY [REPEATS]   (default 9)
set -euo pipefail
old=$1 new=$2 repeats=${3:-9}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
work="dd if=/dev/zero of=/dev/null bs=1 count=20000"

one() { # binary, options...: wall seconds of one traced run
  local bin=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" "$@" -o "$out/trace" -e trace=read,write -- $work >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f", a[int((NR+1)/2)], a[1]}'; }

# label, A binary, A options (one word, "" for none), B binary, B options
compare() {
  local label=$1 abin=$2 aopt=$3 bbin=$4 bopt=$5
  local -a a=() b=()
  for _ in $(seq "$repeats"); do
    # shellcheck disable=SC2086
    a+=("$(one "$abin" $aopt)")
    # shellcheck disable=SC2086
    b+=("$(one "$bbin" $bopt)")
  done
  read -r am ab <<<"$(stats "${a[@]}")"
  read -r bm bb <<<"$(stats "${b[@]}")"
  printf '  %-34s %ss (best %ss) vs %ss (best %ss): ratio %s (best %s)\n' "$label" "$bm" "$bb" "$am" "$ab" \
    "$(echo "scale=3; $bm / $am" | bc -l)" "$(echo "scale=3; $bb / $ab" | bc -l)"
}

echo "$work, -e trace=read,write, $repeats turns each (median, best)"
compare "new default / old default" "$old" "" "$new" ""
for opts in --strace-compat -c "-c -w"; do
  compare "new $opts / new default" "$new" "" "$new" "$opts"
done
