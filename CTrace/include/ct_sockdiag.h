// UNIX socket facts from NETLINK_SOCK_DIAG, as `ss -x` reads them: the peer of a connected stream
// socket or socketpair end. Swift cannot lay out the netlink request and walk its attributes cleanly.
#ifndef CT_SOCKDIAG_H
#define CT_SOCKDIAG_H
#include <stdint.h>

#pragma clang assume_nonnull begin

typedef struct {
  uint32_t inode;
  // Inode of the connected peer socket, 0 when it has none (listening, unconnected, peer closed).
  uint32_t peer;
  // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5.
  uint8_t type;
  // TCP_ESTABLISHED 1, TCP_CLOSE 7, TCP_LISTEN 10 (the kernel reuses the TCP state numbers).
  uint8_t state;
  // Bound address: a path, '@' then the name for an abstract address, "" when unbound. NUL-terminated.
  char name[110];
} ct_unix_socket;

// Looks up one UNIX socket of this network namespace by inode. Returns 0, or -errno (-ENOENT: not a
// UNIX socket here, -EPROTONOSUPPORT/-ENOENT when the kernel lacks unix_diag).
int ct_unix_socket_lookup(uint32_t inode, ct_unix_socket *out);

#pragma clang assume_nonnull end
#endif
