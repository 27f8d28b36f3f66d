#define _GNU_SOURCE
#include "ct_sockdiag.h"
#include <endian.h>
#include <errno.h>
#include <linux/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

// TCP_LISTEN of the kernel's TCP states (UNIX sockets use it too), as ct_sockdiag.h documents.
#define TCP_LISTEN_STATE 10

_Static_assert(sizeof(((ct_unix_socket *)0)->name) >= sizeof(((struct sockaddr_un *)0)->sun_path) + 1,
               "name holds a whole sun_path and its NUL");
_Static_assert(SOCK_STREAM == 1 && SOCK_DGRAM == 2 && SOCK_SEQPACKET == 5, "type values documented in ct_sockdiag.h");
_Static_assert(sizeof(((ct_inet_socket *)0)->source) == sizeof(((struct inet_diag_sockid *)0)->idiag_src),
               "source holds idiag_src");
_Static_assert(sizeof(((ct_inet_socket *)0)->destination) == sizeof(((struct inet_diag_sockid *)0)->idiag_dst),
               "destination holds idiag_dst");
_Static_assert(AF_INET6 <= UINT8_MAX && AF_INET <= UINT8_MAX, "family fits ct_inet_socket.family");
_Static_assert(sizeof(((ct_netlink_socket *)0)->port_id) == sizeof(((struct netlink_diag_msg *)0)->ndiag_portid),
               "port_id holds ndiag_portid");

// A lookup in progress: the inode asked for (or `key`, what else identifies the socket wanted) and
// the caller's struct to fill.
typedef struct {
  uint32_t inode;
  const void *_Nullable key;
  void *out;
} lookup;

// One answer of a query: 1 when it was the socket asked for (stop), 0 to go on, -errno to give up.
typedef int (*diag_parser)(const struct nlmsghdr *h, lookup *l);

// The one netlink path: sends a SOCK_DIAG_BY_FAMILY request with `body` (the family's request
// struct; an exact lookup, or a dump when `dump`) and hands every answer to `parse` until it finds
// socket `inode` (or what `key` names, for the parser) or the kernel is done. `out` (`size` bytes) is zeroed, then filled by `parse`;
// zeroed again unless found. 0, or -errno (-ENOENT: not found).
static int sockdiag_lookup(uint32_t inode, const void *_Nullable key, const void *body, size_t length, int dump,
                           diag_parser parse, void *out,
                           size_t size) {
  memset(out, 0, size);
  struct {
    struct nlmsghdr nlh;
    union {
      struct unix_diag_req unix_request;
      struct inet_diag_req_v2 inet_request;
      struct netlink_diag_req netlink_request;
    } body;
  } request;
  if (length > sizeof request.body) return -EINVAL;
  memset(&request, 0, sizeof request);
  request.nlh.nlmsg_len = NLMSG_LENGTH(length);
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
  memcpy(&request.body, body, length);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  // The kernel always answers; the timeout only guards against the unexpected.
  struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &request, request.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  lookup l = {.inode = inode, .key = key, .out = out};
  // Large enough for any dump batch: the kernel sizes them by the largest buffer received into.
  long buffer[4096];
  int result = -ENOENT;
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = -errno;
      break;
    }
    if (n == 0) break;
    int done = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *err = NLMSG_DATA(h);
        result = err->error < 0 ? err->error : -ENOENT;
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_DONE) {
        done = 1;
        break;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      int r = parse(h, &l);
      if (r != 0) {
        result = r > 0 ? 0 : r;
        done = 1;
        break;
      }
    }
    if (done) break;
  }
  close(fd);
  if (result != 0) memset(out, 0, size);
  return result;
}

static void copy_name(ct_unix_socket *out, const unsigned char *data, size_t len) {
  if (len == 0) return;
  size_t n = len < sizeof out->name - 1 ? len : sizeof out->name - 1;
  memcpy(out->name, data, n);
  if (out->name[0] == '\0') {  // abstract address
    out->name[0] = '@';
    out->abstract = 1;
  }
  out->name[n] = '\0';
}

static int parse_unix(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg))) return -EPROTO;
  const struct unix_diag_msg *msg = NLMSG_DATA(h);
  if (msg->udiag_ino != l->inode) return 0;
  ct_unix_socket *out = l->out;
  out->inode = msg->udiag_ino;
  out->type = msg->udiag_type;
  out->state = msg->udiag_state;
  int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
  for (const struct rtattr *a = (const struct rtattr *)(msg + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
      memcpy(&out->peer, RTA_DATA(a), sizeof(uint32_t));
    } else if (a->rta_type == UNIX_DIAG_NAME && out->name[0] == '\0') {
      copy_name(out, RTA_DATA(a), RTA_PAYLOAD(a));
    }
  }
  return 1;
}

