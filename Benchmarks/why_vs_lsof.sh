#!/usr/bin/env bash
# pipetrace why PID vs lsof +E -p PID on the same live seed hang (python communicate() on a script
# that backgrounds a sleeper). Both answer "who holds the other end of this pipe"; both scan /proc.
# Usage: Benchmarks/why_vs_lsof.sh [REPS]   (builds the binary scripts/install.sh installs)
set -euo pipefail
reps=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/Benchmarks/lib.sh"
# The binary install.sh installs (PIPETRACE=path: another one).
bin=${PIPETRACE:-$(installed_pipetrace)}
command -v lsof >/dev/null || { echo "lsof not installed" >&2; exit 1; }
plant_seed_hang
echo "reader $reader ($(cat /proc/$reader/comm)), sleeper $(cat "$work/sleeper.pid"), $(ls /proc | grep -c '^[0-9]') processes; $reps runs each"
"$bin" why "$reader" | tail -2

"$bin" why "$reader" >/dev/null; lsof +E -p "$reader" >/dev/null 2>&1 || true   # warm caches
t_why=$(time_runs "$bin" why "$reader")
t_lsof=$(time_runs lsof +E -p "$reader")
t_json=$(time_runs "$bin" why --json "$reader")
printf 'pipetrace why:        %.4f s per run\n' "$(echo "$t_why / $reps" | bc -l)"
printf 'pipetrace why --json: %.4f s per run\n' "$(echo "$t_json / $reps" | bc -l)"
printf 'lsof +E -p:           %.4f s per run\n' "$(echo "$t_lsof / $reps" | bc -l)"
printf 'ratio why/lsof = %.3f (target <= 0.5)\n' "$(echo "$t_why / $t_lsof" | bc -l)"
