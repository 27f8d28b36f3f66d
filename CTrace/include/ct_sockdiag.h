// Socket facts from NETLINK_SOCK_DIAG, as `ss` reads them: a UNIX socket's peer and bound name (for
// `why`, and for -yy as strace prints them), an INET socket's addresses, a netlink socket's protocol
// and port. Swift cannot lay out the netlink requests and walk their attributes cleanly.
#ifndef CT_SOCKDIAG_H
#define CT_SOCKDIAG_H
#include <stddef.h>
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
  // 1 when `name` is an abstract address (its '@' stands for the leading NUL byte).
  uint8_t abstract;
} ct_unix_socket;

// Looks up one UNIX socket of this network namespace by inode. Returns 0, or -errno (-ENOENT: not a
// UNIX socket here, -EPROTONOSUPPORT/-ENOENT when the kernel lacks unix_diag).
int ct_unix_socket_lookup(uint32_t inode, ct_unix_socket *out);

typedef struct {
  // AF_INET or AF_INET6.
  uint8_t family;
  // The TCP state numbers (TCP_ESTABLISHED 1, TCP_LISTEN 10; UDP uses them too).
  uint8_t state;
  // Ports in host byte order; 0 when none.
  uint16_t source_port;
  uint16_t destination_port;
  // Addresses in network byte order: the first 4 bytes for AF_INET, all 16 for AF_INET6.
  uint8_t source[16];
  uint8_t destination[16];
} ct_inet_socket;

// Finds the socket with this inode among the sockets of `family` (AF_INET, AF_INET6) and
// `protocol` (IPPROTO_TCP, ...) in this network namespace (one dump, as strace -yy does: inet_diag
// has no lookup by inode). Returns 0, or -errno (-ENOENT: none has this inode, e.g. unbound).
int ct_inet_socket_lookup(uint32_t inode, int family, int protocol, ct_inet_socket *out);

// The inode of the socket on the other side of a connected INET socket on this machine: the one
// whose local address and port are `socket`'s remote ones and whose remote ones are its local ones
// (an exact inet_diag lookup, as `ss` filters). 0 and *inode set, or -errno (-ENOENT: no such
// socket here, i.e. the peer is on another machine or in another network namespace). *inode is 0
// for a connection the server has not accepted yet (no file, no inode).
int ct_inet_peer_lookup(const ct_inet_socket *socket, int protocol, uint32_t *inode);

// The inode of a socket of `family`/`protocol` listening on `port` (host byte order) at `address`
// (network byte order, as in ct_inet_socket) or at the wildcard address. 0, or -errno (-ENOENT).
int ct_inet_listener_lookup(int family, int protocol, uint16_t port, const uint8_t address[_Nonnull 16],
                            uint32_t *inode);

// The inode of the listening UNIX socket bound to `name` (as ct_unix_socket.name shows it: a path,
// or '@' and an abstract name). 0, or -errno (-ENOENT: none listens there).
int ct_unix_listener_lookup(const char *name, uint32_t *inode);

typedef struct {
  // NETLINK_ROUTE, NETLINK_AUDIT, ...
  uint32_t protocol;
  uint32_t port_id;
} ct_netlink_socket;

// Finds the netlink socket with this inode. Returns 0, or -errno.
int ct_netlink_socket_lookup(uint32_t inode, ct_netlink_socket *out);

// NETLINK_ROUTE's name without its prefix ("ROUTE"), NULL for a number the headers do not name.
const char *_Nullable ct_netlink_protocol_name(uint32_t protocol);

// The kernel's name of the protocol of the socket that `fd_path` (/proc/PID/fd/N) points to: its
// `system.sockprotoname` attribute ("TCP", "UNIX-STREAM", "UDPv6"), as strace -yy reads it, into
// `name` with a NUL. Returns its length, or -errno.
int ct_socket_protocol_of(const char *fd_path, char *name, size_t size);

// The family (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK) and protocol (IPPROTO_*, 0) of a socket whose
// kernel protocol name (the `system.sockprotoname` attribute of its fd: "TCP", "UNIX-STREAM",
// "UDPv6", ...) strace -yy decodes. Returns 0, or -1 for a name it does not.
int ct_socket_protocol_named(const char *name, int *family, int *protocol);

#pragma clang assume_nonnull end
#endif
