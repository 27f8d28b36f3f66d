#!/bin/bash
# Survivors of `pipetrace run --timeout 1 -- chain 3000 100`: a fork chain that grows while run kills
# it (Tests/Fixtures/chain.c). Counts, over N runs, the processes of the chain still alive right after
# run has returned (every process writes its pid to a file), then kills them by pid.
# Usage: Benchmarks/run_tree_kill.sh [N] [PIPETRACE]
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-20}
pipetrace=${2:-$root/.build/debug/pipetrace}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -O0 -o "$dir/chain" "$root/Tests/Fixtures/chain.c"
alive() {
  local n=0
  for p in $(cat "$dir/pids" 2>/dev/null); do
    if grep -q "$dir/chain" "/proc/$p/cmdline" 2>/dev/null && ! grep -q '^State:.*[ZX]' "/proc/$p/status" 2>/dev/null; then
      n=$((n + 1))
      [ "${1:-}" = kill ] && kill -9 "$p" 2>/dev/null
    fi
  done
  echo "$n"
}
total=0 worst=0 runsWithSurvivors=0 forked=0
for i in $(seq "$runs"); do
  rm -f "$dir/pids"
  "$pipetrace" run --timeout 1 -- "$dir/chain" 3000 100 "$dir/pids" >/dev/null 2>&1
  n=$(alive)
  forked=$((forked + $(wc -l < "$dir/pids")))
  total=$((total + n))
  [ "$n" -gt "$worst" ] && worst=$n
  [ "$n" -gt 0 ] && runsWithSurvivors=$((runsWithSurvivors + 1))
  # The fixture forks no more once PIDFILE.stop exists; then kill the rest by pid.
  touch "$dir/pids.stop"
  while [ "$(alive kill)" -gt 0 ]; do sleep 0.1; done
  sleep 0.2
  while [ "$(alive kill)" -gt 0 ]; do sleep 0.1; done
  rm -f "$dir/pids.stop"
done
echo "runs=$runs processes_forked=$forked survivors_total=$total worst_run=$worst runs_with_survivors=$runsWithSurvivors"
