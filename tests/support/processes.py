"""Start the fakes and the real bot as subprocesses, and stop them cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]


def wait_until(
    predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


class ServiceProcess:
    """A fake server module run with `python -m`, which prints `LISTENING <port>` when ready."""

    def __init__(self, module: str, *args: str) -> None:
        self.module = module
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> ServiceProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "--port", "0", *self.args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
        )
        assert self.proc.stdout is not None
        line = _read_line_with_deadline(self.proc.stdout, 60.0)
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"{self.module} did not start: {line!r}")
        self.port = int(line.split()[1])
        # Keep draining stdout so a chatty fake never blocks on a full pipe.
        stdout = self.proc.stdout
        threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        _end(self.proc, lambda proc: proc.send_signal(signal.SIGTERM))


def _end(proc: subprocess.Popen[str] | None, ask_to_exit: Callable[[Any], None]) -> None:
    """Ask a helper process to exit, kill it if it does not within 5 s, close its pipe."""
    if proc is not None and proc.poll() is None:
        ask_to_exit(proc)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc is not None and proc.stdout is not None:
        proc.stdout.close()


def _read_line_with_deadline(stream: IO[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


def bot_environment(env: dict[str, str]) -> dict[str, str]:
    """`env` over this process's environment, without any real Polza or Telegram settings."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("POLZA")}
    base.pop("BOT_TOKEN", None)
    return {**base, **env, "PYTHONPATH": str(ROOT)}


def run_bot_command(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """`python -m bot <args>` to completion (e.g. `doctor`), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=bot_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class BotProcess:
    """The real bot: `python -m bot` (or another `module`), its stderr captured to a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, module: str = "bot") -> None:
        self.env = env
        self.log_path = log_path
        self.module = module
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> BotProcess:
        self._log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=self.log_path.parent,
            env=bot_environment(self.env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process is still running after `timeout`."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait(5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return code

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Zygote:
    """Client of `tests.support.zygote`: forks pre-imported bot processes (see that module)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Zygote:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.zygote"],
            cwd=ROOT,
            env=bot_environment({}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = _read_line_with_deadline(self.proc.stdout, 60.0)
        if line != "READY":
            self.stop()
            raise RuntimeError(f"the bot zygote did not start: {line!r}")
        return self

    def request(self, **payload: object) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(payload) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def stop(self) -> None:
        # End of input is the zygote's signal to exit.
        _end(self.proc, lambda proc: proc.stdin.close())


class ForkedBotProcess:
    """The real bot as a child of the zygote: same behaviour as `BotProcess`, no import cost."""

    def __init__(self, zygote: Zygote, env: dict[str, str], log_path: Path) -> None:
        self.zygote = zygote
        self.env = env
        self.log_path = log_path
        self._pid: int | None = None
        self._code: int | None = None

    def start(self) -> ForkedBotProcess:
        answer = self.zygote.request(
            op="spawn",
            env=bot_environment(self.env),
            cwd=str(self.log_path.parent),
            log=str(self.log_path),
        )
        self._pid = int(answer["pid"])
        return self

    @property
    def pid(self) -> int:
        assert self._pid is not None
        return self._pid

    def send_signal(self, sig: int) -> None:
        if self._pid is not None and self._code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, sig)

    def wait(self, timeout: float) -> int | None:
        if self._pid is not None and self._code is None:
            self._code = self.zygote.request(op="wait", pid=self._pid, timeout=timeout)["code"]
        return self._code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self._pid is None:
            return None
        self.send_signal(sig)
        code = self.wait(timeout)
        if code is None:
            self.send_signal(signal.SIGKILL)
            code = self.wait(5)
        return code

    def running(self) -> bool:
        return self._pid is not None and self.wait(0) is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
