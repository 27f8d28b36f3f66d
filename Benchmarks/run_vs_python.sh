#!/usr/bin/env bash
# Overhead of `pipetrace run -- /bin/true` against Python's subprocess.run(['/bin/true']), in one run.
# Two views: whole commands as a caller's shell sees them, and the cost of one run inside a
# process that is already up (pipetrace's own `wall` vs a timed subprocess.run in a warm loop).
# Usage: Benchmarks/run_vs_python.sh [N]   (default 50 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
. Benchmarks/lib.sh
# The binary scripts/install.sh installs: its start-up is part of every `pipetrace run`.
pt=$(installed_pipetrace)

whole() {  # seconds per command, over n runs
  local t0 t1
  t0=$(date +%s.%N)
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
  t1=$(date +%s.%N)
  echo "scale=6; ($t1 - $t0) / $n" | bc -l
}
p=$(whole $pt run -- /bin/true)
py=$(whole python3 -c 'import subprocess; subprocess.run(["/bin/true"], capture_output=True)')
printf 'whole command: pipetrace run %.4fs, python3 + subprocess.run %.4fs, ratio %.3f\n' "$p" "$py" "$(echo "$p / $py" | bc -l)"

inner_pt=$(for _ in $(seq "$n"); do $pt run --json -- /bin/true; done | python3 -c '
import json, sys, statistics
print(statistics.median(json.loads(l)["wall"] for l in sys.stdin))')
inner_py=$(python3 - "$n" <<'PY'
import subprocess, sys, time, statistics
times = []
for _ in range(int(sys.argv[1])):
    t = time.monotonic()
    subprocess.run(["/bin/true"], capture_output=True)
    times.append(time.monotonic() - t)
print(statistics.median(times))
PY
)
printf 'one run, process already up: pipetrace %.4fs, subprocess.run %.4fs, ratio %.3f\n' "$inner_pt" "$inner_py" "$(echo "$inner_pt / $inner_py" | bc -l)"
