#if defined(__x86_64__)
#define _GNU_SOURCE
#include "ct_regs.h"
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

_Static_assert(sizeof(struct user_regs_struct) <= sizeof(ct_regs), "ct_regs holds user_regs_struct");
// The 64-bit kernel's view of a 32-bit task is still user_regs_struct; its code segment tells.
_Static_assert(offsetof(struct user_regs_struct, cs) % 8 == 0, "cs is a whole word of ct_regs");
enum { CT_USER32_CS = 0x23 };

static const unsigned char syscall_insn[] = {0x0f, 0x05};
const unsigned char ct_i386_syscall_insn[2] = {0xcd, 0x80};  // int $0x80

static struct user_regs_struct *R(ct_regs *r) { return (struct user_regs_struct *)r->words; }
static const struct user_regs_struct *CR(const ct_regs *r) { return (const struct user_regs_struct *)r->words; }

long ct_regs_get(pid_t pid, ct_regs *regs) {
  memset(regs, 0, sizeof *regs);
  return syscall(SYS_ptrace, PTRACE_GETREGS, pid, 0, R(regs));
}
long ct_regs_set(pid_t pid, const ct_regs *regs) {
  return syscall(SYS_ptrace, PTRACE_SETREGS, pid, 0, CR(regs));
}
uint64_t ct_regs_sp(const ct_regs *regs) { return CR(regs)->rsp; }
void ct_regs_set_sp(ct_regs *regs, uint64_t sp) { R(regs)->rsp = sp; }
int64_t ct_regs_return_value(const ct_regs *regs) { return (int64_t)CR(regs)->rax; }
uint64_t ct_regs_syscall_insn_before_pc(const ct_regs *regs) { return CR(regs)->rip - sizeof syscall_insn; }

void ct_regs_setup_syscall(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args) {
  struct user_regs_struct *r = R(regs);
  r->rip = insn_addr;
  r->rax = (unsigned long long)nr;
  r->orig_rax = (unsigned long long)-1;
  r->rdi = args[0];
  r->rsi = args[1];
  r->rdx = args[2];
  r->r10 = args[3];
  r->r8 = args[4];
  r->r9 = args[5];
}

void ct_regs_skip_syscall(ct_regs *regs, int64_t ret) {
  struct user_regs_struct *r = R(regs);
  r->orig_rax = (unsigned long long)-1;
  r->rax = (unsigned long long)ret;
}

int ct_syscall_insn_copy(unsigned char *out, int cap) {
  if (cap < (int)sizeof syscall_insn) return -1;
  memcpy(out, syscall_insn, sizeof syscall_insn);
  return (int)sizeof syscall_insn;
}

int ct_regs_is_i386(const ct_regs *regs) { return CR(regs)->cs == CT_USER32_CS; }

void ct_regs_setup_syscall_i386(ct_regs *regs, uint64_t insn_addr, int64_t nr, const uint64_t *args) {
  struct user_regs_struct *r = R(regs);
  r->rip = insn_addr;
  r->rax = (uint32_t)nr;
  r->orig_rax = (unsigned long long)-1;  // no restart rewinds the new pc
  r->rbx = (uint32_t)args[0];
  r->rcx = (uint32_t)args[1];
  r->rdx = (uint32_t)args[2];
  r->rsi = (uint32_t)args[3];
  r->rdi = (uint32_t)args[4];
  r->rbp = (uint32_t)args[5];
}

int64_t ct_regs_return_value_i386(const ct_regs *regs) { return (int32_t)(uint32_t)CR(regs)->rax; }
#endif

// ---- Self-completing injection (x86_64 64-bit threads; 32-bit ones further down): rt_sigreturn frames
#include <elf.h>
#include <signal.h>
#include <sys/ucontext.h>

// The kernel reads the first CT_UCONTEXT_SIZE bytes of a ucontext at rt_sigreturn (its uc_sigmask is
// 8 bytes); glibc's ucontext_t has the same layout up to there.
_Static_assert(offsetof(ucontext_t, uc_mcontext) == 40, "kernel ucontext layout");
_Static_assert(offsetof(ucontext_t, uc_sigmask) == 296, "kernel ucontext layout");
_Static_assert(CT_UCONTEXT_SIZE == 296 + 8, "kernel ucontext size");

enum { CT_UC_FP_XSTATE = 1, CT_UC_SIGCONTEXT_SS = 2, CT_UC_STRICT_RESTORE_SS = 4 };

