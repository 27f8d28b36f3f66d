#!/usr/bin/env bash
# A deep fork chain (Tests/Fixtures/fork_chain.c: each process forks the next and waits for it, so
# every process of the chain is alive at the bottom), untraced, under pipetrace and under strace -f,
# one after the other. For each stretch of 1000 processes: the forks/s of each, pipetrace's and
# strace's rate as a share of the untraced one (1.00: as fast as untraced), and the tracers' RSS
# when the chain reached that depth (sampled every 0.2 s). Then pipetrace's rate at depth 1000 over
# its rate at the last stretch (steady: close to 1) and its RSS per live process between the first
# and the last mark (linear in live tasks: a constant). The machine's load average is printed
# before each run: on a shared machine the rates follow the load, compare the ratios.
# Usage: Benchmarks/fork_chain.sh [DEPTH [MODE]]
#   DEPTH: default 10000 (needs pid_max and threads-max above it: 10,000 live processes).
#   MODE:  exec (default): each child execs the program again: fork, exec, wait;
#          fork: a plain fork chain. There the kernel's own cost grows with depth, traced or not:
#          every process links to the anon_vmas of all its ancestors (slab anon_vma_chain, quadratic
#          in depth: about 5 GB at depth 3500, forks slowing to a few per second). That is the
#          "13 GB, 4.5 forks/s after 5800" of issue 20; it shows here as the untraced column.
# PIPETRACE: the binary (default: the release build of this tree, built if needed).
# STRACE_DEPTH: how deep strace -f goes (default DEPTH; 0: no strace run). strace slows down with
#   depth (each of its waitpid(-1) walks every tracee): 10,000 takes it many minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
depth=${1:-10000}
mode=${2:-exec}
strace_depth=${STRACE_DEPTH:-$depth}
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
extra=()
[[ $mode == exec ]] && extra+=(exec)

# run NAME DEPTH CMD...: the chain's marks (`DEPTH SECONDS`) in $tmp/NAME.marks, time's report
# (`WALL PEAK_KB`) in $tmp/NAME.time and, for a tracer, `DEPTH RSS_KB` samples in $tmp/NAME.rss.
run() {
  local name=$1 d=$2
  shift 2
  echo "$name: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "%e %M" -o "$tmp/$name.time" "$@" "$tmp/fork_chain" "$d" "$every" "${extra[@]}" \
    >"$tmp/$name.marks" 2>/dev/null &
  local timer=$! tracer=""
  : >"$tmp/$name.rss"
  while kill -0 "$timer" 2>/dev/null; do
    sleep 0.2
    [[ $name == untraced ]] && continue
    [[ -n $tracer ]] || tracer=$(pgrep -P "$timer" | head -n 1) || true
    [[ -n $tracer ]] || continue
    local rss
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$tracer/status" 2>/dev/null) || true
    [[ -n $rss ]] && echo "$(awk 'END {print $1 + 0}' "$tmp/$name.marks") $rss" >>"$tmp/$name.rss"
  done
  wait "$timer" || true
}
run untraced "$depth"
run pipetrace "$depth" "$PIPETRACE" -o /dev/null --
if ((strace_depth > 0)) && command -v strace >/dev/null; then
  run strace "$strace_depth" strace -f -o /dev/null
fi

# Per tracer: `DEPTH FORKS/S` for each stretch between marks (the first from process 1),
# and `DEPTH RSS_MB`: the largest RSS sampled while the chain was at that mark.
for name in untraced pipetrace strace; do
  [[ -f $tmp/$name.marks ]] || continue
  awk '$1 ~ /^[0-9]+$/ && NF == 2 {if (n++) printf "%s %.1f\n", $1, ($1 - pd) / ($2 - prev); prev = $2; pd = $1}' \
    "$tmp/$name.marks" >"$tmp/$name.rate"
  [[ -f $tmp/$name.rss ]] && awk '{if ($2 > m[$1]) m[$1] = $2} END {for (d in m) if (d > 0) printf "%s %.1f\n", d, m[d] / 1024}' \
    "$tmp/$name.rss" | sort -n >"$tmp/$name.mem"
done

printf '%-7s %10s %10s %10s %9s %9s %8s %8s\n' depth untraced/s pipetrace/s strace/s pt/untr st/untr pt_MB st_MB
awk -v dir="$tmp" '
  function load(name, kind, into,   f, line, a) {
    f = dir "/" name "." kind
    while ((getline line < f) > 0) { split(line, a, " "); into[a[1]] = a[2]; depths[a[1]] = 1 }
  }
  function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
  function show(v) { return v == "" ? "-" : v }
  BEGIN {
    load("untraced", "rate", u); load("pipetrace", "rate", p); load("strace", "rate", s)
    load("pipetrace", "mem", pm); load("strace", "mem", sm)
    n = asorti(depths, sorted, "@ind_num_asc")
    for (i = 1; i <= n; i++) {
      d = sorted[i]
      printf "%-7s %10s %10s %10s %9s %9s %8s %8s\n", d, show(u[d]), show(p[d]), show(s[d]),
        ratio(p[d], u[d]), ratio(s[d], u[d]), show(pm[d]), show(sm[d])
    }
  }'
for name in untraced pipetrace strace; do
  [[ -f $tmp/$name.time ]] || continue
  # time's last line (a killed run has "Command terminated by signal N" before it).
  wall=? kb=0
  read -r wall kb < <(tail -n 1 "$tmp/$name.time") || true
  [[ $kb =~ ^[0-9]+$ ]] || kb=0
  reached=$(awk '$1 ~ /^[0-9]+$/ {d = $1} END {print d + 0}' "$tmp/$name.marks")
  summary="$name: depth $reached, wall ${wall} s"
  [[ $name != untraced ]] && summary+=", peak RSS $((kb / 1024)) MB"
  if [[ $name != untraced && -s $tmp/$name.rate ]]; then
    # Steadiness: the first timed stretch's rate over the last one's (1.0: no slowdown).
    summary+=$(awk 'NR == 1 {f = $2; fd = $1} {l = $2; ld = $1} END {printf ", forks/s at %s over at %s: %.2f", fd, ld, f / l}' "$tmp/$name.rate")
  fi
  if [[ $name != untraced && -s $tmp/$name.mem ]]; then
    # Memory per live process: the RSS growth between the first and the last mark, per process.
    summary+=$(awk 'NR == 1 {d0 = $1; m0 = $2} {d1 = $1; m1 = $2} END {if (d1 > d0) printf ", RSS %.1f MB at %s, %.1f MB at %s: %.2f KB per live process", m0, d0, m1, d1, (m1 - m0) * 1024 / (d1 - d0)}' "$tmp/$name.mem")
  fi
  echo "$summary"
done
echo "(mode $mode; forks/s over each stretch of $every processes ending at that depth; pt/untr, st/untr: the tracer's rate over the untraced one; *_MB: the tracer's RSS there)"
