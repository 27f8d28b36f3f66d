// The named values of ct_decode.h, from the kernel's UAPI headers only (glibc's headers disagree with
// the kernel on some values, e.g. O_LARGEFILE is 0 in glibc on 64-bit, and clash with these).
#include "ct_decode.h"
#include <asm/poll.h>
#include <asm/siginfo.h>
#include <asm/signal.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/eventpoll.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/time.h>
#include <linux/wait.h>
#include <stddef.h>

// Newer than the installed headers (values from the kernel's UAPI).
#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY (F_LINUX_SPECIFIC_BASE + 3)
#endif
#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (F_LINUX_SPECIFIC_BASE + 4)
#endif
#ifndef F_CANCELLK
#define F_CANCELLK (F_LINUX_SPECIFIC_BASE + 5)
#endif
#ifndef F_GETDELEG
#define F_GETDELEG (F_LINUX_SPECIFIC_BASE + 15)
#define F_SETDELEG (F_LINUX_SPECIFIC_BASE + 16)
#endif
// 32-bit only in the UAPI headers; fcntl64 of i386 uses them.
#ifndef F_GETLK64
#define F_GETLK64 12
#define F_SETLK64 13
#define F_SETLKW64 14
#endif
#ifndef SEGV_CPERR
#define SEGV_CPERR 10
#endif
#ifndef F_GETOWNER_UIDS
#define F_GETOWNER_UIDS 17
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND (1ULL << 32)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP (1ULL << 33)
#endif
#ifndef CLONE_AUTOREAP
#define CLONE_AUTOREAP (1ULL << 34)
#endif
#ifndef CLONE_NNP
#define CLONE_NNP (1ULL << 35)
#endif
#ifndef CLONE_PIDFD_AUTOKILL
#define CLONE_PIDFD_AUTOKILL (1ULL << 36)
#endif
#ifndef CLONE_EMPTY_MNTNS
#define CLONE_EMPTY_MNTNS (1ULL << 37)
#endif
#ifndef O_EMPTYPATH
#define O_EMPTYPATH (1 << 26)
#endif
#ifndef SI_ASYNCNL
#define SI_ASYNCNL (-60)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#define SA_RESTORER_VALUE 0x04000000  // x86's SA_RESTORER (asm/signal.h hides it from user space)

#define X(name) {(uint64_t)(int64_t)(name), #name}
#define V(value, name) {(uint64_t)(int64_t)(value), name}
#define TABLE(name, ...) static const ct_xlat_entry name[] = {__VA_ARGS__};

TABLE(open_access_modes, X(O_RDONLY), X(O_WRONLY), X(O_RDWR), V(3, "O_ACCMODE"))
// O_TMPFILE (which includes O_DIRECTORY) before __O_TMPFILE and O_DIRECTORY, as strace prints them.
TABLE(open_mode_flags, X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND), X(O_NONBLOCK),
      X(O_SYNC), X(__O_SYNC), X(O_DSYNC), X(O_DIRECT), X(O_LARGEFILE), X(O_NOFOLLOW), X(O_NOATIME),
      X(O_CLOEXEC), X(O_PATH), X(O_TMPFILE), X(__O_TMPFILE), X(O_DIRECTORY), X(O_EMPTYPATH), X(FASYNC))
TABLE(clone_flags, X(CLONE_VM), X(CLONE_FS), X(CLONE_FILES), X(CLONE_SIGHAND), X(CLONE_PIDFD),
      X(CLONE_PTRACE), X(CLONE_VFORK), X(CLONE_PARENT), X(CLONE_THREAD), X(CLONE_NEWNS), X(CLONE_SYSVSEM),
      X(CLONE_SETTLS), X(CLONE_PARENT_SETTID), X(CLONE_CHILD_CLEARTID), X(CLONE_UNTRACED),
      X(CLONE_CHILD_SETTID), X(CLONE_NEWCGROUP), X(CLONE_NEWUTS), X(CLONE_NEWIPC), X(CLONE_NEWUSER),
      X(CLONE_NEWPID), X(CLONE_NEWNET), X(CLONE_IO))
