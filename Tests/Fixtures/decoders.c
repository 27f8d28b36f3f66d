// Makes the calls the syscall decoders must print exactly and writes, to stdout, the line strace
// prints for each (without pid, timestamp and duration; `@N@` stands for a number that varies,
// such as the time left). Built for x86_64 and with -m32 for i386; the lines are the same but for
// the few calls whose i386 name differs. Usage: decoders SECTION > FILE (a regular file: the
// lines are written at the end with one pwrite, a call no section traces).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __i386__
#define FCNTL_NR SYS_fcntl64
#define FCNTL "fcntl64"
#define SELECT_NR SYS__newselect
#define SELECT "_newselect"
#define HIGH(x) (x)
#else
#define FCNTL_NR SYS_fcntl
#define FCNTL "fcntl"
#define SELECT_NR SYS_select
#define SELECT "select"
// Garbage in the upper half of a register: the kernel reads only the C type's 32 bits.
#define HIGH(x) ((long)(x) | (long)0xdeadbeef00000000LL)
#endif

static char expected[1 << 16];
static size_t expected_len;
#define EXPECT(...) (expected_len += snprintf(expected + expected_len, sizeof expected - expected_len, __VA_ARGS__))

// `3<pipe:[1234]>`: the -y form of an fd.
static const char *fdy(int fd) {
  static char buf[8][300];
  static int n;
  char *b = buf[n++ % 8];
  char link[64], target[256];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, target, sizeof target - 1);
  if (len < 0) {
    snprintf(b, 300, "%d", fd);
    return b;
  }
  target[len] = 0;
  // strace -y prints a deleted file's mark after the brackets.
  const char *mark = " (deleted)";
  size_t m = strlen(mark);
  int deleted = len > (ssize_t)m && strcmp(target + len - m, mark) == 0;
  if (deleted) target[len - m] = 0;
  snprintf(b, 300, "%d<%s>%s", fd, target, deleted ? "(deleted)" : "");
  return b;
}

static void *unmapped_after(size_t *page) {
  long ps = sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p + ps, ps);
  *page = ps;
  return p + ps;
}

static void integers(void) {
  int fds[2];
  syscall(SYS_pipe2, fds, HIGH(O_NONBLOCK));
  EXPECT("pipe2([%s, %s], O_NONBLOCK) = 0\n", fdy(fds[0]), fdy(fds[1]));
  syscall(SYS_pipe2, NULL, HIGH(0));
  EXPECT("pipe2(NULL, 0) = -1 EFAULT (Bad address)\n");
  syscall(SYS_dup3, HIGH(fds[0]), HIGH(10), HIGH(7));
  EXPECT("dup3(%s, 10, 0x7 /* O_??? */) = -1 EINVAL (Invalid argument)\n", fdy(fds[0]));
  syscall(SYS_dup3, fds[0], 10, HIGH(O_CLOEXEC | 1));
  EXPECT("dup3(%s, 10, O_CLOEXEC|0x1) = -1 EINVAL (Invalid argument)\n", fdy(fds[0]));
  syscall(SYS_dup3, fds[0], 10, O_CLOEXEC);
  EXPECT("dup3(%s, 10, O_CLOEXEC) = %s\n", fdy(fds[0]), fdy(10));
  syscall(SYS_close_range, HIGH(-2), HIGH(-1), HIGH(1));
  EXPECT("close_range(4294967294, 4294967295, 0x1 /* CLOSE_RANGE_??? */) = -1 EINVAL (Invalid argument)\n");
  int null = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT("openat(AT_FDCWD, \"/dev/null\", O_RDONLY|O_CLOEXEC) = %s\n", fdy(null));
  char path[64];
  snprintf(path, sizeof path, "/tmp/pipetrace-decoders-%d", getpid());
  int f = openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0640);
  EXPECT("openat(AT_FDCWD, \"%s\", O_RDWR|O_CREAT|O_TRUNC, 0640) = %s\n", path, fdy(f));
  long r = syscall(FCNTL_NR, null, F_GETFD);
  EXPECT(FCNTL "(%s, F_GETFD) = %#lx (flags FD_CLOEXEC)\n", fdy(null), r);
  syscall(FCNTL_NR, f, F_SETFD, HIGH(FD_CLOEXEC));
  EXPECT(FCNTL "(%s, F_SETFD, FD_CLOEXEC) = 0\n", fdy(f));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  syscall(FCNTL_NR, f, F_SETLK, &fl);
  EXPECT(FCNTL "(%s, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=10}) = 0\n", fdy(f));
  struct f_owner_ex owner = {F_OWNER_PID, getpid()};
  syscall(FCNTL_NR, f, F_SETOWN_EX, &owner);
  EXPECT(FCNTL "(%s, F_SETOWN_EX, {type=F_OWNER_PID, pid=%d}) = 0\n", fdy(f), getpid());
  memset(&owner, 0, sizeof owner);
  syscall(FCNTL_NR, f, F_GETOWN_EX, &owner);
  EXPECT(FCNTL "(%s, F_GETOWN_EX, {type=F_OWNER_PID, pid=%d}) = 0\n", fdy(f), getpid());
  syscall(FCNTL_NR, f, F_SETFL, O_APPEND | O_NONBLOCK);
  EXPECT(FCNTL "(%s, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK) = 0\n", fdy(f));
  size_t ps;
  void *bad = unmapped_after(&ps);
  long w = write(f, bad, 5);
  EXPECT("write(%s, %p, 5) = %ld EFAULT (Bad address)\n", fdy(f), bad, w);
  write(f, "\377\200ab\n\"\\", 7);
  EXPECT("write(%s, \"\\377\\200ab\\n\\\"\\\\\", 7) = 7\n", fdy(f));
  unlink(path);
}

