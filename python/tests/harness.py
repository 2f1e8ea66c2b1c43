"""Drive a real worker process over its fd 3 / fd 4 pipes, as the TypeScript server does."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
TERMINAL = ("done", "failed", "canceled")
#: The interpreter that runs the worker: set COG_TEST_PYTHON to try another Python version
#: while pytest itself runs on this one.
WORKER_PYTHON = os.environ.get("COG_TEST_PYTHON") or sys.executable


@dataclass
class Result:
    terminal: dict[str, Any]
    outputs: list[Any] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.terminal["type"]

    @property
    def output(self) -> Any:
        return self.terminal.get("output")

    @property
    def error(self) -> str | None:
        return self.terminal.get("error")

    @property
    def text(self) -> str:
        return "".join(m["data"] for m in self.logs)

    def source(self, source: str) -> str:
        return "".join(m["data"] for m in self.logs if m["source"] == source)


class Worker:
    """A worker process; messages it sends are collected by a thread into `self.messages`."""

    def __init__(self, ref: str, mode: str | None = None, cwd: str = FIXTURES, env: dict[str, str] | None = None) -> None:
        to_worker_r, self._to_worker = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        # The child's ends get numbers >= 10 so that moving them to 3 and 4 cannot clobber each
        # other; a tiny bootstrap does the moving, then execs the worker (Popen maps only 0-2).
        child_in = fcntl.fcntl(to_worker_r, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_worker_w, fcntl.F_DUPFD, 10)
        os.close(to_worker_r)
        os.close(from_worker_w)
        boot = (
            f"import os, sys; os.dup2({child_in}, 3); os.dup2({child_out}, 4); os.close({child_in}); os.close({child_out}); "
            "os.execv(sys.executable, [sys.executable, '-m', 'cog.server.worker', *sys.argv[1:]])"
        )
        args = ["--ref", ref] + (["--mode", mode] if mode else [])
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = PYTHON_DIR + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"
        full_env.update(env or {})
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [WORKER_PYTHON, "-c", boot, *args],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            pass_fds=(child_in, child_out),
        )
        os.close(child_in)
        os.close(child_out)
        self.messages: list[dict[str, Any]] = []
        self.bad_lines: list[bytes] = []
        self.eof = False
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(from_worker_r,), daemon=True)
        self._reader.start()

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as stream:
            for line in stream:
                try:
                    message = json.loads(line)
                    assert isinstance(message, dict) and line.isascii()
                except (ValueError, AssertionError):
                    with self._cond:
                        self.bad_lines.append(line)
                        self._cond.notify_all()
                    continue
                with self._cond:
                    self.messages.append(message)
                    self._cond.notify_all()
        with self._cond:
            self.eof = True
            self._cond.notify_all()

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        os.write(self._to_worker, (json.dumps(message) + "\n").encode())

    def close_input(self) -> None:
        if self._to_worker >= 0:
            os.close(self._to_worker)
            self._to_worker = -1

    # -- receiving --------------------------------------------------------------------------

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                assert not self.bad_lines, f"the worker sent lines that are not JSON objects: {self.bad_lines!r}"
                for message in self.messages:
                    if match(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.eof:
                    raise AssertionError(f"no matching message within {timeout}s; got {self.messages!r}; stderr: {self.diagnostics()!r}")
                self._cond.wait(remaining)

    def setup(self, weights: str | None = None, timeout: float = 10.0) -> tuple[dict[str, Any], str]:
        """Send setup; return the ready/setup_failed message and the setup logs."""
        self.send({"type": "setup", "weights": weights})
        reply = self.wait_for(lambda m: m["type"] in ("ready", "setup_failed"), timeout)
        logs = "".join(m["data"] for m in self.messages if m["type"] == "log" and m["id"] is None)
        return reply, logs

    def start(self, prediction_id: str, inputs: dict[str, Any] | None = None, context: dict[str, Any] | None = None) -> None:
        self.send({"type": "predict", "id": prediction_id, "input": inputs or {}, "context": context or {}})

    def result(self, prediction_id: str, timeout: float = 10.0) -> Result:
        terminal = self.wait_for(lambda m: m["type"] in TERMINAL and m["id"] == prediction_id, timeout)
        with self._cond:
            mine = [m for m in self.messages if m.get("id") == prediction_id]
        return Result(
            terminal=terminal,
            outputs=[m["value"] for m in mine if m["type"] == "output"],
            logs=[m for m in mine if m["type"] == "log"],
            metrics=[m for m in mine if m["type"] == "metric"],
        )

    def predict(self, prediction_id: str, inputs: dict[str, Any] | None = None, context: dict[str, Any] | None = None, timeout: float = 10.0) -> Result:
        self.start(prediction_id, inputs, context)
        return self.result(prediction_id, timeout)

    def wait_exit(self, timeout: float = 5.0) -> int:
        return self.proc.wait(timeout)

    def diagnostics(self) -> str:
        """What the worker wrote to its original stderr."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"type": "shutdown"})
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close_input()
        self.stderr.close()
