"""Real PostgreSQL and Redis servers on 127.0.0.1 for the tests, one of each per test process.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (Debian's
package makes it) or `nobody`. Missing binaries fail the test with what to install.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

INSTALL_HINT = "install them: apt-get install -y postgresql redis-server (.ci/run does)"


class ServerMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: p.parts)
    if versions:
        return str(versions[-1])
    raise ServerMissing(f"PostgreSQL's {name} is not installed; {INSTALL_HINT}")


def _run_as() -> list[str]:
    """The command prefix that drops root (PostgreSQL will not run as root)."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            return ["runuser", "-u", user, "--"]
    raise ServerMissing("running as root and neither the postgres nor the nobody user exists")


class PostgresServer:
    """A throwaway cluster: trust authentication, TCP on 127.0.0.1 only, no fsync."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="test-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._prefix = _run_as()
        self._initdb = _postgres_bin("initdb")
        self._pg_ctl = _postgres_bin("pg_ctl")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        if self._prefix:
            user = self._prefix[2]
            record = pwd.getpwnam(user)
            os.chown(self.root, record.pw_uid, record.pw_gid)
        self._run(
            self._initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        for attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            options = (
                f"-p {self.port} -h 127.0.0.1 -k '' -c fsync=off -c synchronous_commit=off"
                " -c full_page_writes=off -c max_connections=200 -c shared_buffers=16MB"
            )
            try:
                self._run(
                    self._pg_ctl, "-D", str(self.data), "-o", options,
                    "-l", str(self.root / "log"), "-w", "-t", "60", "start",
                )  # fmt: skip
                return self
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run(self._pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self._prefix, *command],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.root,
        )

    async def create_database(self) -> str:
        """A fresh empty database; its URL."""
        import asyncpg

        name = f"t_{uuid.uuid4().hex[:16]}"
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
        finally:
            await conn.close()


class RedisServer:
    """redis-server with nothing persisted."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServerMissing(f"redis-server is not installed; {INSTALL_HINT}")
        self._binary = binary
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="test-redis-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for attempt in range(3):
            self.port = free_port()
            command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            command += ["--save", "", "--appendonly", "no", "--dir", str(self._dir)]
            self.proc = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.proc.poll() is None:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
                ):
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
                time.sleep(0.05)
            self.stop()
            if attempt == 2:
                raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
