#define _GNU_SOURCE
#include "ct_unwind.h"
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

// ct_unwind's pcs hold unw_word_t values.
_Static_assert(sizeof(unw_word_t) == sizeof(uint64_t), "unw_word_t fits uint64_t");

// libunwind-ptrace reads each register with PTRACE_PEEKUSER and each stack word with
// PTRACE_PEEKDATA: a syscall per word. These accessors serve registers from one GETREGS and the
// stack from one process_vm_readv window per unwind, and hand the rest to libunwind-ptrace.
enum { STACK_WINDOW = 32768 };

// _UPT_find_proc_info calls access_mem with its own struct UPT_info as arg, not with ours. The
// first field tells them apart: ours holds a negative marker, UPT_info begins with the (positive) pid.
enum { THREAD_MARK = -0x70740 };

struct ct_unwind_thread {
  int mark;
  void *upt;
  pid_t tid;
  int have_regs;
  struct user_regs_struct regs;
  uint64_t window_start;
  size_t window_len;
  unsigned char window[STACK_WINDOW];
};

struct ct_unwind_space {
  unw_addr_space_t as;
};

static void *upt_of(void *arg) {
  struct ct_unwind_thread *t = arg;
  return t->mark == THREAD_MARK ? t->upt : arg;
}

static int acc_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg) {
  return _UPT_find_proc_info(as, ip, pi, need, upt_of(arg));
}

static void acc_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg) {
  _UPT_put_unwind_info(as, pi, upt_of(arg));
}

static int acc_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg) {
  return _UPT_get_dyn_info_list_addr(as, addr, upt_of(arg));
}

static int read_word(pid_t pid, unw_word_t addr, unw_word_t *val) {
  struct iovec local = {val, sizeof *val}, remote = {(void *)addr, sizeof *val};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof *val ? 0 : -1;
}

static int acc_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg) {
  if (*(int *)arg != THREAD_MARK) {
    // Called from inside libunwind-ptrace with its UPT_info (searching an unwind table).
    pid_t pid = *(pid_t *)arg;
    if (!write && pid > 0 && read_word(pid, addr, val) == 0) return 0;
    return _UPT_access_mem(as, addr, val, write, arg);
  }
  struct ct_unwind_thread *t = arg;
  if (!write) {
    if (addr >= t->window_start && addr + sizeof *val <= t->window_start + t->window_len) {
      memcpy(val, t->window + (addr - t->window_start), sizeof *val);
      return 0;
    }
    if (read_word(t->tid, addr, val) == 0) return 0;
  }
  return _UPT_access_mem(as, addr, val, write, t->upt);
}

#if defined(__x86_64__)
static int reg_from_snapshot(const struct user_regs_struct *r, unw_regnum_t reg, unw_word_t *val) {
  switch (reg) {
  case UNW_X86_64_RAX: *val = r->rax; return 1;
  case UNW_X86_64_RDX: *val = r->rdx; return 1;
  case UNW_X86_64_RCX: *val = r->rcx; return 1;
  case UNW_X86_64_RBX: *val = r->rbx; return 1;
  case UNW_X86_64_RSI: *val = r->rsi; return 1;
  case UNW_X86_64_RDI: *val = r->rdi; return 1;
  case UNW_X86_64_RBP: *val = r->rbp; return 1;
  case UNW_X86_64_RSP: *val = r->rsp; return 1;
  case UNW_X86_64_R8: *val = r->r8; return 1;
  case UNW_X86_64_R9: *val = r->r9; return 1;
  case UNW_X86_64_R10: *val = r->r10; return 1;
  case UNW_X86_64_R11: *val = r->r11; return 1;
  case UNW_X86_64_R12: *val = r->r12; return 1;
  case UNW_X86_64_R13: *val = r->r13; return 1;
  case UNW_X86_64_R14: *val = r->r14; return 1;
  case UNW_X86_64_R15: *val = r->r15; return 1;
  case UNW_X86_64_RIP: *val = r->rip; return 1;
  default: return 0;
  }
}
#endif

static int acc_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg) {
  if (*(int *)arg != THREAD_MARK) return _UPT_access_reg(as, reg, val, write, arg);
  struct ct_unwind_thread *t = arg;
#if defined(__x86_64__)
  if (!write && t->have_regs && reg_from_snapshot(&t->regs, reg, val)) return 0;
#endif
  return _UPT_access_reg(as, reg, val, write, t->upt);
}

static int acc_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg) {
  return _UPT_access_fpreg(as, reg, val, write, upt_of(arg));
}

static unw_accessors_t accessors = {
  .find_proc_info = acc_find_proc_info,
  .put_unwind_info = acc_put_unwind_info,
  .get_dyn_info_list_addr = acc_get_dyn_info_list_addr,
  .access_mem = acc_access_mem,
  .access_reg = acc_access_reg,
  .access_fpreg = acc_access_fpreg,
  .resume = NULL,
  .get_proc_name = NULL,  // pipetrace symbolizes from the ELF files itself, with sizes and a cache
};

ct_unwind_space *ct_unwind_space_create(void) {
  ct_unwind_space *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->as = unw_create_addr_space(&accessors, 0);
  if (!s->as) {
    free(s);
    return NULL;
  }
  unw_set_caching_policy(s->as, UNW_CACHE_GLOBAL);
  return s;
}

void ct_unwind_space_flush(ct_unwind_space *s) {
  if (s) unw_flush_cache(s->as, 0, 0);
}

void ct_unwind_space_destroy(ct_unwind_space *s) {
  if (!s) return;
  unw_destroy_addr_space(s->as);
  free(s);
}

ct_unwind_thread *ct_unwind_thread_create(pid_t tid) {
  struct ct_unwind_thread *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->mark = THREAD_MARK;
  t->tid = tid;
  t->upt = _UPT_create(tid);
  if (!t->upt) {
    free(t);
    return NULL;
  }
  return t;
}

void ct_unwind_thread_destroy(ct_unwind_thread *t) {
  if (!t) return;
  _UPT_destroy(t->upt);
  free(t);
}

int ct_unwind(ct_unwind_space *s, ct_unwind_thread *t, uint64_t *pcs, int max) {
  t->have_regs = 0;
  t->window_len = 0;
#if defined(__x86_64__)
  if (syscall(SYS_ptrace, PTRACE_GETREGS, t->tid, 0, &t->regs) == 0) {
    t->have_regs = 1;
    // The stack above sp, one page-bounded read at a time so an unmapped end stops it cleanly.
    uint64_t start = t->regs.rsp;
    size_t got = 0;
    while (got < STACK_WINDOW) {
      size_t chunk = 4096 - ((start + got) & 4095);
      if (chunk > STACK_WINDOW - got) chunk = STACK_WINDOW - got;
      struct iovec local = {t->window + got, chunk}, remote = {(void *)(start + got), chunk};
      ssize_t n = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);
      if (n <= 0) break;
      got += (size_t)n;
      if ((size_t)n < chunk) break;
    }
    t->window_start = start;
    t->window_len = got;
  }
#endif
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, s->as, t) < 0) return 0;
  int n = 0;
  do {
    unw_word_t ip;
    if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0) break;
    pcs[n++] = ip;
  } while (n < max && unw_step(&cursor) > 0);
  return n;
}
