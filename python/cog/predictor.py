"""Base classes for predictors: `BasePredictor` (classic names) and `BaseRunner` (Cog >= 0.20).

A predictor class defines `predict(self, ...)` (or `run(self, ...)` with the new names, never
both) and optionally `setup(self)` / `setup(self, weights)`. The worker makes one instance,
calls `setup()` once and then the predict method once per request, so state kept on `self`
persists between predictions.
"""

from __future__ import annotations

import os
from typing import Any

from .scope import Scope, current_scope


class BasePredictor:
    """Base class of a predictor with the classic method name `predict`."""

    def setup(self, weights: Any = None) -> None:
        """Prepare the model (load weights...). Runs once, before the first prediction."""

    def predict(self, **kwargs: Any) -> Any:
        """Run one prediction. Each keyword argument is an input."""
        raise NotImplementedError("predict has not been implemented by the predictor")

    @property
    def scope(self) -> Scope:
        """The current prediction's scope (an inert one outside a prediction).

        A predictor that assigns its own `self.scope` keeps what it assigned.
        """
        own = self.__dict__.get("scope")
        return own if own is not None else current_scope()

    @scope.setter
    def scope(self, value: Any) -> None:
        self.__dict__["scope"] = value

    def record_metric(self, key: str, value: Any, mode: str = "replace") -> None:
        """Record a metric of the current prediction (no-op outside a prediction)."""
        current_scope().record_metric(key, value, mode=mode)


class BaseRunner(BasePredictor):
    """Base class with the Cog >= 0.20 method name `run` (same lifecycle as `predict`)."""

    def run(self, **kwargs: Any) -> Any:
        """Run one prediction. Each keyword argument is an input."""
        raise NotImplementedError("run has not been implemented by the runner")


#: The base classes whose stub methods do not count as "defined by the predictor".
SDK_BASES: tuple[type, ...] = (BasePredictor, BaseRunner, object)

# References (`FILE.py[:Name]`), read the same way by the worker's loader and by `cog.schema`.

#: Names looked up when the reference has no `:Name`, in order (the loader's; `cog.schema` reads
#: training references more leniently).
DEFAULT_NAMES: dict[str, tuple[str, ...]] = {"predict": ("Runner", "Predictor"), "train": ("Trainer", "train")}
#: Method names of a predictor class, per mode. Defining more than one is an error.
METHODS: dict[str, tuple[str, ...]] = {"predict": ("run", "predict"), "train": ("train",)}


def parse_ref(ref: str) -> tuple[str, str | None]:
    """`FILE.py:Name` → (`FILE.py`, `Name`); without a name (or with an empty one) → (`ref`, None)."""
    path, sep, name = ref.rpartition(":")
    if not sep:
        return ref, None
    return path, name or None


def with_py_suffix(path: str) -> str:
    """`path`, or `path + ".py"` when only that file exists (a reference may leave `.py` out)."""
    if not os.path.isfile(path) and os.path.isfile(path + ".py"):
        return path + ".py"
    return path

__all__ = ["BasePredictor", "BaseRunner"]
