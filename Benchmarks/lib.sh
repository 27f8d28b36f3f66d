# Shared by the benchmark scripts: source it after setting `repeats`.

# Median wall seconds of $repeats runs of "$@" (output discarded).
time_cmd() {
  local times=()
  for _ in $(seq "$repeats"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

ratio() { echo "scale=3; $1 / $2" | bc -l; }

# The binary scripts/install.sh installs (release, Swift runtime linked statically), built if
# needed, for the benchmarks where start-up time counts (why, run, --inject-close: one short
# command each). Prints its path.
installed_pipetrace() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  (cd "$root" && swift build -c release --static-swift-stdlib --scratch-path .build-static --product pipetrace >/dev/null)
  echo "$root/.build-static/release/pipetrace"
}

# The seed hang the `why` benchmarks explain: python communicate() on a script that backgrounds a
# sleeper holding the pipe. Sets $work (a temporary directory) and $reader (python's pid) and a trap
# that ends both (by pid) and removes $work; returns once the reader sleeps in read(2).
plant_seed_hang() {
  work=$(mktemp -d)
  printf '#!/bin/sh\nsleep 300 &\necho $! > %s/sleeper.pid\necho start ok\n' "$work" > "$work/b.sh"
  chmod +x "$work/b.sh"
  python3 -c 'import subprocess,sys; subprocess.Popen(sys.argv[1], shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).communicate()' "$work/b.sh" &
  reader=$!
  trap end_seed_hang EXIT
  for _ in $(seq 500); do
    [ -s "$work/sleeper.pid" ] && [ "$(cut -d' ' -f1 /proc/$reader/syscall 2>/dev/null)" = 0 ] && break
    sleep 0.01
  done
}

end_seed_hang() {
  [ -s "$work/sleeper.pid" ] && kill "$(cat "$work/sleeper.pid")" 2>/dev/null || true
  kill "$reader" 2>/dev/null || true
  wait "$reader" 2>/dev/null || true
  rm -rf "$work"
}

# Total wall seconds of $reps runs of "$@" (output discarded, failures ignored).
time_runs() {  # prints total seconds for $reps runs of "$@"
  local start end
  start=$(date +%s.%N)
  for _ in $(seq "$reps"); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
