"""pipetrace.run against the real pipetrace binary (PIPETRACE or PATH) and real processes.

Every process a test starts is ended by pid in the test: the leaked `sleep`s are the holders
pipetrace names, checked to be the sleep this test started before they are signalled.
"""

import os
import signal
import subprocess
import sys
import time
import unittest

import pipetrace


def cmdline(pid):
    try:
        with open("/proc/{}/cmdline".format(pid), "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def alive(pid):
    """Running and not a zombie."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def end_sleepers(holders, marker):
    """SIGKILL the holders that are still the `sleep MARKER` this test started."""
    for pid in sorted({h.pid for h in holders}):
        if cmdline(pid)[:2] == [b"sleep", marker.encode()]:
            os.kill(pid, signal.SIGKILL)


def wait_gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class RunTests(unittest.TestCase):
    def test_seed_hang_returns_with_the_output_and_names_the_sleep(self):
        # The original story: communicate() on `sleep 300 & echo start ok` never returns.
        marker = "300.{}".format(os.getpid())
        started = time.monotonic()
        r = pipetrace.run("sleep {} & echo start ok".format(marker), shell=True, grace=1)
        elapsed = time.monotonic() - started
        try:
            self.assertEqual(r.stdout, b"start ok\n")
            self.assertEqual(r.stderr, b"")
            self.assertEqual(r.returncode, 0)
            self.assertFalse(r.timed_out)
            self.assertEqual(sorted({h.fd for h in r.holders}), [1, 2])
            self.assertEqual({h.comm for h in r.holders}, {"sleep"})
            # Returned instead of waiting 300 s for the sleep (about --grace; generous for a loaded machine).
            self.assertLess(elapsed, 60)
            self.assertIsInstance(r, subprocess.CompletedProcess)
        finally:
            end_sleepers(r.holders, marker)

    def test_on_leak_kill_ends_the_holder(self):
        marker = "301.{}".format(os.getpid())
        r = pipetrace.run(["sh", "-c", "sleep {} & echo hi".format(marker)], on_leak="kill", grace=0.5)
        try:
            self.assertEqual(r.stdout, b"hi\n")
            self.assertTrue(r.holders)
            for pid in {h.pid for h in r.holders}:
                self.assertIn(pid, r.killed)
                self.assertTrue(wait_gone(pid), "holder {} still alive".format(pid))
        finally:
            end_sleepers(r.holders, marker)

    def test_check_raises_called_process_error(self):
        with self.assertRaises(subprocess.CalledProcessError) as caught:
            pipetrace.run("echo out; echo err >&2; exit 3", shell=True, check=True)
        self.assertEqual(caught.exception.returncode, 3)
        self.assertEqual(caught.exception.stdout, b"out\n")
        self.assertEqual(caught.exception.stderr, b"err\n")

    def test_timeout_is_returned_or_raised_with_check(self):
        r = pipetrace.run(["sh", "-c", "echo before; exec sleep 30"], timeout=0.5)
        self.assertTrue(r.timed_out)
        self.assertEqual(r.stdout, b"before\n")
        self.assertEqual(r.returncode, -signal.SIGKILL)
        self.assertTrue(r.killed)
        for pid in r.killed:
            self.assertTrue(wait_gone(pid))
        # What the tree was blocked in before the kill: the shell's exec'd sleep.
        self.assertIsInstance(r.autopsy, dict)
        self.assertTrue(any(t.get("comm") == "sleep" for t in r.autopsy.get("tasks", [])), r.autopsy)
        with self.assertRaises(subprocess.TimeoutExpired) as caught:
            pipetrace.run(["sh", "-c", "echo before; exec sleep 30"], timeout=0.5, check=True)
        self.assertEqual(caught.exception.output, b"before\n")

    def test_timeout_with_stack_gives_the_blocked_threads_stacks(self):
        # The seed's Python: its poll on the pipes the sleeper leaked, unwound before the kill.
        marker = "302.{}".format(os.getpid())
        script = "import subprocess; subprocess.run('sleep {} & echo start ok', shell=True, capture_output=True)".format(marker)
        r = pipetrace.run([sys.executable, "-c", script], timeout=3, stack=True)
        self.assertTrue(r.timed_out)
        tasks = r.autopsy["tasks"]
        python = [t for t in tasks if t["comm"].startswith("python")]
        sleeper = [t for t in tasks if t["comm"] == "sleep"]
        self.assertTrue(python and sleeper, tasks)
        stacks = {s["tid"]: s for s in r.autopsy["stacks"]}
        symbols = [f["symbol"] or "" for f in stacks[python[0]["tid"]]["frames"]]
        self.assertTrue(any(s.endswith("poll") for s in symbols), symbols)
        self.assertIn("select_poll_poll", symbols)
        # Unwound, let go, then killed with the tree.
        for pid in r.killed:
            self.assertTrue(wait_gone(pid))
        self.assertIn(sleeper[0]["pid"], r.killed)
        # Without stack=True: no stacks (no thread is stopped).
        plain = pipetrace.run(["sh", "-c", "exec sleep 30"], timeout=0.5)
        self.assertNotIn("stacks", plain.autopsy)

    def test_input_reaches_the_command(self):
        r = pipetrace.run(["cat"], input=b"abc\x00\xff")
        self.assertEqual(r.stdout, b"abc\x00\xff")
        self.assertEqual(pipetrace.run(["cat"], input="é", text=True).stdout, "é")

    def test_stdin_is_dev_null_without_input(self):
        self.assertEqual(pipetrace.run(["cat"]).stdout, b"")

    def test_bytes_that_are_not_utf8_are_kept(self):
        r = pipetrace.run(["sh", "-c", r"printf 'a\377\376b'; printf '\200' >&2"])
        self.assertEqual(r.stdout, b"a\xff\xfeb")
        self.assertEqual(r.stderr, b"\x80")

    def test_a_signal_is_a_negative_returncode(self):
        r = pipetrace.run(["sh", "-c", "kill -TERM $$"])
        self.assertEqual(r.returncode, -signal.SIGTERM)
        self.assertEqual(r.signal, "SIGTERM")

    def test_text_mode_decodes(self):
        r = pipetrace.run(["printf", "h\u00e9"], text=True)
        self.assertEqual(r.stdout, "h\u00e9")

    def test_command_not_found_raises_file_not_found(self):
        with self.assertRaises(FileNotFoundError) as caught:
            pipetrace.run(["/nonexistent/program"])
        self.assertNotIsInstance(caught.exception, pipetrace.PipetraceNotFound)

    def test_missing_binary_says_so(self):
        saved = dict(os.environ)
        try:
            os.environ["PIPETRACE"] = "/nonexistent/pipetrace"
            with self.assertRaises(pipetrace.PipetraceNotFound) as caught:
                pipetrace.run(["true"])
            self.assertIn("PIPETRACE", str(caught.exception))
            del os.environ["PIPETRACE"]
            os.environ["PATH"] = "/nonexistent"
            with self.assertRaises(pipetrace.PipetraceNotFound) as caught:
                pipetrace.run(["true"])
            self.assertIn("not installed", str(caught.exception))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_bad_arguments_are_refused_before_running(self):
        with self.assertRaises(ValueError):
            pipetrace.run(["true"], on_leak="ignore")
        with self.assertRaises(ValueError):
            pipetrace.run([])
        with self.assertRaises(TypeError):
            pipetrace.run(["echo", "x"], shell=True)
        with self.assertRaises(ValueError):
            pipetrace.run(["true"], timeout=-1)


if __name__ == "__main__":
    unittest.main()
