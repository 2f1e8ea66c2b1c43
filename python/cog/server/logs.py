"""Model output → `log` messages of the right prediction.

Two paths, because model output arrives in two ways:

* Python-level writes (`print()`, `sys.stdout.write`, `logging`) go through the stream objects
  installed as `sys.stdout`/`sys.stderr`. They are routed by a context variable set for the
  code running a prediction (or setup), so concurrent async predictions keep separate logs.
  Text is sent a line at a time (up to the last `\\n` or `\\r`, so progress bars move), and
  everything left is sent by `flush()` and before a prediction's terminal message.
* fd-level writes (subprocesses, C extensions, `os.write(1, ...)`) land in pipes that replace
  fds 1 and 2. Reader threads forward them to whoever is the only thing running (setup or the
  single active prediction). When that is ambiguous (several async predictions) or nothing
  runs, the bytes go to the worker's original stderr rather than to a guessed prediction.

Python-level writes from code with no routing context (a thread started by `predict()`) use
the same rule as fd-level ones.

Before a terminal message the worker calls `drain()`: it writes a unique marker into each fd
pipe and waits until the reader has passed it, so output written before the prediction ended
is sent before the prediction's `done`/`failed`/`canceled`.
"""

from __future__ import annotations

import codecs
import fcntl
import io
import itertools
import os
import select
import struct
import sys
import termios
import threading
import time
from contextvars import ContextVar
from typing import Any, Callable

from .cancel import gate
from .channel import Channel


class _Setup:
    """Routing target of import and setup output (sent with `"id": null`)."""

    def __repr__(self) -> str:
        return "SETUP"


SETUP: Any = _Setup()

#: The routing target of the code running now: a prediction id, SETUP, or None (unknown).
current_target: ContextVar[Any] = ContextVar("cog_log_target", default=None)

_SOURCES = {1: "stdout", 2: "stderr"}
_CHUNK = 8192
_MARK = b"\x00\x1b[cog-drain:"
_MARK_END = b"\x00"


class LogRouter:
    def __init__(self, channel: Channel, diag_fd: int) -> None:
        self._channel = channel
        self._diag_fd = diag_fd
        self._lock = threading.Lock()
        self._buffers: dict[tuple[Any, str], str] = {}
        self._readers: list[_FdReader] = []
        #: Set by the worker: the target for output that carries no context (see module doc).
        self.fallback: Callable[[], Any] = lambda: None

    def install(self) -> None:
        """Put pipes under fds 1 and 2 and the routing streams in sys.stdout/sys.stderr."""
        for fd, source in _SOURCES.items():
            read_fd, write_fd = os.pipe()
            os.dup2(write_fd, fd)  # fds 1/2 stay inheritable: subprocesses write into the pipes
            os.close(write_fd)
            reader = _FdReader(self, read_fd, fd, source)
            reader.start()
            self._readers.append(reader)
        sys.stdout = _Redirector(self, "stdout", 1)
        sys.stderr = _Redirector(self, "stderr", 2)

    # -- Python-level writes -------------------------------------------------------------

    def write(self, source: str, text: str) -> None:
        if not text:
            return
        target = self._target()
        with gate.shielded(), self._lock:
            key = (target, source)
            buffered = self._buffers.pop(key, "") + text
            cut = max(buffered.rfind("\n"), buffered.rfind("\r")) + 1
            if cut == 0 and len(buffered) >= _CHUNK:
                cut = len(buffered)
            if cut < len(buffered):
                self._buffers[key] = buffered[cut:]
            if cut:
                self._emit(target, source, buffered[:cut])

    def flush_source(self, source: str) -> None:
        """`sys.stdout.flush()`: send the current context's partial line."""
        target = self._target()
        with gate.shielded(), self._lock:
            text = self._buffers.pop((target, source), "")
            if text:
                self._emit(target, source, text)

    def flush_target(self, target: Any) -> None:
        """Send whatever is buffered for a prediction (or SETUP), both sources."""
        with gate.shielded(), self._lock:
            self._flush_locked(target)

    def flush_all(self, timeout: float = 1.0) -> None:
        """At exit: send every buffer, unless another thread holds the lock too long."""
        if not self._lock.acquire(timeout=timeout):
            return
        try:
            for (target, source), text in list(self._buffers.items()):
                if text:
                    self._emit(target, source, text)
            self._buffers.clear()
        finally:
            self._lock.release()

    # -- fd-level writes -----------------------------------------------------------------

    def forward(self, source: str, text: str) -> None:
        """Output read from fd 1/2: to the single running thing, else to the original stderr."""
        if not text:
            return
        target = self.fallback()
        with self._lock:
            # A partial line printed before (e.g. "Downloading... ") goes first, as on a terminal.
            self._flush_locked(target)
            self._emit(target, source, text)

    def drain(self, timeout: float = 1.0) -> None:
        """Wait until everything written to fds 1 and 2 so far has been forwarded."""
        with gate.shielded():
            # Most predictions write nothing at the fd level: then there is nothing to wait for,
            # and the marker round trip (two thread hand-offs) is skipped.
            busy = [reader for reader in self._readers if not reader.idle()]
            events = [reader.mark() for reader in busy]
            deadline = time.monotonic() + timeout
            for event in events:
                if event is not None:
                    event.wait(max(0.0, deadline - time.monotonic()))

    # -- helpers -------------------------------------------------------------------------

    def _target(self) -> Any:
        """The routing target of Python-level output: the context's, else the fallback."""
        target = current_target.get()
        if target is None:
            target = self.fallback()
        return target

    def _flush_locked(self, target: Any) -> None:
        """Send what is buffered for `target`, both sources (the caller holds the lock)."""
        for source in _SOURCES.values():
            text = self._buffers.pop((target, source), "")
            if text:
                self._emit(target, source, text)

    # -- sending -------------------------------------------------------------------------

    def _emit(self, target: Any, source: str, text: str) -> None:
        if target is None:
            self.diagnostic_raw(text)
            return
        prediction_id = None if target is SETUP else target
        self._channel.send({"type": "log", "id": prediction_id, "source": source, "data": text})

    def diagnostic_raw(self, text: str) -> None:
        """Write to the worker's original stderr (its own diagnostics, unattributable output)."""
        try:
            os.write(self._diag_fd, text.encode("utf-8", "replace"))
        except OSError:
            pass


