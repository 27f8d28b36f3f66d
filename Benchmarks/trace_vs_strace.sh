#!/usr/bin/env bash
# Times the same workloads under pipetrace and strace (same syscall set, output to a file) in one
# run and prints ratios. Usage: Benchmarks/trace_vs_strace.sh [REPEATS]   (default 3; median shown)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
swift build -c release >/dev/null
pt=.build/release/pipetrace
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

. Benchmarks/lib.sh

small="dd if=/dev/zero of=/dev/null bs=1 count=20000"
big="dd if=/dev/zero of=/dev/null bs=1 count=1000000"

echo "workload 1: $small, -e trace=read,write (every call stops)"
s1=$(time_cmd strace -f -ttt -T -y -o "$out/s1" -e trace=read,write $small)
p1=$(time_cmd $pt -o "$out/p1" -e trace=read,write -- $small)
b1=$(time_cmd strace -f --seccomp-bpf -ttt -T -y -o "$out/b1" -e trace=read,write $small)
printf '  strace -f -ttt -T -y            %8ss\n' "$s1"
printf '  strace --seccomp-bpf -ttt -T -y %8ss\n' "$b1"
printf '  pipetrace                       %8ss\n' "$p1"
printf '  lines: strace %s, pipetrace %s\n' "$(wc -l <"$out/s1")" "$(wc -l <"$out/p1")"
printf '  ratio pipetrace/strace = %s (target <= 0.85)\n' "$(ratio "$p1" "$s1")"
printf '  ratio pipetrace/strace --seccomp-bpf = %s\n' "$(ratio "$p1" "$b1")"

echo "workload 2: $big, -e trace=close,wait4 (the traced set is rare)"
# The floor of any seccomp-based tracer: the same program under an allow-everything filter, untraced.
cat >"$out/allow.c" <<'C'
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct sock_filter allow[] = {{0x06, 0, 0, 0x7fff0000}};
  struct sock_fprog prog = {1, allow};
  if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) return 126;
  execvp(argv[1], argv + 1);
  return 127;
}
C
cc -O2 -o "$out/allow" "$out/allow.c"
u2=$(time_cmd $big)
f2=$(time_cmd "$out/allow" $big)
p2=$(time_cmd $pt -o "$out/p2" -e trace=close,wait4 -- $big)
b2=$(time_cmd strace -f --seccomp-bpf -ttt -T -y -o "$out/b2" -e trace=close,wait4 $big)
printf '  untraced                        %8ss\n' "$u2"
printf '  untraced, allow-all seccomp     %8ss\n' "$f2"
printf '  strace --seccomp-bpf -ttt -T -y %8ss\n' "$b2"
printf '  pipetrace                       %8ss\n' "$p2"
printf '  ratio pipetrace/untraced = %s (target <= 1.1)\n' "$(ratio "$p2" "$u2")"
printf '  ratio strace --seccomp-bpf/untraced = %s\n' "$(ratio "$b2" "$u2")"
printf '  ratio allow-all seccomp/untraced = %s (the floor for any seccomp filter)\n' "$(ratio "$f2" "$u2")"
