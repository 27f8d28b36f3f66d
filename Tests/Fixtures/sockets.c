// One of each socket -yy decodes, each used by write/read (the calls both pipetrace and strace
// decode): a socketpair, a UNIX stream listener bound to argv[1] with a connected pair, a UNIX
// datagram socket with an abstract name, TCP and UDP on 127.0.0.1 and ::1, a netlink socket; then
// a pipe, /dev/null and a pidfd, which -yy shows as -y does (or with their device numbers, their
// process). Where ::1 cannot be used it writes "no IPv6" to stdout instead of the IPv6 part.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[16];

static void check(int ok) {
  if (!ok) abort();
}

// write on `a`, read on `b`.
static void exchange(int a, int b) {
  check(write(a, "x", 1) == 1);
  check(read(b, buf, 1) == 1);
}

// A connected TCP pair through a listener on `addr` (port 0: the kernel picks one); 0 when the
// address cannot be bound.
static int tcp(struct sockaddr *addr, socklen_t len, int *client, int *server) {
  int l = socket(addr->sa_family, SOCK_STREAM, 0);
  if (l < 0 || bind(l, addr, len) != 0) return 0;
  check(listen(l, 1) == 0);
  // The listener itself: `TCP:[127.0.0.1:PORT]`. A read on it fails (not connected; a write
  // would raise SIGPIPE).
  check(read(l, buf, 1) < 0);
  struct sockaddr_storage bound;
  socklen_t n = sizeof bound;
  check(getsockname(l, (struct sockaddr *)&bound, &n) == 0);
  *client = socket(addr->sa_family, SOCK_STREAM, 0);
  check(connect(*client, (struct sockaddr *)&bound, n) == 0);
  *server = accept(l, NULL, NULL);
  check(*server >= 0);
  close(l);
  return 1;
}

// A UDP socket written to before it has an address (strace's `UDP:[INODE]`, the write fails),
// then connected to a second one: `UDP:[127.0.0.1:P->127.0.0.1:Q]`.
static int udp(struct sockaddr *addr, socklen_t len) {
  int r = socket(addr->sa_family, SOCK_DGRAM, 0);
  if (r < 0 || bind(r, addr, len) != 0) return 0;
  struct sockaddr_storage bound;
  socklen_t n = sizeof bound;
  check(getsockname(r, (struct sockaddr *)&bound, &n) == 0);
  int s = socket(addr->sa_family, SOCK_DGRAM, 0);
  check(write(s, "x", 1) < 0);
  check(connect(s, (struct sockaddr *)&bound, n) == 0);
  exchange(s, r);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) return 2;

  int pair[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  exchange(pair[0], pair[1]);

  struct sockaddr_un path = {.sun_family = AF_UNIX};
  strcpy(path.sun_path, argv[1]);
  unlink(argv[1]);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  check(bind(listener, (struct sockaddr *)&path, sizeof path) == 0);
  check(listen(listener, 1) == 0);
  check(write(listener, "x", 1) < 0);
  int client = socket(AF_UNIX, SOCK_STREAM, 0);
  check(connect(client, (struct sockaddr *)&path, sizeof path) == 0);
  int accepted = accept(listener, NULL, NULL);
  check(accepted >= 0);
  exchange(client, accepted);
  exchange(accepted, client);
  unlink(argv[1]);

  struct sockaddr_un abstract = {.sun_family = AF_UNIX};
  memcpy(abstract.sun_path, "\0pipetrace-yy\"test", 18);
  int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  check(bind(dgram, (struct sockaddr *)&abstract, offsetof(struct sockaddr_un, sun_path) + 18) == 0);
  check(write(dgram, "x", 1) < 0);

  int c4, s4;
  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  check(tcp((struct sockaddr *)&v4, sizeof v4, &c4, &s4));
  exchange(c4, s4);
  exchange(s4, c4);
  check(udp((struct sockaddr *)&v4, sizeof v4));

  int c6, s6;
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (tcp((struct sockaddr *)&v6, sizeof v6, &c6, &s6) && udp((struct sockaddr *)&v6, sizeof v6)) {
    exchange(c6, s6);
  } else {
    check(write(1, "no IPv6\n", 8) == 8);
  }

  int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  check(nl >= 0 && bind(nl, (struct sockaddr *)&local, sizeof local) == 0);
  // A netlink message with no header: the kernel takes and ignores it.
  check(write(nl, "", 0) >= 0 || 1);

  int p[2];
  check(pipe(p) == 0);
  exchange(p[1], p[0]);
  int null = open("/dev/null", O_WRONLY);
  check(write(null, "x", 1) == 1);
  int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  // A pidfd has no read or write; a read fails (EINVAL) and shows it.
  if (pidfd >= 0) check(read(pidfd, buf, 1) < 0);
  return 0;
}
