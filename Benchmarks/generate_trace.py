#!/usr/bin/env python3
"""Writes a pipetrace JSON-lines trace (README schema) of N events: a shell-like process tree
passing data through pipes, with the usual mix of read/write/openat/mmap/close and some errors."""
import json, random, sys

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
    rnd = random.Random(42)
    ts = 1764196800.0
    inode = 44876000
    w = out.write
    w(json.dumps({"event": "start", "version": 1, "ts": ts, "command": ["sh", "-c", "work"], "attached": []}) + "\n")
    count = 1
    pid = 1000
    next_pid = 1001
    while count < n:
        # One child per round: pipe2, fork, child writes, parent reads, child exits, wait4.
        inode += 1
        ts += 0.0001
        fds = [{"arg": 0, "index": 0, "fd": 3, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"},
               {"arg": 0, "index": 1, "fd": 4, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"}]
        w(json.dumps({"event": "syscall", "pid": pid, "tid": pid, "ts": round(ts, 6), "name": "pipe2", "args": [[3, 4], "O_CLOEXEC"], "ret": 0, "dur": 0.000008, "fds": fds}) + "\n")
        child = next_pid
        next_pid += 1
        w(json.dumps({"event": "fork", "pid": pid, "tid": pid, "child": child, "kind": "fork", "ts": round(ts, 6)}) + "\n")
        w(json.dumps({"event": "exec", "pid": child, "tid": child, "path": "/bin/worker", "argv": ["worker", str(child)], "ts": round(ts + 0.00001, 6)}) + "\n")
        count += 3
        for _ in range(rnd.randint(50, 150)):
            ts += rnd.random() * 0.00005
            k = rnd.random()
            p = rnd.choice((pid, child))
            if k < 0.35:
                data = "line %d of output\n" % rnd.randint(0, 99999)
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "read", "args": [3, data, 4096], "ret": len(data), "dur": round(rnd.random() * 0.0001, 6),
                       "fds": [{"arg": 0, "fd": 3, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"}]}
            elif k < 0.7:
                data = "line %d of output\n" % rnd.randint(0, 99999)
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "write", "args": [4, data, len(data)], "ret": len(data), "dur": round(rnd.random() * 0.00003, 6),
                       "fds": [{"arg": 0, "fd": 4, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"}]}
            elif k < 0.8:
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "openat", "args": ["AT_FDCWD", "/etc/ld.so.cache", "O_RDONLY|O_CLOEXEC"], "ret": 5, "dur": 0.000012,
                       "fds": [{"arg": 0, "fd": -100, "kind": "file", "path": "/tmp"}]}
            elif k < 0.9:
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "mmap", "args": [None, 8192, "PROT_READ|PROT_WRITE", "MAP_PRIVATE|MAP_ANONYMOUS", -1, 0], "ret": 140737354125312, "dur": 0.000005}
            elif k < 0.95:
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "close", "args": [9], "ret": -1, "errno": "EBADF", "dur": 0.000003,
                       "fds": [{"arg": 0, "fd": 9, "kind": "other", "path": "?"}]}
            else:
                rec = {"event": "syscall", "pid": p, "tid": p, "ts": round(ts, 6), "name": "newfstatat", "args": [5, "", "{st_mode=S_IFREG|0644, st_size=1234, ...}", "AT_EMPTY_PATH"], "ret": 0, "dur": 0.000004}
            w(json.dumps(rec) + "\n")
            count += 1
            if count >= n:
                break
        ts += 0.0002
        w(json.dumps({"event": "syscall", "pid": child, "tid": child, "ts": round(ts, 6), "name": "exit_group", "args": [0], "ret": None, "dur": None}) + "\n")
        w(json.dumps({"event": "exit", "pid": child, "tid": child, "code": 0, "signal": None, "core": False, "ts": round(ts + 0.00001, 6)}) + "\n")
        w(json.dumps({"event": "syscall", "pid": pid, "tid": pid, "ts": round(ts - 0.0001, 6), "name": "wait4", "args": [child, "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]", 0, None], "ret": child, "dur": 0.00012}) + "\n")
        w(json.dumps({"event": "syscall", "pid": pid, "tid": pid, "ts": round(ts + 0.00002, 6), "name": "close", "args": [3], "ret": 0, "dur": 0.000002,
                      "fds": [{"arg": 0, "fd": 3, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"}]}) + "\n")
        w(json.dumps({"event": "syscall", "pid": pid, "tid": pid, "ts": round(ts + 0.00003, 6), "name": "close", "args": [4], "ret": 0, "dur": 0.000002,
                      "fds": [{"arg": 0, "fd": 4, "kind": "pipe", "inode": inode, "path": f"pipe:[{inode}]"}]}) + "\n")
        count += 5
    out.close()

main()
