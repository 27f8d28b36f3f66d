#!/bin/bash
# What `run --stack` adds to the autopsy taken on timeout: the seed hang (python communicate() on a
# script that backgrounds a sleeper holding its pipes) under `run --json --timeout T`, with and
# without --stack, N runs each, interleaved. Prints the median of (run's own wall - T) per mode,
# i.e. autopsy + kill + the last read of the pipes, and the difference: the stacks' cost (the
# blocked threads are python's poll and the sleeper's clock_nanosleep).
# Usage: Benchmarks/autopsy_stack.sh [N] [PIPETRACE] [T, default 3]
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-10}
pipetrace=${2:-$root/.build/debug/pipetrace}
timeout=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nsleep 300 &\necho start ok\n' > "$work/seed.sh"
chmod +x "$work/seed.sh"
seed() {
  (cd "$work" && "$pipetrace" run --json --timeout "$timeout" "$@" -- \
    python3 -c "import subprocess; subprocess.run('./seed.sh', shell=True, capture_output=True)") |
    python3 -c "import json,sys; r=json.load(sys.stdin); assert r['timed_out']; print(r['wall'] - $timeout, len(r['autopsy'].get('stacks', [])))"
}
: > "$work/plain"; : > "$work/stack"
for _ in $(seq "$runs"); do
  seed >> "$work/plain"
  seed --stack >> "$work/stack"
done
median() { cut -d' ' -f1 "$1" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'; }
plain=$(median "$work/plain") stack=$(median "$work/stack")
echo "runs=$runs cpus=$(nproc) load=$(cut -d' ' -f1 /proc/loadavg) stacks_per_autopsy=$(cut -d' ' -f2 "$work/stack" | sort -u | tr '\n' ' ')"
echo "after the timeout, median s: without --stack $plain, with --stack $stack, stacks cost $(echo "$stack - $plain" | bc -l)"
