"""The worker's two protocol pipes: JSON lines in on fd 3, JSON lines out on fd 4.

See docs/decisions/0004-python-worker-behind-the-typescript-server.md for the messages.
Outgoing lines are ASCII (`ensure_ascii`), so a lone surrogate in model output cannot make the
line invalid UTF-8, and never contain NaN/Infinity, which JavaScript's JSON.parse rejects.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Iterator

from .cancel import gate

IN_FD = 3
OUT_FD = 4


def dumps(message: Any) -> str:
    """One protocol line (without the newline); raises ValueError/TypeError for non-JSON."""
    return json.dumps(message, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


class Channel:
    def __init__(self, in_fd: int = IN_FD, out_fd: int = OUT_FD) -> None:
        self._in_fd = in_fd
        self._out_fd = out_fd
        self._lock = threading.Lock()
        self._closed = False
        # Model code must not inherit the protocol pipes: a grandchild holding fd 4 open would
        # keep the server from seeing the worker's end of file.
        os.set_inheritable(in_fd, False)
        os.set_inheritable(out_fd, False)

    def send(self, message: dict[str, Any]) -> None:
        """Write one message atomically with respect to other threads and to cancel signals.

        If the server has gone away (broken pipe) the worker has nothing left to do: exit.
        """
        data = (dumps(message) + "\n").encode("ascii")
        with gate.shielded(), self._lock:
            if self._closed:
                return
            view = memoryview(data)
            try:
                while view:
                    written = os.write(self._out_fd, view)
                    view = view[written:]
            except OSError:
                os._exit(1)

    def close_for_exit(self, timeout: float = 2.0) -> None:
        """Stop all further sends, waiting (a little) for one in progress to finish its line."""
        if self._lock.acquire(timeout=timeout):
            self._closed = True

    def messages(self) -> Iterator[dict[str, Any] | str]:
        """Incoming messages until end of file; a line that is not a JSON object is yielded as text."""
        with os.fdopen(self._in_fd, "rb", closefd=False) as stream:
            for raw in stream:
                line = raw.strip()
                if not line:
                    continue
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                yield message if isinstance(message, dict) else line.decode("utf-8", "replace")
