#!/usr/bin/env bash
# -yy against -y, pipetrace against strace, on a program whose every traced call is on a socket
# (single-byte writes and reads over a socketpair and a TCP connection on 127.0.0.1), in one run:
# what decoding sockets costs once each socket is known (pipetrace and strace both keep a socket's
# text by inode; strace still reads each fd's link per call).
# Usage: Benchmarks/yy_vs_strace.sh [REPEATS] [ROUNDS]   (default 3 and 10000; median shown)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
rounds=${2:-10000}
swift build -c release >/dev/null
pt=.build/release/pipetrace
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

. Benchmarks/lib.sh

cat >"$out/chatter.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000, pair[2], one = 0;
  char c = 'x';
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair)) return 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0), t = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr *)&a, len) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) return 1;
  if (connect(t, (struct sockaddr *)&a, len)) return 1;
  int s = accept(l, NULL, NULL);
  for (int i = 0; i < n; i++) {
    one += write(pair[0], &c, 1) + read(pair[1], &c, 1);
    one += write(t, &c, 1) + read(s, &c, 1);
  }
  return one == 4 * n ? 0 : 1;
}
C
cc -O2 -o "$out/chatter" "$out/chatter.c"
work="$out/chatter $rounds"

sy=$(time_cmd strace -f -y -o "$out/sy" -e trace=read,write $work)
syy=$(time_cmd strace -f -yy -o "$out/syy" -e trace=read,write $work)
py=$(time_cmd $pt -y -o "$out/py" -e trace=read,write -- $work)
pyy=$(time_cmd $pt -yy -o "$out/pyy" -e trace=read,write -- $work)
echo "$work: $((4 * rounds)) socket reads and writes, -e trace=read,write"
printf '  strace -f -y      %8ss\n' "$sy"
printf '  strace -f -yy     %8ss\n' "$syy"
printf '  pipetrace -y      %8ss\n' "$py"
printf '  pipetrace -yy     %8ss\n' "$pyy"
printf '  lines with TCP:[: strace %s, pipetrace %s\n' "$(grep -c 'TCP:\[' "$out/syy")" "$(grep -c 'TCP:\[' "$out/pyy")"
printf '  ratio pipetrace -yy / pipetrace -y = %s\n' "$(ratio "$pyy" "$py")"
printf '  ratio pipetrace -yy / strace -yy = %s\n' "$(ratio "$pyy" "$syy")"
printf '  ratio strace -yy / strace -y = %s\n' "$(ratio "$syy" "$sy")"
