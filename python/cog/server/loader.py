"""Finding the predictor a `--ref FILE.py[:Name]` names, and making it callable.

The file is imported by path (not by module name), as Cog does, with its folder first on
`sys.path` so that sibling modules import. It is registered in `sys.modules` under its own
name while it runs, because dataclasses (`cog.BaseModel`) and `typing.get_type_hints` look
the defining module up there.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from ..predictor import DEFAULT_NAMES, METHODS, SDK_BASES, parse_ref, with_py_suffix
from .inputs import Signature, signature_of


class LoadError(Exception):
    """A problem with the reference or the predictor's shape: reported without a traceback."""


@dataclass
class Predictor:
    """A loaded predictor: what to call for setup and for each prediction."""

    predict: Callable[..., Any]
    setup: Callable[..., Any] | None
    setup_takes_weights: bool
    setup_is_async: bool
    is_async: bool
    #: `predict` is an `async def` that yields: called, it is streamed without being awaited.
    is_async_generator: bool
    signature: Signature


def import_file(path: str) -> ModuleType:
    """Import a source file as a module named after it (unless that name is taken)."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else "__cog_predictor__"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def load(ref: str, mode: str = "predict") -> Predictor:
    """Import the file, find the class or function, make the instance. Setup is not run here."""
    path, name = parse_ref(ref)
    if not path:
        raise LoadError(f"invalid predictor reference {ref!r}: expected FILE.py:Name")
    path = with_py_suffix(path)
    if not os.path.isfile(path):
        raise LoadError(f"predictor file {path!r} not found (in {os.getcwd()})")
    module = import_file(path)
    if name is None:
        name = next((n for n in DEFAULT_NAMES[mode] if hasattr(module, n)), None)
        if name is None:
            expected = " or ".join(DEFAULT_NAMES[mode])
            raise LoadError(f"{path} defines no {expected}; name the predictor in the reference ({path}:Name)")
    if not hasattr(module, name):
        raise LoadError(f"{path} has no {name!r}")
    target = getattr(module, name)
    label = f"{path}:{name}"
    if inspect.isclass(target):
        return _from_class(target, label, mode)
    if inspect.isroutine(target):
        return _make(target, None, label)
    raise LoadError(f"{label} is a {type(target).__name__}, not a class or a function")


def _from_class(cls: type, label: str, mode: str) -> Predictor:
    names = METHODS[mode]
    defined = [m for m in names if _defined_by_predictor(cls, m)]
    if len(defined) > 1:
        raise LoadError(f"{label} defines both {' and '.join(n + '()' for n in defined)}; define only one ({names[0]} is the current name)")
    if not defined:
        raise LoadError(f"{label} has no {' or '.join(n + '()' for n in names)} method")
    instance = cls()
    setup = getattr(instance, "setup", None)
    return _make(getattr(instance, defined[0]), setup if callable(setup) else None, label)


def _defined_by_predictor(cls: type, name: str) -> bool:
    return any(name in klass.__dict__ for klass in cls.__mro__ if klass not in SDK_BASES)


def _make(fn: Callable[..., Any], setup: Callable[..., Any] | None, label: str) -> Predictor:
    is_async_generator = inspect.isasyncgenfunction(fn)
    is_async = inspect.iscoroutinefunction(fn) or is_async_generator
    setup_is_async = setup is not None and inspect.iscoroutinefunction(setup)
    if setup_is_async and not is_async:
        raise LoadError(f"{label}: setup() is async but {fn.__name__}() is not; an async setup needs an async {fn.__name__}()")
    takes_weights = False
    if setup is not None:
        try:
            takes_weights = "weights" in inspect.signature(setup).parameters
        except (TypeError, ValueError):
            takes_weights = False
    return Predictor(
        predict=fn,
        setup=setup,
        setup_takes_weights=takes_weights,
        setup_is_async=setup_is_async,
        is_async=is_async,
        is_async_generator=is_async_generator,
        signature=signature_of(fn),
    )
