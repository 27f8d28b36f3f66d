#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address over the library's sources) and runs
# each for SECONDS (default 30) from the seed corpus in Fuzz/corpus. Crashes land in .build-fuzz/.
# Usage: Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
out=.build-fuzz
mkdir -p "$out/include" "$out/obj"
cp CTrace/include/*.h "$out/include/"
printf 'module CTrace {\n  umbrella header "CTrace.h"\n  export *\n}\n' >"$out/include/module.modulemap"
clang=$(dirname "$(command -v swiftc)")/clang
for c in CTrace/*.c; do
  [[ $(basename "$c") == regs_aarch64.c ]] && continue
  "$clang" -c -g -O1 -fsanitize=fuzzer-no-link,address -ICTrace/include "$c" -o "$out/obj/$(basename "$c" .c).o"
done
mapfile -t sources < <(find Sources/PipeTraceKit -name '*.swift' | sort)
status=0
for target in strace_log json_lines; do
  swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name PipeTraceKit -I "$out/include" \
    Fuzz/FuzzInput.swift "Fuzz/$target.swift" "${sources[@]}" "$out"/obj/*.o \
    -lunwind-ptrace -lunwind-generic -lunwind -llzma -o "$out/fuzz_$target"
  mkdir -p "$out/corpus_$target"
  echo "fuzz: $target for ${seconds}s"
  if ! "$out/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
      -artifact_prefix="$out/crash_${target}_" "$out/corpus_$target" "Fuzz/corpus/$target" 2>"$out/$target.log"; then
    status=1
    tail -30 "$out/$target.log"
  fi
  grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$out/$target.log" | tail -1
done
exit $status
