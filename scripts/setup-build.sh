#!/usr/bin/env bash
# Installs what building and trying pipetrace needs on a Debian machine with Swift 6, and nothing
# else: libunwind-ptrace (libunwind-dev, linked with lzma: liblzma-dev), a C compiler for the C
# shim, and bash-completion, which loads the bash completion scripts/install.sh installs.
# The tests need more: bash .ci/setup (which runs this first).
set -euo pipefail
need=()
for package in libunwind-dev liblzma-dev bash-completion; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
command -v cc >/dev/null 2>&1 || need+=(gcc)
if ((${#need[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  echo "setup-build: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
