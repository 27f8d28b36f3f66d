#!/usr/bin/env bash
# pipetrace why --all vs lsof -n -w over the whole machine, with a planted seed hang (python
# communicate() on a script that backgrounds a sleeper) so that both have a pipe to find. Both read
# every process's fd table; why --all also reads every task's syscall state and explains what it finds.
# Usage: Benchmarks/why_all_vs_lsof.sh [REPS]   (builds the binary scripts/install.sh installs)
set -euo pipefail
reps=${1:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/Benchmarks/lib.sh"
bin=${PIPETRACE:-$(installed_pipetrace)}
command -v lsof >/dev/null || { echo "lsof not installed" >&2; exit 1; }
work=$(mktemp -d)
printf '#!/bin/sh\nsleep 300 &\necho $! > %s/sleeper.pid\necho start ok\n' "$work" > "$work/b.sh"
chmod +x "$work/b.sh"
python3 -c 'import subprocess,sys; subprocess.Popen(sys.argv[1], shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).communicate()' "$work/b.sh" &
reader=$!
cleanup() {
  [ -s "$work/sleeper.pid" ] && kill "$(cat "$work/sleeper.pid")" 2>/dev/null || true
  kill "$reader" 2>/dev/null || true
  wait "$reader" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 500); do
  [ -s "$work/sleeper.pid" ] && [ "$(cut -d' ' -f1 /proc/$reader/syscall 2>/dev/null)" = 0 ] && break
  sleep 0.01
done
sleep 1   # the hang must be older than --min
echo "$(ls /proc | grep -c '^[0-9]') processes, $(ls -d /proc/[0-9]*/task/[0-9]* | wc -l) tasks; $reps runs each"
"$bin" why --all --min 0.5 | grep -A1 "^$reader " || true

time_runs() {  # prints total seconds for $reps runs of "$@"
  local start end
  start=$(date +%s.%N)
  for _ in $(seq "$reps"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
"$bin" why --all >/dev/null 2>&1 || true; lsof -n -w >/dev/null 2>&1 || true   # warm caches
t_all=$(time_runs "$bin" why --all --min 0.5)
t_lsof=$(time_runs lsof -n -w)
printf 'pipetrace why --all: %.4f s per run\n' "$(echo "$t_all / $reps" | bc -l)"
printf 'lsof -n -w:          %.4f s per run\n' "$(echo "$t_lsof / $reps" | bc -l)"
printf 'ratio why --all / lsof = %.3f (target <= 0.5)\n' "$(echo "$t_all / $t_lsof" | bc -l)"
