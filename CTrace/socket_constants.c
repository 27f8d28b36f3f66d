// The socket tables of ct_decode.h. The kernel's UAPI headers have no AF_* or SOCK_* (they live in
// the kernel's private include/linux/socket.h and net.h), so these come from glibc's <sys/socket.h>,
// which copies the kernel's values; kept apart from decode_constants.c, whose UAPI headers clash
// with glibc's.
#include "ct_decode.h"
#include <stddef.h>
#include <sys/socket.h>

#define X(name) {(uint64_t)(int64_t)(name), #name}
#define V(value, name) {(uint64_t)(int64_t)(value), name}

// strace's addrfams: AF_UNIX for 1 (not AF_LOCAL or AF_FILE), AF_NETLINK for 16 (not AF_ROUTE).
static const ct_xlat_entry address_families[] = {
    X(AF_UNSPEC), X(AF_UNIX), X(AF_INET), X(AF_AX25), X(AF_IPX), X(AF_APPLETALK), X(AF_NETROM),
    X(AF_BRIDGE), X(AF_ATMPVC), X(AF_X25), X(AF_INET6), X(AF_ROSE), X(AF_DECnet), X(AF_NETBEUI),
    X(AF_SECURITY), X(AF_KEY), X(AF_NETLINK), X(AF_PACKET), X(AF_ASH), X(AF_ECONET), X(AF_ATMSVC),
    X(AF_RDS), X(AF_SNA), X(AF_IRDA), X(AF_PPPOX), X(AF_WANPIPE), X(AF_LLC), X(AF_IB), X(AF_MPLS),
    X(AF_CAN), X(AF_TIPC), X(AF_BLUETOOTH), X(AF_IUCV), X(AF_RXRPC), X(AF_ISDN), X(AF_PHONET),
    X(AF_IEEE802154), X(AF_CAIF), X(AF_ALG), X(AF_NFC), X(AF_VSOCK), X(AF_KCM), X(AF_QIPCRTR),
    X(AF_SMC), X(AF_XDP), V(45, "AF_MCTP"),
};
// The type proper: the low bits (the kernel's SOCK_TYPE_MASK); the flags are above them.
static const ct_xlat_entry socket_types[] = {
    X(SOCK_STREAM), X(SOCK_DGRAM), X(SOCK_RAW), X(SOCK_RDM), X(SOCK_SEQPACKET), X(SOCK_DCCP), X(SOCK_PACKET),
};
static const ct_xlat_entry socket_type_flags[] = {X(SOCK_CLOEXEC), X(SOCK_NONBLOCK)};

_Static_assert(CT_SOCK_TYPE_MASK == 0xf, "the kernel's SOCK_TYPE_MASK (include/linux/net.h)");

#define TABLE(t) (ct_xlat){t, sizeof(t) / sizeof(t[0])}

ct_xlat ct_socket_xlat_table(int id) {
  switch (id) {
  case CT_XLAT_ADDRESS_FAMILIES: return TABLE(address_families);
  case CT_XLAT_SOCKET_TYPES: return TABLE(socket_types);
  case CT_XLAT_SOCKET_TYPE_FLAGS: return TABLE(socket_type_flags);
  default: return (ct_xlat){NULL, 0};
  }
}