TABLE(clone3_flags, X(CLONE_NEWTIME), X(CLONE_CLEAR_SIGHAND), X(CLONE_INTO_CGROUP), X(CLONE_AUTOREAP),
      X(CLONE_NNP), X(CLONE_PIDFD_AUTOKILL), X(CLONE_EMPTY_MNTNS))
TABLE(poll_events, X(POLLIN), X(POLLPRI), X(POLLOUT), X(POLLERR), X(POLLHUP), X(POLLNVAL), X(POLLRDNORM),
      X(POLLRDBAND), X(POLLWRNORM), X(POLLWRBAND), X(POLLMSG), X(POLLREMOVE), X(POLLRDHUP))
// WSTOPPED (= WUNTRACED) after WEXITED, as strace prints them.
TABLE(wait_options, X(WNOHANG), X(WEXITED), X(WSTOPPED), X(WCONTINUED), X(WNOWAIT), X(__WCLONE), X(__WALL),
      X(__WNOTHREAD))
TABLE(waitid_types, X(P_ALL), X(P_PID), X(P_PGID), X(P_PIDFD))
TABLE(epoll_events, X(EPOLLIN), X(EPOLLPRI), X(EPOLLOUT), X(EPOLLERR), X(EPOLLHUP), X(EPOLLNVAL),
      X(EPOLLRDNORM), X(EPOLLRDBAND), X(EPOLLWRNORM), X(EPOLLWRBAND), X(EPOLLMSG), X(EPOLLRDHUP),
      X(EPOLLEXCLUSIVE), X(EPOLLWAKEUP), X(EPOLLONESHOT), X(EPOLLET))
TABLE(epoll_ctl_ops, X(EPOLL_CTL_ADD), X(EPOLL_CTL_DEL), X(EPOLL_CTL_MOD))
TABLE(epoll_create_flags, X(EPOLL_CLOEXEC))
TABLE(fcntl_commands, X(F_DUPFD), X(F_GETFD), X(F_SETFD), X(F_GETFL), X(F_SETFL), X(F_GETLK), X(F_SETLK),
      X(F_SETLKW), X(F_SETOWN), X(F_GETOWN), X(F_SETSIG), X(F_GETSIG), X(F_GETLK64), X(F_SETLK64),
      X(F_SETLKW64), X(F_SETOWN_EX), X(F_GETOWN_EX), X(F_GETOWNER_UIDS), X(F_OFD_GETLK), X(F_OFD_SETLK),
      X(F_OFD_SETLKW), X(F_SETLEASE), X(F_GETLEASE), X(F_NOTIFY), X(F_DUPFD_QUERY), X(F_CREATED_QUERY),
      X(F_CANCELLK), X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ), X(F_GETPIPE_SZ), X(F_ADD_SEALS), X(F_GET_SEALS),
      X(F_GET_RW_HINT), X(F_SET_RW_HINT), X(F_GET_FILE_RW_HINT), X(F_SET_FILE_RW_HINT), X(F_GETDELEG),
      X(F_SETDELEG))
TABLE(fd_flags, X(FD_CLOEXEC))
TABLE(lock_types, X(F_RDLCK), X(F_WRLCK), X(F_UNLCK), X(F_EXLCK), X(F_SHLCK))
TABLE(seek_whence, X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE))
TABLE(f_owner_types, X(F_OWNER_TID), X(F_OWNER_PID), X(F_OWNER_PGRP))
TABLE(notify_flags, X(DN_ACCESS), X(DN_MODIFY), X(DN_CREATE), X(DN_DELETE), X(DN_RENAME), X(DN_ATTRIB),
      X(DN_MULTISHOT))
TABLE(rw_hints, X(RWH_WRITE_LIFE_NOT_SET), X(RWH_WRITE_LIFE_NONE), X(RWH_WRITE_LIFE_SHORT),
      X(RWH_WRITE_LIFE_MEDIUM), X(RWH_WRITE_LIFE_LONG), X(RWH_WRITE_LIFE_EXTREME))
