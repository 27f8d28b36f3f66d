// System calls wrapped once: typed Errno, ptrace and tracee memory, /proc, clocks, signals, display and JSON text.
