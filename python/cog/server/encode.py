"""Predict return values → JSON values for `done` / `output` messages.

The server only understands JSON, and treats a string that is an absolute local path as a file
output where the schema says `format: uri`. So files become absolute paths here: a
`pathlib.Path` directly, an open file object by copying it to a temp file first (the object may
be gone or unseekable later). Everything else that Cog makes JSON-able is converted
(dataclasses / `cog.BaseModel`, enums, tuples, sets, datetimes, numpy values via `.tolist()`);
anything else is an error that fails the prediction with a message naming the type.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import io
import math
import os
import pathlib
import shutil
import tempfile
import uuid
from typing import Any

from ..types import Secret


class OutputError(TypeError):
    """The prediction's output cannot be sent as JSON."""


def encode(value: Any) -> Any:
    """Convert an output value (recursively) to plain JSON values."""
    return _encode(value, "output")


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return _encode(value.value, where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OutputError(f"{where} is {value!r}, which JSON cannot represent")
        return float(value)
    if isinstance(value, pathlib.PurePath):
        return os.path.abspath(os.fspath(value))
    if isinstance(value, io.IOBase):
        return _save_file(value)
    if isinstance(value, Secret):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name), f"{where}.{f.name}") for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {_key(k, where): _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return [_encode(v, f"{where}[]") for v in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise OutputError(f"{where} is bytes that are not UTF-8 text; return a cog.Path to a file instead") from None
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars
        return _encode(tolist(), where)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic v2 model, when the model's environment has pydantic
        return _encode(model_dump(), where)
    raise OutputError(f"{where} has type {type(value).__module__}.{type(value).__qualname__}, which cannot be encoded as JSON")


def _key(key: Any, where: str) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return str(key)
    raise OutputError(f"{where} has a key of type {type(key).__name__}; JSON object keys must be strings")


def _save_file(stream: io.IOBase) -> str:
    """Copy an open file object to a fresh temp folder, keeping its base name when it has one."""
    name = getattr(stream, "name", None)
    basename = os.path.basename(name) if isinstance(name, str) else ""
    if not basename or basename.startswith("<"):
        basename = "output"
    folder = tempfile.mkdtemp(prefix="cog-output-")
    path = os.path.join(folder, basename)
    if stream.seekable():
        stream.seek(0)
    with open(path, "wb") as target:
        if isinstance(stream, io.TextIOBase):
            for chunk in iter(lambda: stream.read(65536), ""):
                target.write(chunk.encode("utf-8"))
        else:
            shutil.copyfileobj(stream, target)  # type: ignore[misc]
    return path
