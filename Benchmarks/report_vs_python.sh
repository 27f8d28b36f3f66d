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

now() { date +%s.%N; }
# Warm the page cache so both read the file from memory.
cat "$trace" >/dev/null

t0=$(now)
"$bin" report "$trace" >"$work/report.txt"
t1=$(now)
python3 -c '
import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n, "lines parsed", file=sys.stderr)
' "$trace"
t2=$(now)

pt=$(echo "$t1 - $t0" | bc -l)
py=$(echo "$t2 - $t1" | bc -l)
ratio=$(echo "$pt / $py" | bc -l)
printf 'pipetrace report: %.3f s\npython json.loads loop: %.3f s\nratio: %.3f x Python (target <= 0.3)\n' "$pt" "$py" "$ratio"
head -12 "$work/report.txt"
