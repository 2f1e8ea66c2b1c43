"""Canceling a sync prediction: SIGUSR1 raises `CancelationException` on the main thread.

A sync `predict()` runs on the main thread because that is where Python runs signal
handlers, and a handler that raises interrupts blocking calls such as `time.sleep()` — the
same mechanism Cog's classic worker used.

An exception that can appear at any bytecode is dangerous for the worker's own code: raised in
the middle of writing a protocol message it would leave half a JSON line on the pipe. So the
worker wraps such sections in `shielded()`; a cancel signal arriving inside is remembered and
raised when the outermost shielded section ends, if the prediction is still the armed one.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType, TracebackType

from .exceptions import CancelationException


class CancelGate:
    """Which prediction may be interrupted now, and which ones have been asked to stop."""

    def __init__(self) -> None:
        self._main = threading.main_thread().ident
        self._armed: str | None = None
        self._requested: set[str] = set()
        self._depth = 0
        self._pending = False
        self._lock = threading.Lock()

    def install(self) -> None:
        signal.signal(signal.SIGUSR1, self._handle)

    # -- state, from any thread ------------------------------------------------------------

    def request(self, prediction_id: str) -> bool:
        """Mark a prediction as to be canceled; signal the main thread if it is running it."""
        with self._lock:
            self._requested.add(prediction_id)
            running = self._armed == prediction_id
        if running:
            os.kill(os.getpid(), signal.SIGUSR1)
        return running

    def is_requested(self, prediction_id: str) -> bool:
        with self._lock:
            return prediction_id in self._requested

    def forget(self, prediction_id: str) -> None:
        with self._lock:
            self._requested.discard(prediction_id)

    # -- main thread -----------------------------------------------------------------------

    def arm(self, prediction_id: str) -> None:
        """From here on a cancel of `prediction_id` raises in the main thread."""
        with self.shielded():
            self._pending = False
            with self._lock:
                self._armed = prediction_id
                already = prediction_id in self._requested
        if already:
            raise CancelationException()

    def disarm(self) -> None:
        self._armed = None
        self._pending = False

    def _should_raise(self) -> bool:
        armed = self._armed
        return armed is not None and armed in self._requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self._should_raise():
            return
        if self._depth:
            self._pending = True
            return
        raise CancelationException()

    def shielded(self) -> _Shield:
        """Context manager: no `CancelationException` inside; a pending one is raised at the end."""
        return _Shield(self)


class _Shield:
    __slots__ = ("_gate", "_active")

    def __init__(self, gate: CancelGate) -> None:
        self._gate = gate
        self._active = False

    def __enter__(self) -> None:
        if threading.get_ident() == self._gate._main:
            self._active = True
            self._gate._depth += 1

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self._active:
            return
        gate = self._gate
        gate._depth -= 1
        if gate._depth == 0 and gate._pending:
            gate._pending = False
            if exc_type is None and gate._should_raise():
                raise CancelationException()


#: The worker's single gate (a module global so the log router and the channel can shield
#: their critical sections without being handed the worker).
gate = CancelGate()
