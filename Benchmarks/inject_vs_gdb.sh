#!/usr/bin/env bash
# pipetrace --inject-close vs gdb -p PID -batch -ex 'call (int)close(FD)' on the same kind of live
# process: a sleeper whose fds 3..(3+REPS) are dup'ed pipe write ends, one fd closed per run.
# Usage: Benchmarks/inject_vs_gdb.sh [REPS]   (build first: swift build [-c release])
set -euo pipefail
reps=${1:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${PIPETRACE:-$here/.build/release/pipetrace}
[ -x "$bin" ] || bin=$here/.build/debug/pipetrace
command -v gdb >/dev/null || { echo "gdb not installed" >&2; exit 1; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# A python sleeper holding 2*REPS extra fds (dups of a pipe's write end), asleep in its syscall.
start_target() {
  python3 -c '
import os, sys, time
r, w = os.pipe()
for i in range(int(sys.argv[1])): os.dup2(w, 100 + i)
time.sleep(600)' "$reps" &
  target=$!
  pids+=("$target")
  for _ in $(seq 500); do
    [ "$(cut -d' ' -f1 /proc/$target/syscall 2>/dev/null)" = 230 ] && [ -e /proc/$target/fd/$((100 + reps - 1)) ] && break
    sleep 0.01
  done
}

measure() {  # $1 = tool; prints total seconds for $reps closes
  local start end i
  start=$(date +%s.%N)
  for i in $(seq 0 $((reps - 1))); do
    if [ "$1" = gdb ]; then
      gdb -p "$target" -batch -ex "call (int)close($((100 + i)))" >/dev/null 2>&1
    else
      "$bin" --inject-close "$target" $((100 + i)) >/dev/null
    fi
  done
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

check() {  # every fd closed, target still asleep and untraced
  local left
  left=$(ls /proc/$target/fd | awk -v n="$reps" '$1 >= 100 && $1 < 100 + n' | wc -l)
  echo "  $1: fds left open: $left; target $(awk '{print $3}' /proc/$target/stat) in syscall $(cut -d' ' -f1 /proc/$target/syscall); TracerPid $(awk '/TracerPid/ {print $2}' /proc/$target/status)"
}

start_target; t_pt=$(measure pipetrace); check pipetrace
start_target; t_gdb=$(measure gdb); check gdb
printf 'pipetrace --inject-close: %.4f s per close\n' "$(echo "$t_pt / $reps" | bc -l)"
printf 'gdb call close:           %.4f s per close\n' "$(echo "$t_gdb / $reps" | bc -l)"
printf 'ratio pipetrace/gdb = %.4f (target <= 0.05)\n' "$(echo "$t_pt / $t_gdb" | bc -l)"