TABLE(seals, X(F_SEAL_SEAL), X(F_SEAL_SHRINK), X(F_SEAL_GROW), X(F_SEAL_WRITE), X(F_SEAL_FUTURE_WRITE),
      X(F_SEAL_EXEC))
TABLE(close_range_flags, X(CLOSE_RANGE_UNSHARE), X(CLOSE_RANGE_CLOEXEC))
TABLE(at_flags, X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW), X(AT_NO_AUTOMOUNT),
      X(AT_EMPTY_PATH), X(AT_RECURSIVE))
TABLE(execveat_flags, X(AT_SYMLINK_NOFOLLOW), X(AT_EMPTY_PATH), X(AT_EXECVE_CHECK))
TABLE(sigprocmask_how, X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK))
TABLE(si_codes, X(SI_USER), X(SI_KERNEL), X(SI_QUEUE), X(SI_TIMER), X(SI_MESGQ), X(SI_ASYNCIO), X(SI_SIGIO),
      X(SI_TKILL), X(SI_DETHREAD), X(SI_ASYNCNL))
TABLE(cld_codes, X(CLD_EXITED), X(CLD_KILLED), X(CLD_DUMPED), X(CLD_TRAPPED), X(CLD_STOPPED), X(CLD_CONTINUED))
TABLE(segv_codes, X(SEGV_MAPERR), X(SEGV_ACCERR), X(SEGV_BNDERR), X(SEGV_PKUERR), X(SEGV_ACCADI),
      X(SEGV_ADIDERR), X(SEGV_ADIPERR), X(SEGV_MTEAERR), X(SEGV_MTESERR), X(SEGV_CPERR))
TABLE(bus_codes, X(BUS_ADRALN), X(BUS_ADRERR), X(BUS_OBJERR), X(BUS_MCEERR_AR), X(BUS_MCEERR_AO))
TABLE(ill_codes, X(ILL_ILLOPC), X(ILL_ILLOPN), X(ILL_ILLADR), X(ILL_ILLTRP), X(ILL_PRVOPC), X(ILL_PRVREG),
      X(ILL_COPROC), X(ILL_BADSTK), X(ILL_BADIADDR))
TABLE(fpe_codes, X(FPE_INTDIV), X(FPE_INTOVF), X(FPE_FLTDIV), X(FPE_FLTOVF), X(FPE_FLTUND), X(FPE_FLTRES),
      X(FPE_FLTINV), X(FPE_FLTSUB), X(FPE_FLTUNK), X(FPE_CONDTRAP))
TABLE(trap_codes, X(TRAP_BRKPT), X(TRAP_TRACE), X(TRAP_BRANCH), X(TRAP_HWBKPT), X(TRAP_UNK), X(TRAP_PERF))
TABLE(poll_codes, X(POLL_IN), X(POLL_OUT), X(POLL_MSG), X(POLL_ERR), X(POLL_PRI), X(POLL_HUP))
TABLE(sys_codes, X(SYS_SECCOMP), X(SYS_USER_DISPATCH))
// Indexed by number from 1; the kernel's names (SIGIOT, SIGPOLL are aliases strace does not print).
TABLE(signal_names, X(SIGHUP), X(SIGINT), X(SIGQUIT), X(SIGILL), X(SIGTRAP), X(SIGABRT), X(SIGBUS), X(SIGFPE),
      X(SIGKILL), X(SIGUSR1), X(SIGSEGV), X(SIGUSR2), X(SIGPIPE), X(SIGALRM), X(SIGTERM), X(SIGSTKFLT),
      X(SIGCHLD), X(SIGCONT), X(SIGSTOP), X(SIGTSTP), X(SIGTTIN), X(SIGTTOU), X(SIGURG), X(SIGXCPU),
      X(SIGXFSZ), X(SIGVTALRM), X(SIGPROF), X(SIGWINCH), X(SIGIO), X(SIGPWR), X(SIGSYS))