static void waits(void) {
  pid_t c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  int st;
  kill(c, SIGSTOP);
  EXPECT("kill(%d, SIGSTOP) = 0\n", c);
  wait4(c, &st, WSTOPPED, NULL);
  EXPECT("wait4(%d, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = %d\n", c, c);
  long r = wait4(c, &st, WNOHANG | WCONTINUED, NULL);
  EXPECT("wait4(%d, %p, WNOHANG|WCONTINUED, NULL) = %ld\n", c, (void *)&st, r);
  kill(c, SIGCONT);
  EXPECT("kill(%d, SIGCONT) = 0\n", c);
  wait4(c, &st, WCONTINUED, NULL);
  EXPECT("wait4(%d, [{WIFCONTINUED(s)}], WCONTINUED, NULL) = %d\n", c, c);
  kill(c, SIGKILL);
  EXPECT("kill(%d, SIGKILL) = 0\n", c);
  siginfo_t si;
  memset(&si, 0, sizeof si);  // the kernel writes only the fields up to si_status
  waitid(P_PID, c, &si, WEXITED);
  EXPECT("waitid(P_PID, %d, {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=%d, si_uid=%u, si_status=SIGKILL, "
         "si_utime=0, si_stime=0}, WEXITED, NULL) = 0\n", c, c, getuid());
  r = syscall(SYS_wait4, HIGH(-1), &st, HIGH(WNOHANG), NULL);
  EXPECT("wait4(-1, %p, WNOHANG, NULL) = -1 ECHILD (No child processes)\n", (void *)&st);
}

