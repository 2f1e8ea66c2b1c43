"""The Python worker: `python -m cog.server.worker --ref predict.py:Predictor [--mode train]`.

It runs one predictor behind Replicant's TypeScript model server, speaking the JSON-lines
protocol of docs/decisions/0004-python-worker-behind-the-typescript-server.md: requests on
fd 3, replies on fd 4; fds 1 and 2 belong to model code (see logs.py).

Threads:

* the main thread imports the predictor and runs `setup()`, then either runs sync predictions
  one at a time — on the main thread, so a cancel (SIGUSR1, cancel.py) can interrupt blocking
  calls — or runs an asyncio loop with one task per prediction for async predictors;
* a reader thread reads fd 3, queues `setup`/`predict`, and acts on `cancel` and `shutdown`
  itself, so both work while a prediction blocks the main thread;
* two reader threads forward fd 1 and fd 2 (logs.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import faulthandler
import io
import os
import queue
import signal
import sys
import threading
import traceback
from typing import IO, Any

from .. import scope as scope_module
from ..scope import Scope
from . import loader
from .cancel import gate
from .channel import IN_FD, OUT_FD, Channel
from .encode import encode
from .exceptions import CancelationException
from .logs import SETUP, LogRouter, current_target

_SERVER_DIR = os.path.dirname(os.path.abspath(__file__))

# Terminal outcomes of a prediction.
_DONE, _FAILED, _CANCELED = "done", "failed", "canceled"


class Worker:
    def __init__(self, ref: str, mode: str) -> None:
        self.ref = ref
        self.mode = mode
        self.channel = Channel()
        self.diag_fd = os.dup(2)
        self.logs = LogRouter(self.channel, self.diag_fd)
        self.queue: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.predictor: loader.Predictor | None = None
        self.setup_running = False
        self.setup_failed: str | None = None
        #: Predictions received and not yet finished (the ids a cancel may name).
        self.known: set[str] = set()
        #: Predictions running now, with their scopes.
        self.active: dict[str, Scope] = {}
        #: The loop of an async predictor, made by an async setup or when serving starts.
        self.event_loop: asyncio.AbstractEventLoop | None = None
        #: Set once the loop serves predictions: the reader thread then wakes it for messages.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.lock = threading.Lock()

    # -- start -----------------------------------------------------------------------------

    def run(self) -> None:
        self._diag_file = os.fdopen(os.dup(self.diag_fd), "w")
        faulthandler.enable(file=self._diag_file)  # a crash in C code still leaves a trace
        self.logs.install()
        self.logs.fallback = self._fallback_target
        scope_module.fallback = self._fallback_scope
        gate.install()
        # Ctrl+C in a terminal reaches the whole process group; the server decides when the
        # worker stops (shutdown / end of file), so SIGINT must not kill it or fail a prediction.
        # A handler, not SIG_IGN: an ignored signal would stay ignored in model subprocesses.
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        sys.argv = [loader.parse_ref(self.ref)[0]]  # model code must not see the worker's flags
        threading.Thread(target=self._read_requests, name="cog-requests", daemon=True).start()

        message = self.queue.get()
        while message.get("type") != "setup":
            self._refuse(message, "setup has not run yet")
            message = self.queue.get()
        if not self._setup(message):
            self._serve_after_failed_setup()
        elif self.predictor is not None and self.predictor.is_async:
            self._serve_async()
        else:
            self._serve_sync()

    def diagnostic(self, text: str) -> None:
        self.logs.diagnostic_raw(f"cog.server.worker: {text}\n")

    # -- requests (reader thread) ------------------------------------------------------------

    def _read_requests(self) -> None:
        for message in self.channel.messages():
            if not isinstance(message, dict):
                self.diagnostic(f"ignoring a line that is not a JSON object: {message[:200]!r}")
                continue
            try:
                self._on_request(message)
            except Exception:  # a malformed message must not stop the reader (and with it cancel)
                self.diagnostic(f"could not handle {message!r:.200}:\n{traceback.format_exc()}")
        self._exit(0)  # end of file on fd 3 means shutdown

    def _on_request(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "shutdown":
            self._exit(0)
        elif kind == "cancel":
            self._cancel(message.get("id"))
        elif kind in ("setup", "predict"):
            if kind == "predict":
                prediction_id = message.get("id")
                if not isinstance(prediction_id, str):
                    self.diagnostic(f"ignoring a predict message without a string id: {message!r:.200}")
                    return
                with self.lock:
                    if prediction_id in self.known:
                        self.diagnostic(f"ignoring a second predict message for {prediction_id!r}")
                        return
                    self.known.add(prediction_id)
            self.queue.put(message)
            loop = self.loop
            if loop is not None:
                loop.call_soon_threadsafe(self._pump)
        else:
            self.diagnostic(f"ignoring a message of unknown type {kind!r}")

    def _cancel(self, prediction_id: Any) -> None:
        if not isinstance(prediction_id, str):
            return
        with self.lock:
            if prediction_id not in self.known:
                return  # finished already, or never existed
        gate.request(prediction_id)  # signals the main thread if it runs this sync prediction
        loop = self.loop
        if loop is not None:
            loop.call_soon_threadsafe(self._cancel_task, prediction_id)

    def _exit(self, code: int) -> None:
        """Leave now, even if a prediction hangs: send what is buffered, never half a line."""
        self.logs.flush_all(timeout=1.0)
        self.channel.close_for_exit(timeout=2.0)
        os._exit(code)

    # -- setup (main thread) -------------------------------------------------------------------

    def _setup(self, message: dict[str, Any]) -> bool:
        token = current_target.set(SETUP)
        self.setup_running = True
        error: str | None = None
        try:
            predictor = loader.load(self.ref, self.mode)
            if predictor.setup is not None:
                kwargs = {"weights": message.get("weights")} if predictor.setup_takes_weights else {}
                if predictor.setup_is_async:
                    # The loop the predictions will use: async setup and predict share it.
                    self.event_loop = asyncio.new_event_loop()
                    asyncio.set_event_loop(self.event_loop)
                    self.event_loop.run_until_complete(predictor.setup(**kwargs))
                else:
                    predictor.setup(**kwargs)
            self.predictor = predictor
        except loader.LoadError as exc:
            error = str(exc)
            self.logs.write("stderr", f"{error}\n")
        except BaseException as exc:  # SystemExit and KeyboardInterrupt in setup fail it too
            error = _error_message(exc)
            self.logs.write("stderr", _format_traceback(exc))
        finally:
            self.logs.flush_target(SETUP)
            self.logs.drain()
            self.setup_running = False
            current_target.reset(token)
        if error is not None:
            self.setup_failed = error
            self.channel.send({"type": "setup_failed", "error": error})
            return False
        assert self.predictor is not None
        self.channel.send({"type": "ready", "async": self.predictor.is_async})
        return True

    def _serve_after_failed_setup(self) -> None:
        while True:
            self._refuse(self.queue.get(), f"setup failed: {self.setup_failed}")

    def _refuse(self, message: dict[str, Any], reason: str) -> None:
        if message.get("type") == "predict":
            self._forget(message["id"])
            self.channel.send({"type": "failed", "id": message["id"], "error": reason})
        else:
            self.diagnostic(f"ignoring a {message.get('type')} message: {reason}")

    # -- sync predictions (main thread) --------------------------------------------------------

    def _serve_sync(self) -> None:
        while True:
            message = self.queue.get()
            if message.get("type") == "predict":
                self._predict_sync(message)
            else:
                self.diagnostic("ignoring a second setup message")

    def _predict_sync(self, message: dict[str, Any]) -> None:
        assert self.predictor is not None
        prediction_id: str = message["id"]
        opened: list[IO[bytes]] = []
        scope = self._start(prediction_id, message)
        target_token = current_target.set(prediction_id)
        scope_token = scope_module._current.set(scope)
        outcome: tuple[str, Any]
        try:
            try:
                kwargs = self.predictor.signature.arguments(message.get("input"), opened)
                gate.arm(prediction_id)  # from here a cancel raises CancelationException
                try:
                    result = self.predictor.predict(**kwargs)
                    output = self._send_stream(prediction_id, result) if _is_stream(result) else encode(result)
                finally:
                    gate.disarm()
                outcome = (_DONE, output)
            except CancelationException:
                outcome = (_CANCELED, None)
            except BaseException as exc:  # incl. SystemExit: it fails this prediction only
                outcome = (_FAILED, exc)
        finally:
            scope_module._current.reset(scope_token)
            current_target.reset(target_token)
            _close_all(opened)
        self._finish(prediction_id, outcome)

    def _send_stream(self, prediction_id: str, items: collections.abc.Iterator[Any]) -> None:
        try:
            for item in items:
                self._send_output(prediction_id, item)
        finally:
            close = getattr(items, "close", None)
            if callable(close):
                close()

    # -- async predictions (main thread's loop) -------------------------------------------------

    def _serve_async(self) -> None:
        loop = self.event_loop or asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        loop.call_soon(self._pump)  # messages queued before the loop existed
        loop.run_forever()

    def _pump(self) -> None:
        while True:
            try:
                message = self.queue.get_nowait()
            except queue.Empty:
                return
            if message.get("type") != "predict":
                self.diagnostic("ignoring a second setup message")
                continue
            prediction_id = message["id"]
            assert self.loop is not None
            task = self.loop.create_task(self._predict_async(prediction_id, message))
            self.tasks[prediction_id] = task
            task.add_done_callback(lambda t, pid=prediction_id: self._task_done(pid, t))

    def _cancel_task(self, prediction_id: str) -> None:
        task = self.tasks.get(prediction_id)
        if task is not None:
            task.cancel()

    def _task_done(self, prediction_id: str, task: asyncio.Task[None]) -> None:
        self.tasks.pop(prediction_id, None)
        with self.lock:
            unfinished = prediction_id in self.known
        if not unfinished:
            return
        # Canceled before its first step (the coroutine never ran), or a bug in this file.
        if task.cancelled():
            self._finish(prediction_id, (_CANCELED, None))
        else:
            exc = task.exception()
            self._finish(prediction_id, (_FAILED, exc if exc is not None else RuntimeError("prediction ended without a result")))

    async def _predict_async(self, prediction_id: str, message: dict[str, Any]) -> None:
        assert self.predictor is not None
        opened: list[IO[bytes]] = []
        scope = self._start(prediction_id, message)
        # A task runs in its own copy of the context: these stay with this prediction.
        current_target.set(prediction_id)
        scope_module._current.set(scope)
        outcome: tuple[str, Any]
        try:
            if gate.is_requested(prediction_id):
                raise asyncio.CancelledError()
            kwargs = self.predictor.signature.arguments(message.get("input"), opened)
            fn = self.predictor.predict
            output = None
            if self.predictor.is_async_generator:
                await self._send_async_stream(prediction_id, fn(**kwargs))
            else:
                result = await fn(**kwargs)
                if isinstance(result, collections.abc.AsyncIterator):
                    await self._send_async_stream(prediction_id, result)
                elif _is_stream(result):
                    self._send_stream(prediction_id, result)
                else:
                    output = encode(result)
            outcome = (_DONE, output)
        except (asyncio.CancelledError, CancelationException):
            outcome = (_CANCELED, None)
        except BaseException as exc:
            outcome = (_FAILED, exc)
        finally:
            _close_all(opened)
        self._finish(prediction_id, outcome)

    async def _send_async_stream(self, prediction_id: str, items: collections.abc.AsyncIterator[Any]) -> None:
        try:
            async for item in items:
                self._send_output(prediction_id, item)
        finally:
            aclose = getattr(items, "aclose", None)
            if callable(aclose):
                await aclose()

    # -- both ---------------------------------------------------------------------------------

    def _start(self, prediction_id: str, message: dict[str, Any]) -> Scope:
        context = message.get("context")
        scope = Scope(context if isinstance(context, dict) else {}, sink=self._metric_sink(prediction_id))
        with self.lock:
            self.active[prediction_id] = scope
        return scope

    def _send_output(self, prediction_id: str, item: Any) -> None:
        self.channel.send({"type": "output", "id": prediction_id, "value": encode(item)})

    def _finish(self, prediction_id: str, outcome: tuple[str, Any]) -> None:
        """Send the prediction's remaining logs, then its one terminal message."""
        kind, value = outcome
        with gate.shielded():
            self.logs.flush_target(prediction_id)
            self.logs.drain()
            if kind == _DONE:
                message = {"type": "done", "id": prediction_id, "output": value}
            elif kind == _CANCELED:
                message = {"type": "canceled", "id": prediction_id}
            else:
                self.channel.send({"type": "log", "id": prediction_id, "source": "stderr", "data": _format_traceback(value)})
                message = {"type": "failed", "id": prediction_id, "error": _error_message(value)}
            with self.lock:
                self.active.pop(prediction_id, None)
            self.channel.send(message)
            self._forget(prediction_id)

    def _forget(self, prediction_id: str) -> None:
        with self.lock:
            self.known.discard(prediction_id)
        gate.forget(prediction_id)

    def _metric_sink(self, prediction_id: str) -> Any:
        def sink(name: str, value: Any, mode: str) -> None:
            if prediction_id not in self.active:
                return  # recorded after the prediction ended (a scope kept around): dropped
            self.channel.send({"type": "metric", "id": prediction_id, "name": name, "value": encode(value), "mode": mode})

        return sink

    def _only_active(self) -> tuple[str, Scope] | None:
        """The id and scope of the prediction running now, unless none or several run."""
        running = list(self.active.items())
        return running[0] if len(running) == 1 else None

    def _fallback_target(self) -> Any:
        """Where output with no routing context goes: setup, or the only running prediction."""
        if self.setup_running:
            return SETUP
        only = self._only_active()
        return only[0] if only is not None else None

    def _fallback_scope(self) -> Scope | None:
        only = self._only_active()
        return only[1] if only is not None else None


