#!/usr/bin/env bash
# pipetrace --inject-close vs gdb -p PID -batch -ex 'call (int)close(FD)' on the same kind of live
# process: a sleeper whose fds 3..(3+REPS) are dup'ed pipe write ends, one fd closed per run.
# Usage: Benchmarks/inject_vs_gdb.sh [REPS]   (builds the binary scripts/install.sh installs)
set -euo pipefail
reps=${1:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/Benchmarks/lib.sh"
# The binary install.sh installs (PIPETRACE=path: another one).
bin=${PIPETRACE:-$(installed_pipetrace)}
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

measure() {  # $1 = gdb, close (--plain-close, what gdb does) or replace (the default); total seconds
  local start end i
  start=$(date +%s.%N)
  for i in $(seq 0 $((reps - 1))); do
    case $1 in
      gdb) gdb -p "$target" -batch -ex "call (int)close($((100 + i)))" >/dev/null 2>&1 ;;
      close) "$bin" --inject-close "$target" $((100 + i)) --plain-close >/dev/null ;;
      replace) "$bin" --inject-close "$target" $((100 + i)) >/dev/null ;;
    esac
  done
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

check() {  # every fd closed (or now /dev/null), target still asleep and untraced
  local links pipes
  links=$(for f in $(seq 100 $((100 + reps - 1))); do readlink /proc/$target/fd/$f 2>/dev/null; done || true)
  pipes=$(grep -c '^pipe:' <<<"$links" || true)
  echo "  $1: fds still on the pipe: $pipes; on /dev/null: $(grep -c '^/dev/null' <<<"$links" || true); target $(awk '{print $3}' /proc/$target/stat) in syscall $(cut -d' ' -f1 /proc/$target/syscall); TracerPid $(awk '/TracerPid/ {print $2}' /proc/$target/status)"
}

start_target; t_pt=$(measure close); check "pipetrace --plain-close"
start_target; t_rep=$(measure replace); check "pipetrace (/dev/null)"
start_target; t_gdb=$(measure gdb); check gdb
printf 'pipetrace --inject-close --plain-close: %.4f s per close\n' "$(echo "$t_pt / $reps" | bc -l)"
printf 'pipetrace --inject-close (/dev/null):   %.4f s per fd\n' "$(echo "$t_rep / $reps" | bc -l)"
printf 'gdb call close:                         %.4f s per close\n' "$(echo "$t_gdb / $reps" | bc -l)"
printf 'ratio pipetrace/gdb = %.4f plain close, %.4f with /dev/null (target <= 0.05)\n' "$(echo "$t_pt / $t_gdb" | bc -l)" "$(echo "$t_rep / $t_gdb" | bc -l)"
