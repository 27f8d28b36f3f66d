// Kernel ABI constants the syscall decoders need, taken from the kernel's UAPI headers so that no
// flag value is written as a number in Swift: named-value tables (strace's "xlat"), a few values
// the decoders branch on, and a full PTRACE_GETSIGINFO for signal lines.
#ifndef CT_DECODE_H
#define CT_DECODE_H
#include <stdint.h>

#pragma clang assume_nonnull begin

// One named value. `value` holds signed values (si_code) as their two's-complement bit pattern.
typedef struct {
  uint64_t value;
  const char *name;
} ct_xlat_entry;

typedef struct {
  const ct_xlat_entry *_Nullable entries;  // NULL when count is 0
  uint32_t count;
} ct_xlat;

// The tables, in the order strace prints their names (a flag set lists matching names in order).
enum {
  CT_XLAT_OPEN_ACCESS_MODES,
  CT_XLAT_OPEN_MODE_FLAGS,
  CT_XLAT_CLONE_FLAGS,
  CT_XLAT_CLONE3_FLAGS,
  CT_XLAT_POLL_EVENTS,
  CT_XLAT_WAIT_OPTIONS,
  CT_XLAT_WAITID_TYPES,
  CT_XLAT_EPOLL_EVENTS,
  CT_XLAT_EPOLL_CTL_OPS,
  CT_XLAT_EPOLL_CREATE_FLAGS,
  CT_XLAT_FCNTL_COMMANDS,
  CT_XLAT_FD_FLAGS,
  CT_XLAT_LOCK_TYPES,
  CT_XLAT_SEEK_WHENCE,
  CT_XLAT_F_OWNER_TYPES,
  CT_XLAT_NOTIFY_FLAGS,
  CT_XLAT_RW_HINTS,
  CT_XLAT_SEALS,
  CT_XLAT_CLOSE_RANGE_FLAGS,
  CT_XLAT_AT_FLAGS,
  CT_XLAT_EXECVEAT_FLAGS,
  CT_XLAT_SIGPROCMASK_HOW,
  CT_XLAT_SI_CODES,
  CT_XLAT_CLD_CODES,
  CT_XLAT_SEGV_CODES,
  CT_XLAT_BUS_CODES,
  CT_XLAT_ILL_CODES,
  CT_XLAT_FPE_CODES,
  CT_XLAT_TRAP_CODES,
  CT_XLAT_POLL_CODES,
  CT_XLAT_SYS_CODES,
  CT_XLAT_SIGNALS,
  CT_XLAT_MMAP_PROT,
  CT_XLAT_MMAP_FLAGS,
  CT_XLAT_SIGACTION_FLAGS,
  CT_XLAT_ACCESS_MODES,
  CT_XLAT_PIPE2_FLAGS,
  CT_XLAT_CLOCK_IDS,
  CT_XLAT_TIMER_FLAGS,
  CT_XLAT_AUDIT_ARCHES,
  CT_XLAT_PTRACE_EVENTS,
  CT_XLAT_ADDRESS_FAMILIES,  // socket_constants.c
  CT_XLAT_SOCKET_TYPES,
  CT_XLAT_SOCKET_TYPE_FLAGS,
  CT_XLAT_COUNT
};

// The table `id` (CT_XLAT_*); an empty table for an unknown id.
ct_xlat ct_xlat_table(int id);
// The socket tables (from glibc's headers, see socket_constants.c); ct_xlat_table serves them.
ct_xlat ct_socket_xlat_table(int id);

