"""A pre-imported parent for bot processes: `python -m tests.support.zygote`.

Importing aiogram and the bot costs ~7 s of CPU per process, which made bot start-ups most of
the end-to-end suite's time. The zygote imports the bot once and forks one child per start.
Each child is an ordinary OS process that runs `bot.__main__.main()` with its own environment,
working directory and log file, so signals, kill -9, exit codes and real HTTP behave exactly as
for `python -m bot`; only the imports are shared. The zygote stays single-threaded and never
starts an event loop, so forking it is safe.

Protocol, one JSON object per line on stdin, one JSON answer per line on stdout:
  {"op": "spawn", "env": {...}, "cwd": "...", "log": "..."}  →  {"pid": 1234}
  {"op": "wait", "pid": 1234, "timeout": 5.0}               →  {"code": 0} or {"code": null}
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from typing import Any

import bot.__main__ as bot_main
import bot.lifecycle  # noqa: F401 - the heavy imports, shared by every child

_POLL_SECONDS = 0.02


class Zygote:
    def __init__(self) -> None:
        self.exit_codes: dict[int, int] = {}

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exit_codes[pid] = os.waitstatus_to_exitcode(status)

    def spawn(self, env: dict[str, str], cwd: str, log: str) -> int:
        pid = os.fork()
        if pid == 0:  # the child never returns from here
            _run_bot(env, cwd, log)
        return pid

    def wait(self, pid: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while True:
            self.reap()
            if pid in self.exit_codes:
                return self.exit_codes.pop(pid)
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_SECONDS)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        if request["op"] == "spawn":
            return {"pid": self.spawn(request["env"], request["cwd"], request["log"])}
        if request["op"] == "wait":
            return {"code": self.wait(int(request["pid"]), float(request["timeout"]))}
        return {"error": f"unknown op {request['op']!r}"}


def _run_bot(env: dict[str, str], cwd: str, log: str) -> None:
    code = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.close(null_fd)
        sys.argv = [bot_main.__file__]
        bot_main.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    zygote = Zygote()
    print("READY", flush=True)  # noqa: T201 - the protocol's first line
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(zygote.answer(json.loads(line))), flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