int ct_unix_socket_lookup(uint32_t inode, ct_unix_socket *out) {
  struct unix_diag_req request = {
      .sdiag_family = AF_UNIX,
      .udiag_states = ~0U,
      .udiag_ino = inode,
      .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER,
      .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE},  // any socket with this inode
  };
  return sockdiag_lookup(inode, NULL, &request, sizeof request, 0, parse_unix, out, sizeof *out);
}

static int parse_inet(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EPROTO;
  const struct inet_diag_msg *msg = NLMSG_DATA(h);
  if (msg->idiag_inode != l->inode) return 0;
  if (msg->idiag_family != AF_INET && msg->idiag_family != AF_INET6) return -EPROTO;
  ct_inet_socket *out = l->out;
  out->family = msg->idiag_family;
  out->state = msg->idiag_state;
  out->source_port = be16toh(msg->id.idiag_sport);
  out->destination_port = be16toh(msg->id.idiag_dport);
  memcpy(out->source, msg->id.idiag_src, sizeof out->source);
  memcpy(out->destination, msg->id.idiag_dst, sizeof out->destination);
  return 1;
}

int ct_inet_socket_lookup(uint32_t inode, int family, int protocol, ct_inet_socket *out) {
  struct inet_diag_req_v2 request = {
      .sdiag_family = (uint8_t)family,
      .sdiag_protocol = (uint8_t)protocol,
      .idiag_states = ~0U,
  };
  return sockdiag_lookup(inode, NULL, &request, sizeof request, 1, parse_inet, out, sizeof *out);
}

// An exact lookup answers with the one socket asked for, whatever its inode.
static int parse_inet_any(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EPROTO;
  const struct inet_diag_msg *msg = NLMSG_DATA(h);
  if (msg->idiag_state == TCP_LISTEN_STATE) return -ENOENT;  // inet_lookup's fallback: not a connection
  *(uint32_t *)l->out = msg->idiag_inode;
  return 1;
}

int ct_inet_peer_lookup(const ct_inet_socket *socket, int protocol, uint32_t *inode) {
  // The kernel finds the socket whose local end is id.idiag_src/sport and remote end idiag_dst/dport.
  struct inet_diag_req_v2 request = {
      .sdiag_family = socket->family,
      .sdiag_protocol = (uint8_t)protocol,
      .idiag_states = ~0U,
      .id = {.idiag_sport = htobe16(socket->destination_port),
             .idiag_dport = htobe16(socket->source_port),
             .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}},
  };
  memcpy(request.id.idiag_src, socket->destination, sizeof request.id.idiag_src);
  memcpy(request.id.idiag_dst, socket->source, sizeof request.id.idiag_dst);
  return sockdiag_lookup(0, NULL, &request, sizeof request, 0, parse_inet_any, inode, sizeof *inode);
}

// What a listener lookup wants: its port and address (a key the parser reads, not `out`).
typedef struct {
  uint16_t port;
  uint8_t address[16];
} listener_key;

static int parse_inet_listener(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EPROTO;
  const struct inet_diag_msg *msg = NLMSG_DATA(h);
  const listener_key *want = l->key;
  if (msg->idiag_state != TCP_LISTEN_STATE || be16toh(msg->id.idiag_sport) != want->port) return 0;
  static const uint8_t any[16];
  size_t size = msg->idiag_family == AF_INET ? 4 : 16;
  if (memcmp(msg->id.idiag_src, any, size) != 0 && memcmp(msg->id.idiag_src, want->address, size) != 0) return 0;
  *(uint32_t *)l->out = msg->idiag_inode;
  return 1;
}

int ct_inet_listener_lookup(int family, int protocol, uint16_t port, const uint8_t address[16], uint32_t *inode) {
  struct inet_diag_req_v2 request = {
      .sdiag_family = (uint8_t)family,
      .sdiag_protocol = (uint8_t)protocol,
      .idiag_states = 1U << TCP_LISTEN_STATE,
  };
  listener_key want = {.port = port};
  memcpy(want.address, address, sizeof want.address);
  return sockdiag_lookup(0, &want, &request, sizeof request, 1, parse_inet_listener, inode, sizeof *inode);
}

static int parse_unix_listener(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg))) return -EPROTO;
  const struct unix_diag_msg *msg = NLMSG_DATA(h);
  if (msg->udiag_state != TCP_LISTEN_STATE) return 0;
  ct_unix_socket found = {0};
  int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
  for (const struct rtattr *a = (const struct rtattr *)(msg + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == UNIX_DIAG_NAME) copy_name(&found, RTA_DATA(a), RTA_PAYLOAD(a));
  }
  if (found.name[0] == '\0' || strcmp(found.name, l->key) != 0) return 0;
  *(uint32_t *)l->out = msg->udiag_ino;
  return 1;
}

