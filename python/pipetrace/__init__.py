"""subprocess.run that cannot hang on leaked pipes.

`run()` runs a command under `pipetrace run --json` (the pipetrace binary: on PATH, or named by the
PIPETRACE environment variable) and returns a `subprocess.CompletedProcess` with the output as
bytes, exactly as the command wrote them, plus what pipetrace saw: whether the timeout fired, which
processes kept the output pipes open after the command exited (`holders`), and, when the timeout
fired, the account of what the tree was blocked in (`autopsy`).

Standard library only.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

__all__ = [
    "run",
    "find_binary",
    "Completed",
    "Holder",
    "PipetraceError",
    "PipetraceNotFound",
    "ON_LEAK_ACTIONS",
]

# What `pipetrace run --on-leak` accepts.
ON_LEAK_ACTIONS = ("report", "close", "kill")


class PipetraceError(RuntimeError):
    """pipetrace itself failed (a usage error, output it could not parse)."""


class PipetraceNotFound(PipetraceError, FileNotFoundError):
    """No pipetrace binary: neither PIPETRACE nor PATH names one."""


class Holder(NamedTuple):
    """A process that held the write end of a captured pipe after the command exited."""

    pid: int
    fd: int
    comm: str


class Completed(subprocess.CompletedProcess):
    """A CompletedProcess with what pipetrace saw.

    Beyond `args`, `returncode`, `stdout` and `stderr` (bytes, or str with text=True):
    - `timed_out`: the timeout fired and the whole tree was killed;
    - `holders`: processes that kept the output pipes open after the command exited;
    - `closed`: holders whose leaked fds were replaced by /dev/null (on_leak="close");
    - `killed`: pids ended by the timeout or by on_leak="kill";
    - `signal`: the name of the signal that ended the command, or None;
    - `wall`: seconds the command ran;
    - `stdout_omitted`, `stderr_omitted`: bytes left out of the middle of a stream larger than
      pipetrace's `keep` bound (0 when the stream is whole);
    - `autopsy`: what the tree was blocked in when the timeout fired (a dict, or None; with
      stack=True its "stacks" list holds the blocked threads' frames);
    - `report`: the whole JSON object pipetrace printed.
    """

    def __init__(self, args, returncode, stdout, stderr, report: Dict[str, Any]):
        super().__init__(args, returncode, stdout, stderr)
        self.report = report
        self.timed_out = bool(report.get("timed_out"))
        self.holders = [_holder(h) for h in report.get("holders") or []]
        self.closed = [_holder(h) for h in report.get("closed") or []]
        self.killed = list(report.get("killed") or [])
        self.signal = report.get("signal")
        self.wall = report.get("wall")
        self.stdout_omitted = int(report.get("stdout_omitted") or 0)
        self.stderr_omitted = int(report.get("stderr_omitted") or 0)
        self.autopsy = report.get("autopsy")

    def __repr__(self):
        extra = ""
        if self.timed_out:
            extra += ", timed_out=True"
        if self.holders:
            extra += ", holders={!r}".format(self.holders)
        return super().__repr__()[:-1] + extra + ")"


def find_binary() -> str:
    """The pipetrace binary to run: $PIPETRACE if set, else `pipetrace` on PATH."""
    named = os.environ.get("PIPETRACE")
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return named
        raise PipetraceNotFound(
            errno.ENOENT, "PIPETRACE names {!r}, which is not an executable file".format(named), named
        )
    found = shutil.which("pipetrace")
    if found:
        return found
    raise PipetraceNotFound(
        errno.ENOENT,
        "pipetrace is not installed: no 'pipetrace' on PATH and PIPETRACE is not set "
        "(build it with scripts/install.sh, or set PIPETRACE=/path/to/pipetrace)",
        "pipetrace",
    )


def run(
    args: Union[str, bytes, os.PathLike, Sequence[Union[str, bytes, os.PathLike]]],
    *,
    shell: bool = False,
    timeout: Optional[float] = None,
    input: Optional[Union[bytes, str]] = None,
    on_leak: str = "report",
    check: bool = False,
    grace: Optional[float] = None,
    keep: Optional[Union[int, str]] = None,
    text: bool = False,
    encoding: Optional[str] = None,
    errors: Optional[str] = None,
    cwd: Optional[Union[str, bytes, os.PathLike]] = None,
    env: Optional[Dict[str, str]] = None,
    stack: bool = False,
    pipetrace: Optional[str] = None,
) -> Completed:
    """Runs `args` as subprocess.run(args, capture_output=True) would, without hanging on leaks.

    - `shell=True`: `args` is one string run with /bin/sh -c.
    - `timeout`: seconds; then the whole process tree is killed. Unlike subprocess.run, a timeout
      is returned (`timed_out=True`, returncode -9) unless `check=True`, which raises
      subprocess.TimeoutExpired (with the output read so far) as subprocess.run does.
    - `input`: bytes (or str with text=True) written to the command's stdin; otherwise its stdin
      is /dev/null.
    - `on_leak`: what happens to processes still holding the output pipes once the command has
      exited: "report" (left running), "close" (/dev/null put in place of their leaked fds) or
      "kill" (SIGTERM, then SIGKILL after `grace`).
    - `check=True`: a non-zero exit raises subprocess.CalledProcessError.
    - `grace`: seconds to wait for the pipes to close after the command exits (pipetrace's
      default: 1).
    - `keep`: bytes of each stream kept (pipetrace's --keep; K, M, G suffixes as a string).
    - `text`, `encoding`, `errors`: decode stdout and stderr as subprocess.run does.
    - `cwd`, `env`: the command's working directory and environment.
    - `stack=True`: the autopsy also holds the user-space stacks of the blocked threads
      (`autopsy["stacks"]`, pipetrace's `run --stack`); each is stopped for a moment before the kill.
    - `pipetrace`: the binary to use instead of find_binary().
    """
    if on_leak not in ON_LEAK_ACTIONS:
        raise ValueError("on_leak must be one of {}, not {!r}".format(", ".join(ON_LEAK_ACTIONS), on_leak))
    binary = pipetrace or find_binary()
    command = [binary, "run", "--json", "--on-leak", on_leak]
    if timeout is not None:
        command += ["--timeout", _seconds("timeout", timeout)]
    if grace is not None:
        command += ["--grace", _seconds("grace", grace)]
    if keep is not None:
        command += ["--keep", str(keep)]
    if stack:
        command += ["--stack"]
    if input is not None:
        command += ["--input", "-"]
        if isinstance(input, str):
            input = input.encode(encoding or "utf-8", errors or "strict")
    if shell:
        if not isinstance(args, (str, bytes)):
            raise TypeError("with shell=True, args must be one string")
        command += ["-c", args]
    else:
        if isinstance(args, (str, bytes, os.PathLike)):
            args = [args]
        args = list(args)
        if not args:
            raise ValueError("args is empty: no command to run")
        command += ["--"] + args

    done = subprocess.run(
        command,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        env=env,
    )
    report = _parse(done, args)
    stdout = _stream(report, "stdout")
    stderr = _stream(report, "stderr")
    if text or encoding or errors:
        stdout = stdout.decode(encoding or "utf-8", errors or "strict")
        stderr = stderr.decode(encoding or "utf-8", errors or "strict")
    result = Completed(args, _returncode(report), stdout, stderr, report)
    if check and result.timed_out:
        raise subprocess.TimeoutExpired(args, timeout, output=stdout, stderr=stderr)
    if check:
        result.check_returncode()
    return result


def _seconds(name: str, value: float) -> str:
    value = float(value)
    if not value >= 0:
        raise ValueError("{} must be a number of seconds >= 0, not {!r}".format(name, value))
    return repr(value)


def _parse(done: subprocess.CompletedProcess, args) -> Dict[str, Any]:
    """pipetrace's one JSON object; its own errors as exceptions."""
    message = done.stderr.decode("utf-8", "replace").strip()
    if not done.stdout.strip():
        if done.returncode == 127:
            # As subprocess.run raises when the program cannot be found.
            raise FileNotFoundError(errno.ENOENT, message or "command not found", _first(args))
        raise PipetraceError(message or "pipetrace exited with status {} and printed nothing".format(done.returncode))
    try:
        report = json.loads(done.stdout)
    except ValueError as error:
        raise PipetraceError("pipetrace printed something that is not its JSON report: {}".format(error)) from None
    if not isinstance(report, dict):
        raise PipetraceError("pipetrace printed JSON that is not an object")
    return report


def _first(args) -> str:
    if isinstance(args, (list, tuple)) and args:
        return os.fsdecode(args[0])
    return os.fsdecode(args) if isinstance(args, (str, bytes, os.PathLike)) else str(args)


def _bytes(value) -> bytes:
    """pipetrace's lossless byte strings: a JSON string for UTF-8, {"hex": "..."} for other bytes."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict) and isinstance(value.get("hex"), str):
        return bytes.fromhex(value["hex"])
    raise PipetraceError("unexpected value for a byte string in pipetrace's report: {!r}".format(value))


def _stream(report: Dict[str, Any], name: str) -> bytes:
    """A stream's bytes; with a middle left out (stdout_omitted > 0), its first and last parts."""
    data = _bytes(report.get(name))
    if report.get(name + "_omitted"):
        data += _bytes(report.get(name + "_tail"))
    return data


def _returncode(report: Dict[str, Any]) -> int:
    """The exit code, or -N when signal N ended the command (subprocess's convention)."""
    code = report.get("exit_code")
    if code is not None:
        return int(code)
    name = report.get("signal")
    if isinstance(name, str):
        try:
            return -int(signal.Signals[name])
        except KeyError:
            pass
    return -int(signal.SIGKILL) if report.get("timed_out") else -1


def _holder(value: Dict[str, Any]) -> Holder:
    # comm is another process's bytes: kept as pipetrace wrote them, undecodable bytes as surrogates.
    comm = _bytes(value.get("comm", "?")).decode("utf-8", "surrogateescape")
    return Holder(int(value.get("pid", 0)), int(value.get("fd", -1)), comm)
