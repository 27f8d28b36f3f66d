#define _GNU_SOURCE
#include "ct_sockdiag.h"
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

_Static_assert(sizeof(((ct_unix_socket *)0)->name) >= sizeof(((struct sockaddr_un *)0)->sun_path) + 1,
               "name holds a whole sun_path and its NUL");
_Static_assert(SOCK_STREAM == 1 && SOCK_DGRAM == 2 && SOCK_SEQPACKET == 5, "type values documented in ct_sockdiag.h");

static void copy_name(ct_unix_socket *out, const unsigned char *data, size_t len) {
  if (len == 0) return;
  size_t n = len < sizeof out->name - 1 ? len : sizeof out->name - 1;
  memcpy(out->name, data, n);
  if (out->name[0] == '\0') out->name[0] = '@';  // abstract address
  out->name[n] = '\0';
}

int ct_unix_socket_lookup(uint32_t inode, ct_unix_socket *out) {
  memset(out, 0, sizeof *out);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  // The kernel always answers an exact request; the timeout only guards against the unexpected.
  struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    struct nlmsghdr nlh;
    struct unix_diag_req req;
  } request;
  memset(&request, 0, sizeof request);
  request.nlh.nlmsg_len = sizeof request;
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST;
  request.req.sdiag_family = AF_UNIX;
  request.req.udiag_states = ~0U;
  request.req.udiag_ino = inode;
  request.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER;
  request.req.udiag_cookie[0] = ~0U;  // INET_DIAG_NOCOOKIE: any socket with this inode
  request.req.udiag_cookie[1] = ~0U;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &request, sizeof request, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  long buffer[2048];
  int result = -ENOENT;
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = -errno;
      break;
    }
    int done = 0;
    struct nlmsghdr *h = (struct nlmsghdr *)buffer;
    for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
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
      struct unix_diag_msg *msg = NLMSG_DATA(h);
      if (msg->udiag_ino != inode) continue;
      out->inode = msg->udiag_ino;
      out->type = msg->udiag_type;
      out->state = msg->udiag_state;
      int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *msg));
      for (struct rtattr *a = (struct rtattr *)(msg + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          memcpy(&out->peer, RTA_DATA(a), sizeof(uint32_t));
        } else if (a->rta_type == UNIX_DIAG_NAME) {
          copy_name(out, RTA_DATA(a), RTA_PAYLOAD(a));
        }
      }
      result = 0;
      done = 1;
      break;
    }
    if (done) break;
  }
  close(fd);
  return result;
}