static void polls(void) {
  int p[2];
  syscall(SYS_pipe, p);
  EXPECT("pipe([%s, %s]) = 0\n", fdy(p[0]), fdy(p[1]));
  struct pollfd pf[3] = {{p[0], POLLIN, 0}, {-1, POLLIN, 0}, {p[1], POLLOUT, 0}};
  poll(pf, 2, 0);
  EXPECT("poll([{fd=%s, events=POLLIN}, {fd=-1}], 2, 0) = 0 (Timeout)\n", fdy(p[0]));
  write(p[1], "x", 1);
  EXPECT("write(%s, \"x\", 1) = 1\n", fdy(p[1]));
  poll(pf, 3, 0);
  EXPECT("poll([{fd=%s, events=POLLIN}, {fd=-1}, {fd=%s, events=POLLOUT}], 3, 0) = 2 "
         "([{fd=%d, revents=POLLIN}, {fd=%d, revents=POLLOUT}])\n", fdy(p[0]), fdy(p[1]), p[0], p[1]);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR2);
  sigaddset(&mask, SIGCHLD);
  struct timespec ts = {1, 0};
  syscall(SYS_ppoll, pf, HIGH(1), &ts, &mask, 8);
  EXPECT("ppoll([{fd=%s, events=POLLIN}], 1, {tv_sec=1, tv_nsec=0}, [USR2 CHLD], 8) = 1 "
         "([{fd=%d, revents=POLLIN}], left {tv_sec=0, tv_nsec=@N@})\n", fdy(p[0]), p[0]);
  fd_set in, out;
  FD_ZERO(&in);
  FD_ZERO(&out);
  FD_SET(p[0], &in);
  FD_SET(p[1], &out);
  struct timeval tv = {0, 500000};
  int nfds = p[1] + 1;
  syscall(SELECT_NR, nfds, &in, &out, NULL, &tv);
  EXPECT(SELECT "(%d, [%s], [%s], NULL, {tv_sec=0, tv_usec=500000}) = 2 (in [%d], out [%d], left {tv_sec=0, tv_usec=@N@})\n",
         nfds, fdy(p[0]), fdy(p[1]), p[0], p[1]);
  FD_ZERO(&in);
  FD_SET(p[0], &in);
  struct { void *set; unsigned long size; } sigmask = {&mask, 8};
  syscall(SYS_pselect6, nfds, &in, NULL, NULL, NULL, &sigmask);
  EXPECT("pselect6(%d, [%s], NULL, NULL, NULL, {sigmask=[USR2 CHLD], sigsetsize=8}) = 1 (in [%d])\n", nfds, fdy(p[0]), p[0]);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  EXPECT("epoll_create1(EPOLL_CLOEXEC) = %s\n", fdy(ep));
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
  EXPECT("epoll_ctl(%s, EPOLL_CTL_ADD, %s, {events=EPOLLIN, data=0x1234}) = 0\n", fdy(ep), fdy(p[0]));
  struct epoll_event got[4];
  syscall(SYS_epoll_wait, ep, got, 4, 0);
  EXPECT("epoll_wait(%s, [{events=EPOLLIN, data=0x1234}], 4, 0) = 1\n", fdy(ep));
}

static void iovecs(void) {
  int p[2];
  syscall(SYS_pipe, p);
  EXPECT("pipe([%s, %s]) = 0\n", fdy(p[0]), fdy(p[1]));
  struct iovec out[2] = {{"ab", 2}, {"cd", 2}};
  writev(p[1], out, 2);
  EXPECT("writev(%s, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cd\", iov_len=2}], 2) = 4\n", fdy(p[1]));
  char b1[3], b2[8];
  struct iovec in[2] = {{b1, 3}, {b2, 8}};
  readv(p[0], in, 2);
  EXPECT("readv(%s, [{iov_base=\"abc\", iov_len=3}, {iov_base=\"d\", iov_len=8}], 2) = 4\n", fdy(p[0]));
  size_t ps;
  char *end = unmapped_after(&ps);
  struct iovec *partial = (struct iovec *)(end - sizeof(struct iovec));
  partial->iov_base = "ef";
  partial->iov_len = 2;
  writev(p[1], partial, 2);
  EXPECT("writev(%s, [{iov_base=\"ef\", iov_len=2}, ... /* %p */], 2) = -1 EFAULT (Bad address)\n", fdy(p[1]),
         (void *)end);
  writev(p[1], (struct iovec *)end, 1);
  EXPECT("writev(%s, %p, 1) = -1 EFAULT (Bad address)\n", fdy(p[1]), (void *)end);
  char path[] = "/tmp/pipetrace-decoders-XXXXXX";
  int f = mkstemp(path);
  unlink(path);
  pwritev(f, out, 2, 0);
  EXPECT("pwritev(%s, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cd\", iov_len=2}], 2, 0) = 4\n", fdy(f));
  struct iovec back = {b2, 8};
  preadv(f, &back, 1, 1);
  EXPECT("preadv(%s, [{iov_base=\"bcd\", iov_len=8}], 1, 1) = 3\n", fdy(f));
}

