// CTrace: the few things Swift cannot do itself. Every symbol carries the ct_ prefix.
#ifndef CTRACE_H
#define CTRACE_H
#include "ct_ptrace.h"
#include "ct_spawn.h"
#include "ct_regs.h"
#include "ct_signals.h"
#include "ct_system.h"
#include "ct_unwind.h"
#include "ct_inject.h"
#include "ct_sockdiag.h"
#include "ct_xz.h"
#include "ct_kernel_abi.h"
#include "ct_decode.h"
#endif
