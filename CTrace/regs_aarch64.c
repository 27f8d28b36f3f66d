// aarch64 is not built yet. What it needs differs from x86_64 (see the project notes): the kernel
// rewinds pc before the ptrace stop, registers go through PTRACE_GETREGSET NT_PRSTATUS, the syscall
// number through NT_ARM_SYSTEM_CALL, and the instruction is svc #0 (01 00 00 d4).
#if !defined(__x86_64__)
#error "pipetrace's register layer supports x86_64 only so far"
#endif