class _FdReader(threading.Thread):
    """Forwards one of the fd 1/2 pipes, and recognises the drain markers in it."""

    def __init__(self, router: LogRouter, read_fd: int, target_fd: int, source: str) -> None:
        super().__init__(name=f"cog-{source}-reader", daemon=True)
        self._router = router
        self._read_fd = read_fd
        self._target_fd = target_fd
        self._source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._waiting: dict[bytes, threading.Event] = {}
        self._tokens = itertools.count()
        self._waiting_lock = threading.Lock()
        # Held while bytes taken from the pipe are being forwarded: with it held and the pipe
        # empty, nothing written so far is still on its way.
        self._busy = threading.Lock()
        self._pending = b""

    def idle(self) -> bool:
        """True when everything written to the pipe so far has been forwarded."""
        with self._busy:
            if self._pending:
                return False
            try:
                waiting = struct.unpack("i", fcntl.ioctl(self._read_fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            except OSError:
                return False
            return waiting == 0

    def mark(self) -> threading.Event | None:
        token = f"{os.getpid()}.{next(self._tokens)}".encode()
        event = threading.Event()
        with self._waiting_lock:
            self._waiting[token] = event
        try:
            os.write(self._target_fd, _MARK + token + _MARK_END)
        except OSError:  # model code closed the fd; nothing more can arrive through it
            with self._waiting_lock:
                self._waiting.pop(token, None)
            return None
        return event

    def run(self) -> None:
        while True:
            # Wait for bytes without taking them, so that they are counted as waiting in the
            # pipe (see idle) until they are read and forwarded under the lock.
            try:
                select.select([self._read_fd], [], [])
            except InterruptedError:
                continue
            except (OSError, ValueError):
                return
            with self._busy:
                try:
                    data = os.read(self._read_fd, 65536)
                except InterruptedError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                self._pending = self._consume(self._pending + data)

    def _consume(self, pending: bytes) -> bytes:
        """Forward `pending` up to any marker; return what must wait for more bytes."""
        while True:
            start = pending.find(_MARK)
            if start < 0:
                keep = _partial_mark_suffix(pending)
                self._send(pending[: len(pending) - keep])
                return pending[len(pending) - keep :]
            end = pending.find(_MARK_END, start + len(_MARK))
            if end < 0:
                self._send(pending[:start])
                return pending[start:]
            self._send(pending[:start])
            token = pending[start + len(_MARK) : end]
            with self._waiting_lock:
                event = self._waiting.pop(token, None)
            if event is not None:
                event.set()
            pending = pending[end + len(_MARK_END) :]

    def _send(self, data: bytes) -> None:
        if data:
            self._router.forward(self._source, self._decoder.decode(data))


def _partial_mark_suffix(data: bytes) -> int:
    """Length of the longest end of `data` that could be the start of a marker."""
    for size in range(min(len(_MARK) - 1, len(data)), 0, -1):
        if _MARK.startswith(data[-size:]):
            return size
    return 0


class _Redirector(io.TextIOBase):
    """What `sys.stdout`/`sys.stderr` are inside the worker: text to the log router."""

    def __init__(self, router: LogRouter, source: str, fd: int) -> None:
        super().__init__()
        self._router = router
        self._source = source
        self._fd = fd
        # Bytes written to `.buffer` take the fd path (they have no text to route by context).
        self.buffer = open(fd, "wb", buffering=0, closefd=False)  # noqa: SIM115

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    @property
    def name(self) -> str:
        return f"<{self._source}>"

    @property
    def line_buffering(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._router.write(self._source, text)
        return len(text)

    def flush(self) -> None:
        self._router.flush_source(self._source)

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def reconfigure(self, **kwargs: Any) -> None:
        """Accepted and ignored (some libraries ask for line buffering)."""

    def close(self) -> None:
        """Model code closing sys.stdout must not break the worker's output: ignored."""