void ct_sigframe_x86_64(const ct_regs *regs, uint64_t sigmask, uint64_t fpstate, unsigned char *out) {
  const struct user_regs_struct *r = CR(regs);
  ucontext_t uc;
  memset(&uc, 0, sizeof uc);
  uc.uc_flags = CT_UC_FP_XSTATE | CT_UC_SIGCONTEXT_SS | CT_UC_STRICT_RESTORE_SS;
  // Not a valid mode (0, SS_ONSTACK or SS_DISABLE): rt_sigreturn's sigaltstack step fails with
  // EINVAL, which it ignores, so the thread's alternate signal stack stays as it is.
  uc.uc_stack.ss_flags = SS_ONSTACK | SS_DISABLE;
  greg_t *g = uc.uc_mcontext.gregs;
  g[REG_R8] = (greg_t)r->r8;
  g[REG_R9] = (greg_t)r->r9;
  g[REG_R10] = (greg_t)r->r10;
  g[REG_R11] = (greg_t)r->r11;
  g[REG_R12] = (greg_t)r->r12;
  g[REG_R13] = (greg_t)r->r13;
  g[REG_R14] = (greg_t)r->r14;
  g[REG_R15] = (greg_t)r->r15;
  g[REG_RDI] = (greg_t)r->rdi;
  g[REG_RSI] = (greg_t)r->rsi;
  g[REG_RBP] = (greg_t)r->rbp;
  g[REG_RBX] = (greg_t)r->rbx;
  g[REG_RDX] = (greg_t)r->rdx;
  g[REG_RAX] = (greg_t)r->rax;
  g[REG_RCX] = (greg_t)r->rcx;
  g[REG_RSP] = (greg_t)r->rsp;
  g[REG_RIP] = (greg_t)r->rip;
  g[REG_EFL] = (greg_t)r->eflags;
  // cs, gs, fs, ss as four 16-bit fields (gs and fs are not restored on x86_64).
  g[REG_CSGSFS] = (greg_t)((r->cs & 0xffff) | ((uint64_t)(r->ss & 0xffff) << 48));
  uc.uc_mcontext.fpregs = (struct _libc_fpstate *)(uintptr_t)fpstate;
  memcpy(out, &uc, 296);
  memcpy(out + 296, &sigmask, 8);
}

void ct_regs_restarted(ct_regs *regs) {
  struct user_regs_struct *r = R(regs);
  if ((long long)r->orig_rax < 0) return;
  // A 32-bit thread's error is its eax (the kernel sign-extends it the same way, syscall_get_error).
  long long ax = ct_regs_is_i386(regs) ? (long long)(int32_t)(uint32_t)r->rax : (long long)r->rax;
  // The kernel's own rule for a call interrupted with no handler to run (arch_do_signal_or_restart).
  if (ax == -512 || ax == -513 || ax == -514) {
    r->rax = r->orig_rax;
    r->rip -= sizeof syscall_insn;
  } else if (ax == -516) {
    // restart_syscall would find its restart block cleared by rt_sigreturn (-EINTR): the call is
    // made again with its own arguments instead (a relative sleep starts over).
    r->rax = r->orig_rax;
    r->rip -= sizeof syscall_insn;
  }
  r->orig_rax = (unsigned long long)-1;
}

void ct_regs_setup_sigreturn(ct_regs *regs, uint64_t insn_addr, uint64_t sp) {
  struct user_regs_struct *r = R(regs);
  r->rip = insn_addr;
  r->rax = ct_regs_is_i386(regs) ? CT_I386_RT_SIGRETURN : SYS_rt_sigreturn;
  r->orig_rax = (unsigned long long)-1;
  r->rsp = sp;
}

int64_t ct_regs_syscall_nr(const ct_regs *regs) { return (int64_t)CR(regs)->orig_rax; }

long ct_xstate_get(pid_t pid, void *buf, size_t cap) {
  struct iovec v = {buf, cap};
  long r = syscall(SYS_ptrace, PTRACE_GETREGSET, pid, (void *)(uintptr_t)NT_X86_XSTATE, &v);
  return r < 0 ? r : (long)v.iov_len;
}

#include <cpuid.h>