def _is_stream(result: Any) -> bool:
    """A generator (or other iterator) returned by predict is streamed item by item."""
    return isinstance(result, collections.abc.Iterator) and not isinstance(result, (io.IOBase, str, bytes))


def _close_all(streams: list[IO[bytes]]) -> None:
    for stream in streams:
        try:
            stream.close()
        except Exception:
            pass


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"predictor called sys.exit({exc.code!r})"
    return str(exc) or type(exc).__name__


def _format_traceback(exc: BaseException) -> str:
    """The traceback from the model's first frame on: the worker's own frames are noise."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_SERVER_DIR + os.sep):
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc))
    return "".join(traceback.format_exception(type(exc), exc, tb))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cog.server.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True, help="the predictor: FILE.py:Name (Name defaults to Runner, then Predictor)")
    parser.add_argument("--mode", choices=("predict", "train"), default="predict")
    args = parser.parse_args(argv)
    for fd in (IN_FD, OUT_FD):
        try:
            os.fstat(fd)
        except OSError:
            parser.exit(2, f"cog.server.worker: fd {fd} is not open; the worker talks to its server on fds {IN_FD} and {OUT_FD}\n")
    worker = Worker(args.ref, args.mode)
    try:
        worker.run()
    except BaseException:
        worker.diagnostic("internal error:\n" + traceback.format_exc())
        os._exit(1)


if __name__ == "__main__":
    main()