// Values the decoders branch on (mirrored from the UAPI headers; decode_constants.c asserts each).
enum {
  CT_O_ACCMODE = 03,
  CT_O_CREAT = 0100,
  CT_O_TMPFILE_BIT = 020000000,  // __O_TMPFILE: with it, open takes a mode as with O_CREAT
  CT_AT_FDCWD = -100,
  CT_SOCK_TYPE_MASK = 0xf,  // a socket type's low bits; SOCK_CLOEXEC and SOCK_NONBLOCK above
  CT_F_DUPFD = 0,
  CT_F_GETFD = 1,
  CT_F_SETFD = 2,
  CT_F_GETFL = 3,
  CT_F_SETFL = 4,
  CT_F_GETLK = 5,
  CT_F_SETLK = 6,
  CT_F_SETLKW = 7,
  CT_F_SETOWN = 8,
  CT_F_GETOWN = 9,
  CT_F_SETSIG = 10,
  CT_F_GETSIG = 11,
  CT_F_GETLK64 = 12,
  CT_F_SETLK64 = 13,
  CT_F_SETLKW64 = 14,
  CT_F_SETOWN_EX = 15,
  CT_F_GETOWN_EX = 16,
  CT_F_OFD_GETLK = 36,
  CT_F_OFD_SETLK = 37,
  CT_F_OFD_SETLKW = 38,
  CT_F_SETLEASE = 1024,
  CT_F_GETLEASE = 1025,
  CT_F_NOTIFY = 1026,
  CT_F_DUPFD_QUERY = 1027,
  CT_F_DUPFD_CLOEXEC = 1030,
  CT_F_SETPIPE_SZ = 1031,
  CT_F_GETPIPE_SZ = 1032,
  CT_F_ADD_SEALS = 1033,
  CT_F_GET_SEALS = 1034,
  CT_F_GET_RW_HINT = 1035,
  CT_F_SET_RW_HINT = 1036,
  CT_F_GET_FILE_RW_HINT = 1037,
  CT_F_SET_FILE_RW_HINT = 1038,
  CT_F_GETDELEG = 1039,
  CT_F_SETDELEG = 1040,
  CT_CLONE_FILES = 0x400,
  CT_CLONE_PIDFD = 0x1000,
  CT_CLONE_THREAD = 0x10000,
  CT_CLONE_SETTLS = 0x80000,
  CT_CLONE_PARENT_SETTID = 0x100000,
  CT_CLONE_CHILD_CLEARTID = 0x200000,
  CT_CLONE_CHILD_SETTID = 0x1000000,
  CT_CLONE_ARGS_SIZE_VER0 = 64,  // clone3's first struct clone_args (up to tls)
  CT_CLONE_ARGS_SIZE_VER2 = 88,  // with set_tid and cgroup: the whole struct as pipetrace knows it
  CT_CLOSE_RANGE_CLOEXEC = 4,
  CT_EPOLL_CTL_DEL = 2,
  CT_PROT_EXEC = 4,
  CT_SIGCHLD = 17,
  CT_SIGSYS = 31,
  CT_SI_USER = 0,
  CT_SI_TIMER = -2,
  CT_SI_SIGIO = -5,
  CT_SI_TKILL = -6,
  CT_CLD_EXITED = 1,
  CT_P_PID = 1,
  CT_P_PGID = 2,
  CT_P_PIDFD = 3,
  CT_AUDIT_ARCH_X86_64 = (int)0xc000003e,
  CT_AUDIT_ARCH_I386 = 0x40000003,
  CT_X32_SYSCALL_BIT = 0x40000000,
};

// The fields of a siginfo_t that strace prints, for every si_code layout.
typedef struct {
  int32_t signo;
  int32_t code;
  int32_t errno_value;
  int32_t pid;       // si_pid (kill, sigqueue, SIGCHLD) or si_tid (timers)
  int32_t uid;       // si_uid or si_overrun (timers)
  int32_t status;    // SIGCHLD
  int64_t utime;     // SIGCHLD, clock ticks
  int64_t stime;
  uint64_t value;    // si_value (sigqueue, timers, mq)
  uint64_t addr;     // si_addr (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) or si_call_addr (SIGSYS)
  int64_t band;      // SIGPOLL
  int32_t fd;        // SIGPOLL
  int32_t syscall;   // SIGSYS
  uint32_t arch;     // SIGSYS
} ct_signal_info;

// PTRACE_GETSIGINFO of a stopped tracee, every field. -1 (errno set) when there is none.
long ct_get_signal_info(int tid, ct_signal_info *out);

// Sizes and offsets of native (x86_64) structures, for a test that checks the decoders' layouts.
typedef struct {
  uint32_t flock_size, flock_l_start, flock_l_len, flock_l_pid;
  uint32_t epoll_event_size, epoll_event_data;
  uint32_t rusage_size, rusage_maxrss;
  uint32_t clone_args_size, clone_args_set_tid, clone_args_cgroup;
  uint32_t siginfo_pid, siginfo_status, siginfo_utime, siginfo_addr, siginfo_value, siginfo_fd;
} ct_native_layout;
ct_native_layout ct_native_layout_get(void);

#pragma clang assume_nonnull end
#endif