int ct_unix_listener_lookup(const char *name, uint32_t *inode) {
  struct unix_diag_req request = {
      .sdiag_family = AF_UNIX,
      .udiag_states = 1U << TCP_LISTEN_STATE,
      .udiag_show = UDIAG_SHOW_NAME,
  };
  return sockdiag_lookup(0, name, &request, sizeof request, 1, parse_unix_listener, inode, sizeof *inode);
}

static int parse_netlink(const struct nlmsghdr *h, lookup *l) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct netlink_diag_msg))) return -EPROTO;
  const struct netlink_diag_msg *msg = NLMSG_DATA(h);
  if (msg->ndiag_ino != l->inode) return 0;
  if (msg->ndiag_family != AF_NETLINK) return -EPROTO;
  ct_netlink_socket *out = l->out;
  out->protocol = msg->ndiag_protocol;
  out->port_id = msg->ndiag_portid;
  return 1;
}

int ct_netlink_socket_lookup(uint32_t inode, ct_netlink_socket *out) {
  struct netlink_diag_req request = {.sdiag_family = AF_NETLINK, .sdiag_protocol = NDIAG_PROTO_ALL};
  return sockdiag_lookup(inode, NULL, &request, sizeof request, 1, parse_netlink, out, sizeof *out);
}

const char *ct_netlink_protocol_name(uint32_t protocol) {
  switch (protocol) {
#define NAME(p) \
  case NETLINK_##p: return #p;
    NAME(ROUTE)
    NAME(UNUSED)
    NAME(USERSOCK)
    NAME(FIREWALL)
    NAME(SOCK_DIAG)
    NAME(NFLOG)
    NAME(XFRM)
    NAME(SELINUX)
    NAME(ISCSI)
    NAME(AUDIT)
    NAME(FIB_LOOKUP)
    NAME(CONNECTOR)
    NAME(NETFILTER)
    NAME(IP6_FW)
    NAME(DNRTMSG)
    NAME(KOBJECT_UEVENT)
    NAME(GENERIC)
    NAME(SCSITRANSPORT)
    NAME(ECRYPTFS)
    NAME(RDMA)
    NAME(CRYPTO)
    NAME(SMC)
#undef NAME
  default: return NULL;
  }
}

// strace's table of the protocols -yy decodes (socketutils.c), by the kernel's protocol names.
static const struct {
  const char *name;
  int family;
  int protocol;
} protocols[] = {
    {"UNIX", AF_UNIX, 0},
    {"UNIX-STREAM", AF_UNIX, 0},
    {"TCP", AF_INET, IPPROTO_TCP},
    {"UDP", AF_INET, IPPROTO_UDP},
    {"UDPLITE", AF_INET, IPPROTO_UDPLITE},
    {"DCCP", AF_INET, IPPROTO_DCCP},
    {"SCTP", AF_INET, IPPROTO_SCTP},
    {"L2TP/IP", AF_INET, IPPROTO_L2TP},
    {"PING", AF_INET, IPPROTO_ICMP},
    {"RAW", AF_INET, IPPROTO_RAW},
    {"TCPv6", AF_INET6, IPPROTO_TCP},
    {"UDPv6", AF_INET6, IPPROTO_UDP},
    {"UDPLITEv6", AF_INET6, IPPROTO_UDPLITE},
    {"DCCPv6", AF_INET6, IPPROTO_DCCP},
    {"SCTPv6", AF_INET6, IPPROTO_SCTP},
    {"L2TP/IPv6", AF_INET6, IPPROTO_L2TP},
    {"PINGv6", AF_INET6, IPPROTO_ICMP},
    {"RAWv6", AF_INET6, IPPROTO_RAW},
    {"NETLINK", AF_NETLINK, 0},
};

int ct_socket_protocol_of(const char *fd_path, char *name, size_t size) {
  if (size == 0) return -EINVAL;
  ssize_t n = getxattr(fd_path, "system.sockprotoname", name, size - 1);
  if (n < 0) return -errno;
  name[n] = '\0';  // the kernel's text may or may not end in one
  return (int)strlen(name);
}

int ct_socket_protocol_named(const char *name, int *family, int *protocol) {
  for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
    if (strcmp(name, protocols[i].name) == 0) {
      *family = protocols[i].family;
      *protocol = protocols[i].protocol;
      return 0;
    }
  }
  return -1;
}