// Makes an XSAVE image from ct_xstate_get usable as a signal frame's fpstate: the software bytes
// rt_sigreturn checks (FP_XSTATE_MAGIC1, the features present, the size up to the last present
// component in the standard layout) and FP_XSTATE_MAGIC2 right after it. `cap` is the buffer's
// size. Returns the frame's fpstate length (up to and with MAGIC2), or -1.
long ct_xstate_prepare_sigframe(unsigned char *blob, size_t len, size_t cap) {
  enum { SW = 464, HEADER = 512, MAGIC1 = 0x46505853, MAGIC2 = 0x46505845 };
  if (len < HEADER + 64) return -1;
  uint64_t present;
  memcpy(&present, blob + HEADER, 8);
  uint32_t size = HEADER + 64;
  for (unsigned i = 2; i < 63; i++) {
    if (!(present & (1ULL << i))) continue;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(0xd, i, &a, &b, &c, &d) || a == 0) return -1;
    if (b + a > size) size = b + a;  // standard (non-compacted) layout: offset ebx, size eax
  }
  if (size > len || size + 4 > cap) return -1;
  uint32_t magic1 = MAGIC1, extended = size + 4, magic2 = MAGIC2;
  memset(blob + SW, 0, 48);
  memcpy(blob + SW, &magic1, 4);
  memcpy(blob + SW + 4, &extended, 4);
  memcpy(blob + SW + 8, &present, 8);
  memcpy(blob + SW + 16, &size, 4);
  memcpy(blob + size, &magic2, 4);
  return (long)size + 4;
}

// ---- The same for a 32-bit (i386) thread: the compat rt_sigreturn's frames ----------------------
// The kernel's struct ucontext_ia32: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size), then
// struct sigcontext_32 (22 words), then the 8-byte uc_sigmask. All 32-bit words.
enum { CT_SIGCONTEXT32_WORDS = 22, CT_UC32_MCONTEXT = 5, CT_UC32_SIGMASK = CT_UC32_MCONTEXT + CT_SIGCONTEXT32_WORDS };
_Static_assert(CT_UCONTEXT_I386_SIZE == (CT_UC32_SIGMASK + 2) * 4, "ucontext_ia32 size");

void ct_sigframe_i386(const ct_regs *regs, uint64_t sigmask, uint32_t fpstate, unsigned char *out) {
  const struct user_regs_struct *r = CR(regs);
  uint32_t w[CT_UC32_SIGMASK + 2];
  memset(w, 0, sizeof w);
  w[0] = CT_UC_FP_XSTATE;
  // ss_flags: the same invalid mode as for x86_64 (compat_restore_altstack ignores the EINVAL too).
  w[3] = SS_ONSTACK | SS_DISABLE;
  uint32_t *sc = w + CT_UC32_MCONTEXT;
  // gs, fs, es, ds: 16-bit selectors, each in a word (ia32_restore_sigcontext reloads one that differs).
  sc[0] = (uint32_t)(r->gs & 0xffff);
  sc[1] = (uint32_t)(r->fs & 0xffff);
  sc[2] = (uint32_t)(r->es & 0xffff);
  sc[3] = (uint32_t)(r->ds & 0xffff);
  sc[4] = (uint32_t)r->rdi;
  sc[5] = (uint32_t)r->rsi;
  sc[6] = (uint32_t)r->rbp;
  sc[7] = (uint32_t)r->rsp;
  sc[8] = (uint32_t)r->rbx;
  sc[9] = (uint32_t)r->rdx;
  sc[10] = (uint32_t)r->rcx;
  sc[11] = (uint32_t)r->rax;
  // 12 trapno, 13 err: not read.
  sc[14] = (uint32_t)r->rip;
  sc[15] = (uint32_t)(r->cs & 0xffff);
  sc[16] = (uint32_t)r->eflags;
  sc[17] = (uint32_t)r->rsp;  // sp_at_signal: not read
  sc[18] = (uint32_t)(r->ss & 0xffff);
  sc[19] = fpstate;
  sc[20] = (uint32_t)sigmask;  // oldmask: not read (uc_sigmask is)
  memcpy(w + CT_UC32_SIGMASK, &sigmask, 8);
  memcpy(out, w, sizeof w);
}

long ct_fpregs_i386_get(pid_t pid, unsigned char *out) {
  // A 32-bit thread's regset view is the i386 one: NT_PRFPREG is its FSAVE-format environment.
  struct iovec v = {out, CT_FREGS_I386_ENV_SIZE};
  long r = syscall(SYS_ptrace, PTRACE_GETREGSET, pid, (void *)(uintptr_t)NT_PRFPREG, &v);
  return r < 0 ? r : (long)v.iov_len;
}
