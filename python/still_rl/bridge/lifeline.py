"""A peer spawned by the TS side dies with it, even when the TS process is killed with SIGKILL.

Linux: the kernel sends SIGKILL when the parent exits (PR_SET_PDEATHSIG). Everywhere: a watchdog thread
exits when the parent pid changes (re-parenting). Ctrl-C reaches the whole process group, and a scheduler's stop
may signal the whole process tree (Ray's `job stop` sends SIGTERM to every descendant); the TS side owns
shutdown (a training run finishes its step and checkpoints with this peer), so a spawned peer ignores SIGINT and
SIGTERM and is told to stop over the bridge instead, or killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_installed = False


def bind_to_parent(parent_pid: int, poll_seconds: float = 0.5) -> None:
    global _installed
    if _installed:
        return
    _installed = True
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        _orphaned(parent_pid)

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if os.getppid() != parent_pid:
                _orphaned(parent_pid)

    threading.Thread(target=watch, name="bridge-lifeline", daemon=True).start()


def _orphaned(parent_pid: int) -> None:
    print(f"still_rl bridge: parent process {parent_pid} is gone; exiting", file=sys.stderr, flush=True)
    os._exit(1)