static void clones(void) {
  struct clone_args a;
  memset(&a, 0, sizeof a);
  syscall(SYS_clone3, &a, 56);
  EXPECT("clone3(%p, 56) = -1 EINVAL (Invalid argument)\n", (void *)&a);
  a.exit_signal = SIGCHLD;
  long c = syscall(SYS_clone3, &a, 64);
  if (c == 0) syscall(SYS_exit_group, 0);
  EXPECT("clone3({flags=0, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 64) = %ld\n", c);
  waitpid(c, NULL, 0);
  int tid = 0;
  a.flags = CLONE_PARENT_SETTID;
  a.parent_tid = (uintptr_t)&tid;
  c = syscall(SYS_clone3, &a, 88);
  if (c == 0) syscall(SYS_exit_group, 0);
  EXPECT("clone3({flags=CLONE_PARENT_SETTID, parent_tid=%p, exit_signal=SIGCHLD, stack=NULL, stack_size=0} => "
         "{parent_tid=[%ld]}, 88) = %ld\n", (void *)&tid, c, c);
  waitpid(c, NULL, 0);
}

static void execs(void) {
  char *argv[40];
  char names[40][8];
  for (int i = 0; i < 33; i++) {
    snprintf(names[i], 8, "a%d", i);
    argv[i] = names[i];
  }
  argv[33] = NULL;
  char *envp[] = {NULL};
  execve("/nonexistent/prog", argv, envp);
  EXPECT("execve(\"/nonexistent/prog\", [");
  for (int i = 0; i < 32; i++) EXPECT("%s\"a%d\"", i ? ", " : "", i);
  EXPECT(", ...], %p /* 0 vars */) = -1 ENOENT (No such file or directory)\n", (void *)envp);
  size_t ps;
  char *end = unmapped_after(&ps);
  char **tail = (char **)(end - 2 * sizeof(char *));
  tail[0] = "x";
  tail[1] = end;  // an element that cannot be read
  execve("/nonexistent/prog", tail, NULL);
  const char *error = errno == EFAULT ? "EFAULT (Bad address)" : "ENOENT (No such file or directory)";
  EXPECT("execve(\"/nonexistent/prog\", [\"x\", %p, ... /* %p */], NULL) = -1 %s\n", (void *)end, (void *)end, error);
  // An envp whose terminator would be in the unmapped page.
  char *one[] = {"x", NULL};
  execve("/nonexistent/prog", one, tail);
  error = errno == EFAULT ? "EFAULT (Bad address)" : "ENOENT (No such file or directory)";
  EXPECT("execve(\"/nonexistent/prog\", [\"x\"], %p /* 2 vars, unterminated */) = -1 %s\n", (void *)tail, error);
  // An argv that straddles a page boundary (both pages mapped): read on past the first page.
  char *two = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char **across = (char **)(two + ps - 3 * sizeof(char *));
  for (int i = 0; i < 6; i++) across[i] = names[i];
  across[6] = NULL;
  execve("/nonexistent/prog", across, one);
  EXPECT("execve(\"/nonexistent/prog\", [\"a0\", \"a1\", \"a2\", \"a3\", \"a4\", \"a5\"], %p /* 1 var */) = -1 "
         "ENOENT (No such file or directory)\n", (void *)one);
  munmap(two, 2 * ps);
}

// The fd cache must follow a close it does not show: fd 4 is a pipe, then /dev/null.
static void fdmodel(void) {
  int p[2];
  syscall(SYS_pipe, p);
  write(p[1], "x", 1);
  EXPECT("write(%s, \"x\", 1) = 1\n", fdy(p[1]));
  close(p[1]);
  int n = open("/dev/null", O_WRONLY);
  write(n, "y", 1);
  EXPECT("write(%s, \"y\", 1) = 1\n", fdy(n));
}

