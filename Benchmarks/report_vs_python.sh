#!/usr/bin/env bash
# Times `pipetrace report` (release build) on a 1,000,000-event pipetrace JSON trace against a plain
# Python loop that only json.loads each line of the same file, in one run, and prints the ratio.
# Target: pipetrace <= 0.3x Python.
#
# The commands take turns, REPS times (default 3), and the best time of each is compared: on a
# shared VM the speed of the machine drifts by a third within a minute, and turns spread the drift
# over both. pipetrace reads ahead on a second thread when it has two CPUs; it is also timed held
# to one CPU (taskset), where wall time equals CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-1000000}
reps=${REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trace="$work/trace.jsonl"

swift build -c release --product pipetrace >/dev/null
bin=$(swift build -c release --show-bin-path)/pipetrace
python3 Benchmarks/generate_trace.py "$events" "$trace"
echo "trace: $(wc -l <"$trace") lines, $(du -h "$trace" | cut -f1); $(nproc) CPUs; best of $reps turns"
cat >"$work/loads.py" <<'EOF'
import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n, "lines parsed")
EOF

# One timing, appended to $work/NAME.times as "wall cpu".
measure() {
  local name=$1
  shift
  TIMEFORMAT='%R %U %S'
  { time "$@" >"$work/$name.out" 2>"$work/$name.err"; } 2>"$work/time"
  read -r real user sys <"$work/time"
  echo "$real $(echo "$user + $sys" | bc -l)" >>"$work/$name.times"
}

one_cpu=""
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then one_cpu=yes; fi
for _ in $(seq "$reps"); do
  measure pipetrace "$bin" report "$trace"
  measure python python3 "$work/loads.py" "$trace"
  if [ -n "$one_cpu" ]; then measure one_cpu taskset -c 0 "$bin" report "$trace"; fi
done
cat "$work/python.out"

best() { sort -n -k"$2" "$work/$1.times" | head -1 | cut -d' ' -f"$2"; }
all() { cut -d' ' -f1 "$work/$1.times" | tr '\n' ' '; }
pt_wall=$(best pipetrace 1); pt_cpu=$(best pipetrace 2)
py_wall=$(best python 1); py_cpu=$(best python 2)
printf 'pipetrace report:        %6.3f s wall, %6.3f s cpu   (walls: %s)\n' "$pt_wall" "$pt_cpu" "$(all pipetrace)"
if [ -n "$one_cpu" ]; then
  printf 'pipetrace report, 1 CPU: %6.3f s wall, %6.3f s cpu   (walls: %s)\n' "$(best one_cpu 1)" "$(best one_cpu 2)" "$(all one_cpu)"
fi
printf 'python json.loads loop:  %6.3f s wall, %6.3f s cpu   (walls: %s)\n' "$py_wall" "$py_cpu" "$(all python)"
printf 'ratio: %.3f x Python wall (target <= 0.3); cpu time over all threads %.3f x Python cpu\n' \
  "$(echo "$pt_wall / $py_wall" | bc -l)" "$(echo "$pt_cpu / $py_cpu" | bc -l)"
if [ -n "$one_cpu" ]; then
  printf 'ratio on 1 CPU: %.3f x Python wall\n' "$(echo "$(best one_cpu 1) / $py_wall" | bc -l)"
fi
head -12 "$work/pipetrace.out"
