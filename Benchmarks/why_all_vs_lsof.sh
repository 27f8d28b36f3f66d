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
plant_seed_hang
sleep 1   # the hang must be older than --min
echo "$(ls /proc | grep -c '^[0-9]') processes, $(ls -d /proc/[0-9]*/task/[0-9]* | wc -l) tasks; $reps runs each"
"$bin" why --all --min 0.5 | grep -A1 "^$reader " || true

"$bin" why --all >/dev/null 2>&1 || true; lsof -n -w >/dev/null 2>&1 || true   # warm caches
t_all=$(time_runs "$bin" why --all --min 0.5)
t_lsof=$(time_runs lsof -n -w)
printf 'pipetrace why --all: %.4f s per run\n' "$(echo "$t_all / $reps" | bc -l)"
printf 'lsof -n -w:          %.4f s per run\n' "$(echo "$t_lsof / $reps" | bc -l)"
printf 'ratio why --all / lsof = %.3f (target <= 0.5)\n' "$(echo "$t_all / $t_lsof" | bc -l)"