// socketpair: the family, the type with its flags, the protocol, the two fds at exit; the result
// is not an fd. Called directly (i386 has socketpair since Linux 4.3; socketcall is not decoded).
static void sockets(void) {
  int sv[2];
  syscall(SYS_socketpair, HIGH(AF_UNIX), HIGH(SOCK_STREAM | SOCK_CLOEXEC), 0, sv);
  EXPECT("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [%s, %s]) = 0\n", fdy(sv[0]), fdy(sv[1]));
  write(sv[0], "x", 1);
  EXPECT("write(%s, \"x\", 1) = 1\n", fdy(sv[0]));
  syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
  EXPECT("socketpair(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK, 0, [%s, %s]) = 0\n", fdy(sv[0]), fdy(sv[1]));
  syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv);
  EXPECT("socketpair(AF_INET, SOCK_STREAM, 0, %p) = -1 EOPNOTSUPP (Operation not supported)\n", (void *)sv);
  syscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET, 0, NULL);
  EXPECT("socketpair(AF_UNIX, SOCK_SEQPACKET, 0, NULL) = -1 EFAULT (Bad address)\n");
  syscall(SYS_socketpair, 99, 0x33, 7, sv);
  EXPECT("socketpair(0x63 /* AF_??? */, SOCK_RAW|0x30 /* SOCK_??? */, 7, %p) = -1 EINVAL (Invalid argument)\n",
         (void *)sv);
}

static void handler(int sig) { (void)sig; }

static void signals(void) {
  signal(SIGUSR1, handler);
  signal(SIGCHLD, handler);
  pid_t me = getpid();
  kill(me, SIGUSR1);
  EXPECT("kill(%d, SIGUSR1) = 0\n", me);
  EXPECT("--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=%d, si_uid=%u} ---\n", me, getuid());
  // Sent by a process, SIGCHLD carries no child status: strace prints none.
  kill(me, SIGCHLD);
  EXPECT("kill(%d, SIGCHLD) = 0\n", me);
  EXPECT("--- SIGCHLD {si_signo=SIGCHLD, si_code=SI_USER, si_pid=%d, si_uid=%u} ---\n", me, getuid());
  kill(me, 0);
  EXPECT("kill(%d, 0) = 0\n", me);
}

static void strings(void) {
  char path[] = "/tmp/pipetrace-decoders-\n\33<x>-XXXXXX";
  int f = mkstemp(path);
  char shown[300];
  char *s = shown;
  for (char *p = path; *p; p++) {
    if (*p == '\n') s += sprintf(s, "\\n");
    else if (*p == '\33') s += sprintf(s, "\\33");
    else *s++ = *p;
  }
  *s = 0;
  // -y escapes the path too, and `<`/`>` so the annotation cannot end early.
  char target[300];
  s = target;
  for (char *p = shown; *p; p++) {
    if (*p == '<') s += sprintf(s, "\\74");
    else if (*p == '>') s += sprintf(s, "\\76");
    else *s++ = *p;
  }
  *s = 0;
  write(f, "\377\200ab", 4);
  EXPECT("write(%d<%s>, \"\\377\\200ab\", 4) = 4\n", f, target);
  unlink(path);
  // A file deleted before its fd is first used: strace -y prints `(deleted)` after the brackets.
  char gone[] = "/tmp/pipetrace-decoders-gone-XXXXXX";
  int g = mkstemp(gone);
  unlink(gone);
  write(g, "x", 1);
  EXPECT("write(%d<%s>(deleted), \"x\", 1) = 1\n", g, gone);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  // The mark where the section starts: a test traces getppid and looks at what comes after it.
  syscall(SYS_getppid);
  const char *s = argv[1];
  if (!strcmp(s, "integers")) integers();
  else if (!strcmp(s, "waits")) waits();
  else if (!strcmp(s, "polls")) polls();
  else if (!strcmp(s, "iovecs")) iovecs();
  else if (!strcmp(s, "clones")) clones();
  else if (!strcmp(s, "execs")) execs();
  else if (!strcmp(s, "signals")) signals();
  else if (!strcmp(s, "strings")) strings();
  else if (!strcmp(s, "fdmodel")) fdmodel();
  else if (!strcmp(s, "sockets")) sockets();
  else return 2;
  return pwrite(1, expected, expected_len, 0) == (ssize_t)expected_len ? 0 : 1;
}
