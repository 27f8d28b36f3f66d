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
