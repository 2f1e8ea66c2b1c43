"""JSON inputs → the values `predict()` receives, from its signature's type hints.

The server has already validated the inputs, filled in defaults and replaced file inputs by
local paths; what is left is giving each value the Python type Cog gives it: `Path` inputs as
`cog.Path`, `File` inputs as open binary files, `Secret` inputs as `cog.Secret`, lists of
those element by element, and ints for a `float` parameter as floats (as pydantic did).
Everything else is passed through as the JSON value it is.

The plan (`Signature`) is computed once, at setup, so a prediction only applies it.
"""

from __future__ import annotations

import collections.abc
import copy
import inspect
import pathlib
import types
import typing
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from ..input import REQUIRED, FieldInfo
from ..types import File, Path, Secret

Converter = Callable[[Any, list], Any]
_NONE_TYPE = type(None)


class InputError(ValueError):
    """An input the predictor requires is missing (the server should have caught it)."""


@dataclass
class _Param:
    name: str
    default: Any  # REQUIRED when there is none
    optional: bool
    convert: Converter | None


@dataclass
class Signature:
    params: list[_Param] = field(default_factory=list)
    var_keyword: bool = False

    def arguments(self, values: dict[str, Any] | None, opened: list[IO[bytes]]) -> dict[str, Any]:
        """Keyword arguments for one call; files opened for `File` inputs are added to `opened`."""
        values = dict(values or {})
        kwargs: dict[str, Any] = {}
        for param in self.params:
            if param.name in values:
                value = values.pop(param.name)
            elif param.default is not REQUIRED:
                value = copy.deepcopy(param.default) if isinstance(param.default, (list, dict, set)) else param.default
                kwargs[param.name] = value
                continue
            elif param.optional:
                kwargs[param.name] = None
                continue
            else:
                raise InputError(f"missing required input: {param.name}")
            kwargs[param.name] = value if value is None or param.convert is None else param.convert(value, opened)
        if self.var_keyword:
            kwargs.update(values)  # classic Cog passes unknown inputs to **kwargs
        return kwargs


def signature_of(fn: Callable[..., Any]) -> Signature:
    """The conversion plan for calling `fn` (a function or bound method) with inputs."""
    hints = _type_hints(fn)
    plan = Signature()
    for param in inspect.signature(fn).parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            plan.var_keyword = True
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        default = param.default
        if isinstance(default, FieldInfo):
            default = default.default
        elif default is inspect.Parameter.empty:
            default = REQUIRED
        hint = hints.get(param.name)
        plan.params.append(_Param(param.name, default, _is_optional(hint), _converter(hint)))
    return plan


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Resolved hints; with `from __future__ import annotations` some may not resolve (names
    imported under TYPE_CHECKING), so fall back to resolving them one by one."""
    target = getattr(fn, "__func__", fn)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:
        pass
    namespace = getattr(target, "__globals__", {})
    hints: dict[str, Any] = {}
    for name, annotation in getattr(target, "__annotations__", {}).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - the predictor's own annotation
            except Exception:
                continue
        hints[name] = annotation
    return hints


def _strip(hint: Any) -> Any:
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint


def _union_members(hint: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return None


def _is_optional(hint: Any) -> bool:
    members = _union_members(_strip(hint))
    return members is not None and _NONE_TYPE in members


def _converter(hint: Any) -> Converter | None:
    hint = _strip(hint)
    if hint is None:
        return None
    members = _union_members(hint)
    if members is not None:
        rest = [m for m in members if m is not _NONE_TYPE]
        # Unions of several types are JSON-native at most (Cog rejects others): pass through.
        return _converter(rest[0]) if len(rest) == 1 else None
    origin = typing.get_origin(hint)
    if origin in (list, collections.abc.Sequence, collections.abc.Iterable):
        args = typing.get_args(hint)
        item = _converter(args[0]) if args else None
        return _each(item) if item is not None else None
    if not inspect.isclass(hint):
        return None
    if issubclass(hint, File):
        return _open_file
    if issubclass(hint, Secret):
        return lambda value, opened: value if isinstance(value, Secret) else Secret(value)
    if issubclass(hint, pathlib.PurePath):
        return lambda value, opened: Path(value) if isinstance(value, str) else value
    if hint is float:
        return lambda value, opened: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return None


def _each(item: Converter) -> Converter:
    def convert(value: Any, opened: list[IO[bytes]]) -> Any:
        if not isinstance(value, list):
            return item(value, opened)
        return [None if v is None else item(v, opened) for v in value]

    return convert


def _open_file(value: Any, opened: list[IO[bytes]]) -> Any:
    if not isinstance(value, str):
        return value
    stream = open(value, "rb")  # noqa: SIM115 - closed by the worker after the prediction
    opened.append(stream)
    return stream
