// Remote stack unwinding of a stopped tracee with libunwind-ptrace. One address space per traced
// process image (its caches live as long as the image), one handle per thread.
#ifndef CT_UNWIND_H
#define CT_UNWIND_H
#include <stdint.h>
#include <sys/types.h>

#pragma clang assume_nonnull begin

typedef struct ct_unwind_space ct_unwind_space;
typedef struct ct_unwind_thread ct_unwind_thread;

// NULL when out of memory.
ct_unwind_space *_Nullable ct_unwind_space_create(void);
// Forget cached unwind info (the process mapped or unmapped code).
void ct_unwind_space_flush(ct_unwind_space *space);
void ct_unwind_space_destroy(ct_unwind_space *space);

// NULL when out of memory or libunwind-ptrace could not set up the thread.
ct_unwind_thread *_Nullable ct_unwind_thread_create(pid_t tid);
void ct_unwind_thread_destroy(ct_unwind_thread *thread);

// Unwinds the stopped thread: up to max program counters, innermost first. Returns the count
// (0 when even the first frame could not be read).
int ct_unwind(ct_unwind_space *space, ct_unwind_thread *thread, uint64_t *pcs, int max);

#pragma clang assume_nonnull end
#endif
