#!/usr/bin/env bash
# A deep fork chain (Tests/Fixtures/fork_chain.c: each process forks the next and waits for it, so
# every process of the chain is alive at the bottom), untraced, under pipetrace and under strace -f:
# forks/s over each stretch of 1000 (at depth 1000, 5000, 10000, ...), the wall time and the
# tracer's peak RSS (/usr/bin/time). Usage: Benchmarks/fork_chain.sh [DEPTH [MODE]]
#   DEPTH: default 10000 (needs pid_max and threads-max above it: 10,000 live processes).
#   MODE:  exec (default): each child execs the program again: fork, exec, wait;
#          fork: a plain fork chain. There the kernel's own cost grows with depth, traced or not:
#          every process links to the anon_vmas of all its ancestors (slab anon_vma_chain, quadratic
#          in depth: about 5 GB at depth 3500, forks slowing to a few per second). That is the
#          "13 GB, 4.5 forks/s after 5800" of issue 20; it shows here as the untraced column.
# PIPETRACE: the binary (default: the release build of this tree, built if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
depth=${1:-10000}
mode=${2:-exec}
every=1000
if ((depth < 2 * every)); then every=$((depth / 4 > 0 ? depth / 4 : 1)); fi
pid_max=$(cat /proc/sys/kernel/pid_max)
if ((depth + 1000 > pid_max)); then echo "pid_max is $pid_max: too small for depth $depth" >&2; exit 1; fi
if [[ -z ${PIPETRACE:-} ]]; then
  swift build -c release --product pipetrace >/dev/null
  PIPETRACE=.build/release/pipetrace
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/fork_chain" Tests/Fixtures/fork_chain.c
args=("$depth" "$every")
[[ $mode == exec ]] && args+=(exec)

# run NAME CMD...: the chain's own marks in $tmp/NAME.marks, time's report in $tmp/NAME.time.
run() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$tmp/$name.time" "$@" "$tmp/fork_chain" "${args[@]}" >"$tmp/$name.marks" 2>/dev/null || true
}
run untraced
run pipetrace "$PIPETRACE" -o /dev/null --
if command -v strace >/dev/null; then run strace strace -f -o /dev/null; fi

# Forks/s over each stretch between marks; the first stretch is timed from its own start.
rates() {
  awk -v every="$every" 'NR == 1 {prev = $2; next} {printf "%s:%.0f ", $1, every / ($2 - prev); prev = $2}' "$1"
}
printf '%-10s %-8s %-9s %-10s %s\n' tracer wall_s peak_MB depth forks/s_per_stretch
for name in untraced pipetrace strace; do
  [[ -f $tmp/$name.time ]] || continue
  # time's last line (a killed run has "Command terminated by signal N" before it).
  wall=? kb=0
  read -r wall kb < <(tail -n 1 "$tmp/$name.time") || true
  [[ $kb =~ ^[0-9]+$ ]] || kb=0
  reached=$(awk 'END {print $1}' "$tmp/$name.marks")
  rss=$([[ $name == untraced ]] && echo - || echo $((kb / 1024)))
  printf '%-10s %-8s %-9s %-10s %s\n' "$name" "$wall" "$rss" "${reached:-0}" "$(rates "$tmp/$name.marks")"
done
echo "(mode $mode; forks/s measured between the chain's marks every $every processes; peak_MB is the tracer's RSS)"
