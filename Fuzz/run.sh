#!/usr/bin/env bash
# Builds the libFuzzer target (swiftc -sanitize=fuzzer,address over the library's sources) and runs
# it for SECONDS (default 30) from the seed corpus in Fuzz/corpus. Crashes land in .build-fuzz/.
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
# The engine's layers compiled as one module (each layer's Layer.swift only re-exports the one
# below, and the umbrella only re-exports the layers: neither is needed in one module).
mapfile -t sources < <(find Sources/PipeTrace*/ -name '*.swift' ! -name Layer.swift ! -path 'Sources/PipeTraceKit/*' | sort)
echo "fuzz: building (swiftc -sanitize=fuzzer,address)"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name PipeTraceKit -package-name pipetrace -I "$out/include" \
  Fuzz/FuzzInput.swift Fuzz/readers.swift "${sources[@]}" "$out"/obj/*.o \
  -lunwind-ptrace -lunwind-generic -lunwind -llzma -o "$out/fuzz_readers" >"$out/build.log" 2>&1 \
  || { tail -30 "$out/build.log"; exit 1; }
mkdir -p "$out/corpus"
echo "fuzz: trace readers for ${seconds}s"
if "$out/fuzz_readers" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crash_" "$out/corpus" Fuzz/corpus 2>"$out/fuzz.log"; then
  grep -E "Done [0-9]+ runs" "$out/fuzz.log" | tail -1
else
  tail -40 "$out/fuzz.log"
  exit 1
fi
