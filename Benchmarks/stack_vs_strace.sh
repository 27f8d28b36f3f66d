#!/usr/bin/env bash
# pipetrace -k against strace -f -k on the same program (read() 3000 times from nested functions),
# same syscall set, in one run; then pipetrace's peak memory over 10x and 100x longer runs.
# Usage: Benchmarks/stack_vs_strace.sh [REPEATS]   (default 3; median shown)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
swift build -c release >/dev/null
pt=.build/release/pipetrace
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -g -O0 -o "$out/nested" Tests/Fixtures/nested_reads.c

. Benchmarks/lib.sh

s=$(time_cmd strace -f -k -e trace=read -o "$out/s.txt" "$out/nested" 3000)
p=$(time_cmd $pt -k -e trace=read -o "$out/p.txt" -- "$out/nested" 3000)
s0=$(time_cmd strace -f -e trace=read -o "$out/s0.txt" "$out/nested" 3000)
p0=$(time_cmd $pt -e trace=read -o "$out/p0.txt" -- "$out/nested" 3000)
printf 'strace -f -k      %8ss   (without -k %ss)\n' "$s" "$s0"
printf 'pipetrace -k      %8ss   (without -k %ss)\n' "$p" "$p0"
printf 'ratio pipetrace -k / strace -k = %s (target <= 0.5)\n' "$(ratio "$p" "$s")"
grep -q 'f3+0x' "$out/p.txt" && echo "frames: $(grep -c ' > ' "$out/p.txt") in pipetrace, $(grep -c ' > ' "$out/s.txt") in strace"

for n in 3000 30000 300000; do
  /usr/bin/time -f "%M" -o "$out/rss" $pt -k -e trace=read -o /dev/null -- "$out/nested" $n
  printf 'pipetrace -k over %6d reads: peak RSS %s KiB\n' "$n" "$(cat "$out/rss")"
done
