#!/usr/bin/env bash
# Times `pipetrace report` (release build) on a 1,000,000-event pipetrace JSON trace against a plain
# Python loop that only json.loads each line of the same file, in one run, and prints the ratio.
# Target: pipetrace <= 0.3x Python.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trace="$work/trace.jsonl"

swift build -c release --product pipetrace >/dev/null
bin=$(swift build -c release --show-bin-path)/pipetrace
python3 Benchmarks/generate_trace.py "$events" "$trace"
echo "trace: $(wc -l <"$trace") lines, $(du -h "$trace" | cut -f1)"

# Wall time and CPU time (user+sys) of each: on a shared machine the CPU ratio is the steadier one.
TIMEFORMAT='%R %U %S'
{ time "$bin" report "$trace" >"$work/report.txt" 2>"$work/report.err"; } 2>"$work/pipetrace.time"
{ time python3 -c '
import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n, "lines parsed")
' "$trace" >"$work/python.out"; } 2>"$work/python.time"
cat "$work/python.out"

read -r pt_real pt_user pt_sys <"$work/pipetrace.time"
read -r py_real py_user py_sys <"$work/python.time"
pt_cpu=$(echo "$pt_user + $pt_sys" | bc -l)
py_cpu=$(echo "$py_user + $py_sys" | bc -l)
printf 'pipetrace report:       %6.3f s wall, %6.3f s cpu\n' "$pt_real" "$pt_cpu"
printf 'python json.loads loop: %6.3f s wall, %6.3f s cpu\n' "$py_real" "$py_cpu"
printf 'ratio: %.3f x Python wall, %.3f x Python cpu (target <= 0.3)\n' \
  "$(echo "$pt_real / $py_real" | bc -l)" "$(echo "$pt_cpu / $py_cpu" | bc -l)"
head -12 "$work/report.txt"
