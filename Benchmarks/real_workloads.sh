#!/usr/bin/env bash
# Real workloads, traced by pipetrace and by strace in one run, against the untraced run:
#   1. `make -j2` of a generated 40-file C project (gcc -pipe), the default pipe set, launch mode;
#      beside it the floor of any ptrace tracer here (Benchmarks/ptrace_floor.c: the same stops,
#      nothing done at them), with and without exit stops.
#      `pipetrace run` (process lifetimes only) with its stuck detector on (--stuck-after 5, the
#      default: /proc read per task every 1.25 s) and off (--stuck-after 0).
#   2. N rounds of fork + SIGKILL + waitpid (strace's kill_child pattern), idle and with the machine
#      busy (one CPU-bound loop per CPU running beside it): the tracer's spin-before-sleep must help
#      the first and not hurt the second.
# Each case is run in turns (untraced, strace, pipetrace) TURNS times; the best time of each is kept,
# because this VM's speed drifts by a third within a minute.
# Usage: Benchmarks/real_workloads.sh [TURNS=3] [ROUNDS=2000]   (WORKLOADS="1" runs only the first)
set -euo pipefail
cd "$(dirname "$0")/.."
turns=${1:-3}
rounds=${2:-2000}
swift build -c release >/dev/null
pt=$PWD/.build/release/pipetrace
work=$(mktemp -d)
busy=()
cleanup() {
  for p in "${busy[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The default set, spelled for strace.
set_list=read,readv,pread64,write,writev,close,close_range,pipe,pipe2,dup,dup2,dup3,fcntl,wait4,waitid,poll,ppoll,select,pselect6,epoll_wait,epoll_pwait,clone,clone3,fork,vfork,execve,execveat,exit_group,kill

now() { date +%s.%N; }
# Seconds for one run of "$@" (output discarded).
once() {
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>&1
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
min() { printf '%s\n' "$@" | sort -g | head -1; }
. Benchmarks/lib.sh  # ratio

# --- 1. make -j2 ---------------------------------------------------------------------------------
proj=$work/proj
. Benchmarks/c_project.sh
make_c_project "$proj"
# The floor: a tracer that stops where pipetrace and strace stop (same seccomp set, entry and exit)
# and does nothing else; and the same stopping at entries only.
cc -O2 -DTRACED="$(echo "$set_list" | sed 's/[a-z0-9_]\+/SYS_&/g')" -o "$work/ptrace_floor" Benchmarks/ptrace_floor.c
build() { make -s -C "$proj" clean >/dev/null; once "$@" make -s -C "$proj" -j2; }
echo "workload 1: make -j2 of 40 C files (gcc -pipe), default pipe set, best of $turns turns"
u=(); s=(); p=(); f=(); e=(); r=(); r0=()
for _ in $(seq "$turns"); do
  r+=("$(build "$pt" run --stuck-after 5 --)")
  r0+=("$(build "$pt" run --stuck-after 0 --)")
  u+=("$(build)")
  s+=("$(build strace -f --seccomp-bpf -ttt -T -y -o "$work/s.log" -e trace=$set_list)")
  p+=("$(build "$pt" -o "$work/p.log" --)")
  f+=("$(build "$work/ptrace_floor")")
  e+=("$(build env FLOOR_ENTRY_ONLY=1 "$work/ptrace_floor")")
done
u1=$(min "${u[@]}"); s1=$(min "${s[@]}"); p1=$(min "${p[@]}"); f1=$(min "${f[@]}"); e1=$(min "${e[@]}")
r1=$(min "${r[@]}"); r01=$(min "${r0[@]}")
printf '  untraced                                %7.3fs\n' "$u1"
printf '  strace -f --seccomp-bpf -ttt -T -y -e   %7.3fs  (%sx untraced)\n' "$s1" "$(ratio "$s1" "$u1")"
printf '  pipetrace                               %7.3fs  (%sx untraced, %sx strace; targets <= 1.2x, <= 1x)\n' \
  "$p1" "$(ratio "$p1" "$u1")" "$(ratio "$p1" "$s1")"
printf '  floor: stops only, entry and exit       %7.3fs  (%sx untraced)\n' "$f1" "$(ratio "$f1" "$u1")"
printf '  floor: stops only, entries only         %7.3fs  (%sx untraced)\n' "$e1" "$(ratio "$e1" "$u1")"
printf '  pipetrace run --stuck-after 5          %7.3fs  (%sx untraced, %sx run without the detector)\n' \
  "$r1" "$(ratio "$r1" "$u1")" "$(ratio "$r1" "$r01")"
printf '  pipetrace run --stuck-after 0 (off)     %7.3fs  (%sx untraced)\n' "$r01" "$(ratio "$r01" "$u1")"
printf '  lines: strace %s, pipetrace %s\n' "$(wc -l <"$work/s.log")" "$(wc -l <"$work/p.log")"

# --- 2. fork + SIGKILL + waitpid -----------------------------------------------------------------
case " ${WORKLOADS:-1 2} " in *" 2 "*) ;; *) exit 0 ;; esac
cat >"$work/forkkill.c" <<'C'
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  for (int i = 0; i < n; i++) {
    pid_t p = fork();
    if (p < 0) return 1;
    if (p == 0) for (;;) pause();
    kill(p, SIGKILL);
    int st;
    if (waitpid(p, &st, 0) != p) return 2;
  }
  return 0;
}
C
cc -O2 -o "$work/forkkill" "$work/forkkill.c"
forkkill() {
  local label=$1
  u=(); s=(); p=()
  for _ in $(seq "$turns"); do
    u+=("$(once "$work/forkkill" "$rounds")")
    s+=("$(once strace -f -o "$work/s.log" "$work/forkkill" "$rounds")")
    p+=("$(once "$pt" -o "$work/p.log" -- "$work/forkkill" "$rounds")")
  done
  u1=$(min "${u[@]}"); s1=$(min "${s[@]}"); p1=$(min "${p[@]}")
  printf '  %-5s untraced %7.3fs   strace -f %7.3fs   pipetrace %7.3fs   pipetrace/strace %s (target <= 1)\n' \
    "$label" "$u1" "$s1" "$p1" "$(ratio "$p1" "$s1")"
}
echo "workload 2: $rounds x (fork + SIGKILL + waitpid), best of $turns turns"
forkkill idle
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  busy+=("$!")
done
forkkill busy
