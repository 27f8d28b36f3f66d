#!/usr/bin/env bash
# Peak memory (maximum resident set size, /usr/bin/time -v) of `pipetrace run` capturing 100 MB and
# 1 GB of output, in one run: this tree (plain, --json and --tee), the commit before the capture was
# bounded (built once in a clone under .build/bench-before), and Python's
# subprocess.run(capture_output=True) on the same command as the reference.
# Usage: Benchmarks/run_memory.sh [SIZES...]   (default: 100000000 1000000000 bytes)
# The old capture takes about 20 bytes of memory per byte of output: it runs with its address space
# capped at BEFORE_CAP_GB (default 8) so that it aborts instead of taking the machine's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(100000000 1000000000)
before_rev=${BEFORE:-0830c74}
cap_gb=${BEFORE_CAP_GB:-8}

swift build -c release >/dev/null
after=.build/release/pipetrace
old=.build/bench-before/$before_rev
if [[ ! -x $old/.build/release/pipetrace ]]; then
  echo "building $before_rev in $old (once)" >&2
  rm -rf "$old"
  git clone -q --no-checkout . "$old"
  git -C "$old" checkout -q "$before_rev"
  (cd "$old" && swift build -c release >/dev/null)
fi
before=$old/.build/release/pipetrace

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# peak NAME CMD...: "MB status" of CMD (stdout discarded, stderr kept in $tmp/NAME.err).
peak() {
  local name=$1 status=0
  shift
  /usr/bin/time -v -o "$tmp/time" "$@" >/dev/null 2>"$tmp/$name.err" || status=$?
  local kb
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
  echo "$((kb / 1024)) $status"
}
show() {  # label, NAME, "MB status"
  local mb=${3% *} status=${3#* }
  if [[ $status == 0 ]]; then
    printf '  %-44s %7s MB\n' "$1" "$mb"
  else
    local why
    why=$(grep -a -m1 'Fatal error' "$tmp/$2.err" || grep -a -m1 -v '^$' "$tmp/$2.err" || true)
    printf '  %-44s %7s MB  (failed, exit %s: %s)\n' "$1" "$mb" "$status" "${why:0:80}"
  fi
}

for n in "${sizes[@]}"; do
  cmd="yes | head -c $n"
  echo "output: $n bytes ($cmd)"
  py=$(peak py python3 -c 'import subprocess, sys
r = subprocess.run(["/bin/sh", "-c", sys.argv[1]], capture_output=True)
assert len(r.stdout) == int(sys.argv[2])' "$cmd" "$n")
  old_plain=$(ulimit -v $((cap_gb * 1024 * 1024)); peak before "$before" run -c "$cmd")
  new_plain=$(peak plain "$after" run -c "$cmd")
  new_json=$(peak json "$after" run --json -c "$cmd")
  new_tee=$(peak tee "$after" run --tee -c "$cmd")
  show "python3 subprocess.run(capture_output=True)" py "$py"
  show "pipetrace run, before ($before_rev, cap ${cap_gb} GB)" before "$old_plain"
  show "pipetrace run, after" plain "$new_plain"
  show "pipetrace run --json, after" json "$new_json"
  show "pipetrace run --tee, after" tee "$new_tee"
  vs_before="before failed (its peak is where it aborted)"
  [[ ${old_plain#* } == 0 ]] && vs_before=$(echo "scale=4; ${new_plain% *} / ${old_plain% *}" | bc -l)
  printf '  ratio after/python: run %s, --json %s, --tee %s; after/before: %s\n' \
    "$(echo "scale=3; ${new_plain% *} / ${py% *}" | bc -l)" \
    "$(echo "scale=3; ${new_json% *} / ${py% *}" | bc -l)" \
    "$(echo "scale=3; ${new_tee% *} / ${py% *}" | bc -l)" "$vs_before"
done
