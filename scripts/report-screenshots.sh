#!/usr/bin/env bash
# The README's pictures of `pipetrace report --format html`, made from real traces and rendered by
# headless Chromium: docs/report-seed.png (the seed hang: Python's communicate() on a script that
# leaves `sleep` holding the pipe, diagnosed after 1 s and unstuck after 2 s) and
# docs/report-make.png (`make -j2` of the generated 40-file C project, Benchmarks/c_project.sh).
# Usage: scripts/report-screenshots.sh [PIPETRACE=.build/debug/pipetrace]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pt=${1:-}
if [ -z "$pt" ]; then swift build >/dev/null; pt=$root/.build/debug/pipetrace; fi
chromium=$(command -v chromium || command -v chromium-browser) || { echo "chromium is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=$(python3 -c 'import sys; print(sys.executable)')  # the interpreter, not a version manager's shim
# Named `pipetrace` on PATH, so the commands the report shows are spelled as a user types them.
mkdir "$work/bin"
ln -s "$(cd "$(dirname "$pt")" && pwd)/$(basename "$pt")" "$work/bin/pipetrace"
export PATH="$work/bin:$PATH"
pt=pipetrace

shot() {  # shot REPORT.html OUT.png
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1320,860 --screenshot="$2" "file://$1" >/dev/null 2>&1
  echo "$2: $(stat -c %s "$2") bytes"
}

# The seed hang: the sleeper outlives the fix by a second, so the trace ends by itself.
printf '#!/bin/sh\nsleep 4 &\necho start ok\n' >"$work/b.sh"
chmod +x "$work/b.sh"
(cd "$work" && "$pt" --json -o seed.jsonl --stuck-after 1 --unstick-after 2 -- "$python" -c \
  "import subprocess; print(subprocess.Popen('./b.sh', shell=True, stdout=subprocess.PIPE).communicate())" >/dev/null)
"$pt" report --format html -o "$work/seed.html" "$work/seed.jsonl"
shot "$work/seed.html" docs/report-seed.png

. Benchmarks/c_project.sh
make_c_project "$work/proj"
"$pt" --json -o "$work/make.jsonl" -- make -s -C "$work/proj" -j2 >/dev/null
"$pt" report --format html -o "$work/make.html" "$work/make.jsonl"
shot "$work/make.html" docs/report-make.png