TABLE(mmap_prot, X(PROT_NONE), X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), X(PROT_SEM), X(PROT_GROWSDOWN),
      X(PROT_GROWSUP))
// The map type (low bits) is printed first, then these flags.
TABLE(mmap_flags, X(MAP_SHARED), X(MAP_PRIVATE), X(MAP_SHARED_VALIDATE), X(MAP_DROPPABLE), X(MAP_FIXED),
      X(MAP_ANONYMOUS), X(MAP_32BIT), X(MAP_NORESERVE), X(MAP_POPULATE), X(MAP_NONBLOCK), X(MAP_GROWSDOWN),
      X(MAP_DENYWRITE), X(MAP_EXECUTABLE), X(MAP_LOCKED), X(MAP_STACK), X(MAP_HUGETLB), X(MAP_SYNC),
      X(MAP_FIXED_NOREPLACE), X(MAP_UNINITIALIZED))
TABLE(sigaction_flags, V(SA_RESTORER_VALUE, "SA_RESTORER"), X(SA_ONSTACK), X(SA_RESTART), X(SA_NODEFER),
      X(SA_RESETHAND), X(SA_SIGINFO), X(SA_NOCLDSTOP), X(SA_NOCLDWAIT))
TABLE(access_modes, V(0, "F_OK"), V(4, "R_OK"), V(2, "W_OK"), V(1, "X_OK"))
TABLE(pipe2_flags, X(O_NONBLOCK), X(O_DIRECT), X(O_CLOEXEC))
TABLE(clock_ids, X(CLOCK_REALTIME), X(CLOCK_MONOTONIC), X(CLOCK_PROCESS_CPUTIME_ID),
      X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE), X(CLOCK_MONOTONIC_COARSE),
      X(CLOCK_BOOTTIME), X(CLOCK_REALTIME_ALARM), X(CLOCK_BOOTTIME_ALARM), V(10, "CLOCK_SGI_CYCLE"),
      X(CLOCK_TAI))
TABLE(timer_flags, X(TIMER_ABSTIME))
TABLE(audit_arches, X(AUDIT_ARCH_X86_64), X(AUDIT_ARCH_I386))
TABLE(ptrace_events, X(PTRACE_EVENT_FORK), X(PTRACE_EVENT_VFORK), X(PTRACE_EVENT_CLONE), X(PTRACE_EVENT_EXEC),
      X(PTRACE_EVENT_VFORK_DONE), X(PTRACE_EVENT_EXIT), X(PTRACE_EVENT_SECCOMP), X(PTRACE_EVENT_STOP))

