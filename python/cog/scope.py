"""The per-prediction scope: request context and metrics.

The worker makes one `Scope` per prediction and sets it in a context variable for the code
that runs the prediction, so concurrent async predictions each see their own. Outside a
prediction `current_scope()` returns an inert scope: recording a metric there does nothing,
which lets the same code run in `setup()` or in tests.
"""

from __future__ import annotations

import math
import numbers
import warnings
from contextvars import ContextVar
from typing import Any, Callable

MODES = ("replace", "incr", "append")

_current: ContextVar[Scope | None] = ContextVar("cog_scope", default=None)

#: Set by the worker: the scope to use when the calling code has none in its context (a
#: thread started by predict), i.e. the single running prediction's, if there is one.
fallback: Callable[[], Scope | None] = lambda: None


class Metrics:
    """Dict-style access to a scope's metrics (`scope.metrics["k"] = v`), as in Cog >= 0.20."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def __setitem__(self, name: str, value: Any) -> None:
        self._scope.record_metric(name, value)

    def __delitem__(self, name: str) -> None:
        self._scope.record_metric(name, None)

    def record(self, name: str, value: Any, mode: str = "replace") -> None:
        self._scope.record_metric(name, value, mode=mode)


class Scope:
    """What `current_scope()` returns: `.context` and `.record_metric()`."""

    def __init__(self, context: dict[str, Any] | None = None, sink: Callable[[str, Any, str], None] | None = None) -> None:
        self.context: dict[str, Any] = dict(context or {})
        self._sink = sink
        self.metrics = Metrics(self)

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Record a metric of this prediction; `mode` is "replace", "incr" or "append".

        `replace` takes a number, bool, string, list or dict (`None` deletes the metric);
        `incr` and `append` take numbers. `predict_time` belongs to the server and is ignored.
        Invalid names, modes or values raise, so a mistake shows up in the prediction's result.
        """
        mode = "incr" if mode == "increment" else mode
        _validate(name, value, mode)
        if name == "predict_time":
            warnings.warn("the metric predict_time is set by the server; the value recorded is ignored", stacklevel=3)
            return
        if self._sink is not None:
            self._sink(name, value, mode)


def _validate(name: Any, value: Any, mode: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"metric name must be a non-empty string, got {name!r}")
    if mode not in MODES:
        raise ValueError(f"metric mode must be one of {', '.join(MODES)}, got {mode!r}")
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy numbers too
    if is_number and not math.isfinite(value):
        raise ValueError(f"metric {name!r}: value must be a finite number, got {value!r}")
    if mode != "replace":
        if not is_number:
            raise TypeError(f"metric {name!r}: mode {mode!r} needs an int or float value, got {type(value).__name__}")
        return
    if value is not None and not is_number and not isinstance(value, (bool, str, list, dict)):
        raise TypeError(f"metric {name!r}: value must be an int, float, bool, str, list or dict, got {type(value).__name__}")


def current_scope() -> Scope:
    """The scope of the prediction running in this context (an inert one outside predictions)."""
    scope = _current.get()
    if scope is None:
        scope = fallback()
    return scope if scope is not None else Scope()


def emit_metric(name: str, value: Any) -> None:
    """Deprecated alias of `current_scope().record_metric(name, value)` (Cog 0.13)."""
    warnings.warn("emit_metric is deprecated; use current_scope().record_metric", DeprecationWarning, stacklevel=2)
    current_scope().record_metric(name, value)


__all__ = ["Metrics", "Scope", "current_scope", "emit_metric"]