#define ENTRY(id, table) [id] = {table, sizeof(table) / sizeof(table[0])}
static const ct_xlat tables[CT_XLAT_COUNT] = {
    ENTRY(CT_XLAT_OPEN_ACCESS_MODES, open_access_modes),
    ENTRY(CT_XLAT_OPEN_MODE_FLAGS, open_mode_flags),
    ENTRY(CT_XLAT_CLONE_FLAGS, clone_flags),
    ENTRY(CT_XLAT_CLONE3_FLAGS, clone3_flags),
    ENTRY(CT_XLAT_POLL_EVENTS, poll_events),
    ENTRY(CT_XLAT_WAIT_OPTIONS, wait_options),
    ENTRY(CT_XLAT_WAITID_TYPES, waitid_types),
    ENTRY(CT_XLAT_EPOLL_EVENTS, epoll_events),
    ENTRY(CT_XLAT_EPOLL_CTL_OPS, epoll_ctl_ops),
    ENTRY(CT_XLAT_EPOLL_CREATE_FLAGS, epoll_create_flags),
    ENTRY(CT_XLAT_FCNTL_COMMANDS, fcntl_commands),
    ENTRY(CT_XLAT_FD_FLAGS, fd_flags),
    ENTRY(CT_XLAT_LOCK_TYPES, lock_types),
    ENTRY(CT_XLAT_SEEK_WHENCE, seek_whence),
    ENTRY(CT_XLAT_F_OWNER_TYPES, f_owner_types),
    ENTRY(CT_XLAT_NOTIFY_FLAGS, notify_flags),
    ENTRY(CT_XLAT_RW_HINTS, rw_hints),
    ENTRY(CT_XLAT_SEALS, seals),
    ENTRY(CT_XLAT_CLOSE_RANGE_FLAGS, close_range_flags),
    ENTRY(CT_XLAT_AT_FLAGS, at_flags),
    ENTRY(CT_XLAT_EXECVEAT_FLAGS, execveat_flags),
    ENTRY(CT_XLAT_SIGPROCMASK_HOW, sigprocmask_how),
    ENTRY(CT_XLAT_SI_CODES, si_codes),
    ENTRY(CT_XLAT_CLD_CODES, cld_codes),
    ENTRY(CT_XLAT_SEGV_CODES, segv_codes),
    ENTRY(CT_XLAT_BUS_CODES, bus_codes),
    ENTRY(CT_XLAT_ILL_CODES, ill_codes),
    ENTRY(CT_XLAT_FPE_CODES, fpe_codes),
    ENTRY(CT_XLAT_TRAP_CODES, trap_codes),
    ENTRY(CT_XLAT_POLL_CODES, poll_codes),
    ENTRY(CT_XLAT_SYS_CODES, sys_codes),
    ENTRY(CT_XLAT_SIGNALS, signal_names),
    ENTRY(CT_XLAT_MMAP_PROT, mmap_prot),
    ENTRY(CT_XLAT_MMAP_FLAGS, mmap_flags),
    ENTRY(CT_XLAT_SIGACTION_FLAGS, sigaction_flags),
    ENTRY(CT_XLAT_ACCESS_MODES, access_modes),
    ENTRY(CT_XLAT_PIPE2_FLAGS, pipe2_flags),
    ENTRY(CT_XLAT_CLOCK_IDS, clock_ids),
    ENTRY(CT_XLAT_TIMER_FLAGS, timer_flags),
    ENTRY(CT_XLAT_AUDIT_ARCHES, audit_arches),
    ENTRY(CT_XLAT_PTRACE_EVENTS, ptrace_events),
};

ct_xlat ct_xlat_table(int id) {
  if (id < 0 || id >= CT_XLAT_COUNT) return (ct_xlat){NULL, 0};
  if (tables[id].entries == NULL) return ct_socket_xlat_table(id);
  return tables[id];
}

// The mirrored values of ct_decode.h.
_Static_assert(CT_O_ACCMODE == O_ACCMODE, "mirrored");
_Static_assert(CT_O_CREAT == O_CREAT, "mirrored");
_Static_assert(CT_O_TMPFILE_BIT == __O_TMPFILE, "mirrored");
_Static_assert(CT_AT_FDCWD == AT_FDCWD, "mirrored");
_Static_assert(CT_F_DUPFD == F_DUPFD && CT_F_GETFD == F_GETFD && CT_F_SETFD == F_SETFD, "mirrored");
_Static_assert(CT_F_GETFL == F_GETFL && CT_F_SETFL == F_SETFL, "mirrored");
_Static_assert(CT_F_GETLK == F_GETLK && CT_F_SETLK == F_SETLK && CT_F_SETLKW == F_SETLKW, "mirrored");
_Static_assert(CT_F_SETOWN == F_SETOWN && CT_F_GETOWN == F_GETOWN, "mirrored");
_Static_assert(CT_F_SETSIG == F_SETSIG && CT_F_GETSIG == F_GETSIG, "mirrored");
_Static_assert(CT_F_GETLK64 == F_GETLK64 && CT_F_SETLK64 == F_SETLK64 && CT_F_SETLKW64 == F_SETLKW64, "mirrored");
_Static_assert(CT_F_SETOWN_EX == F_SETOWN_EX && CT_F_GETOWN_EX == F_GETOWN_EX, "mirrored");
_Static_assert(CT_F_OFD_GETLK == F_OFD_GETLK && CT_F_OFD_SETLK == F_OFD_SETLK, "mirrored");
_Static_assert(CT_F_OFD_SETLKW == F_OFD_SETLKW, "mirrored");
_Static_assert(CT_F_SETLEASE == F_SETLEASE && CT_F_GETLEASE == F_GETLEASE && CT_F_NOTIFY == F_NOTIFY, "mirrored");
_Static_assert(CT_F_DUPFD_QUERY == F_DUPFD_QUERY && CT_F_DUPFD_CLOEXEC == F_DUPFD_CLOEXEC, "mirrored");
_Static_assert(CT_F_SETPIPE_SZ == F_SETPIPE_SZ && CT_F_GETPIPE_SZ == F_GETPIPE_SZ, "mirrored");
_Static_assert(CT_F_ADD_SEALS == F_ADD_SEALS && CT_F_GET_SEALS == F_GET_SEALS, "mirrored");
_Static_assert(CT_F_GET_RW_HINT == F_GET_RW_HINT && CT_F_SET_RW_HINT == F_SET_RW_HINT, "mirrored");
_Static_assert(CT_F_GET_FILE_RW_HINT == F_GET_FILE_RW_HINT, "mirrored");
_Static_assert(CT_F_SET_FILE_RW_HINT == F_SET_FILE_RW_HINT, "mirrored");
_Static_assert(CT_F_GETDELEG == F_GETDELEG && CT_F_SETDELEG == F_SETDELEG, "mirrored");
_Static_assert(CT_CLONE_FILES == CLONE_FILES && CT_CLONE_PIDFD == CLONE_PIDFD, "mirrored");
_Static_assert(CT_CLONE_THREAD == CLONE_THREAD, "mirrored");
_Static_assert(CT_CLONE_SETTLS == CLONE_SETTLS && CT_CLONE_PARENT_SETTID == CLONE_PARENT_SETTID, "mirrored");
_Static_assert(CT_CLONE_CHILD_CLEARTID == CLONE_CHILD_CLEARTID, "mirrored");
_Static_assert(CT_CLONE_CHILD_SETTID == CLONE_CHILD_SETTID, "mirrored");
_Static_assert(CT_CLOSE_RANGE_CLOEXEC == CLOSE_RANGE_CLOEXEC, "mirrored");
_Static_assert(CT_CLONE_ARGS_SIZE_VER0 == CLONE_ARGS_SIZE_VER0 && CT_CLONE_ARGS_SIZE_VER2 == CLONE_ARGS_SIZE_VER2, "mirrored");
_Static_assert(CT_EPOLL_CTL_DEL == EPOLL_CTL_DEL, "mirrored");
_Static_assert(CT_PROT_EXEC == PROT_EXEC, "mirrored");
_Static_assert(CT_SIGCHLD == SIGCHLD && CT_SIGSYS == SIGSYS, "mirrored");
_Static_assert(CT_SI_USER == SI_USER && CT_SI_TIMER == SI_TIMER && CT_SI_TKILL == SI_TKILL, "mirrored");
_Static_assert(CT_CLD_EXITED == CLD_EXITED, "mirrored");
_Static_assert(CT_P_PID == P_PID && CT_P_PGID == P_PGID && CT_P_PIDFD == P_PIDFD, "mirrored");
_Static_assert(CT_SI_SIGIO == SI_SIGIO, "mirrored");
_Static_assert((uint32_t)CT_AUDIT_ARCH_X86_64 == AUDIT_ARCH_X86_64, "mirrored");
_Static_assert(CT_AUDIT_ARCH_I386 == AUDIT_ARCH_I386, "mirrored");
_Static_assert(CT_X32_SYSCALL_BIT == 0x40000000, "__X32_SYSCALL_BIT (asm/unistd.h)");
