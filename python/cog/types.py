"""The types model authors put in predictor signatures.

They carry no validation: the TypeScript server validates inputs against the (statically
generated) schema before the worker sees them. At run time they only have to behave like the
values Cog hands to `predict()`, and be recognisable in type hints so the worker knows which
inputs to convert (see cog/server/inputs.py).
"""

from __future__ import annotations

import io
import pathlib
from typing import AsyncIterator, Iterator, TypeVar

T = TypeVar("T")

_MASK = "**********"


class Path(pathlib.PosixPath):
    """A local file path: what a `Path` input arrives as, and a file output.

    A subclass of `pathlib.PosixPath` (as in Cog), so everything `pathlib` offers works.
    Returned from `predict()`, it is sent to the server as an absolute path and becomes a data
    URI or an uploaded URL there.
    """


class File(io.IOBase):
    """Deprecated (use `Path`): an input that arrives as an open binary file object.

    Only a marker for type hints; the worker gives `predict()` the result of `open(path, "rb")`.
    """


class Secret:
    """A string input that must not show up in logs: `str()` and `repr()` are masked.

    `get_secret_value()` returns the real string.
    """

    __slots__ = ("_secret_value",)

    def __init__(self, secret_value: str | None = None) -> None:
        self._secret_value = secret_value

    def get_secret_value(self) -> str | None:
        return self._secret_value

    def __str__(self) -> str:
        return _MASK if self._secret_value else ""

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._secret_value == other._secret_value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __len__(self) -> int:
        return len(self._secret_value or "")


class ConcatenateIterator(Iterator[T]):
    """Return annotation for a generator whose string items a client should join (tokens).

    Only the annotation matters (it sets `x-cog-array-display: concatenate` in the schema); the
    predictor simply `yield`s strings.
    """


class AsyncConcatenateIterator(AsyncIterator[T]):
    """The async-generator form of `ConcatenateIterator`."""


class ExperimentalFeatureWarning(Warning):
    """Warning category Cog uses for APIs that may change (kept for import compatibility)."""


__all__ = [
    "AsyncConcatenateIterator",
    "ConcatenateIterator",
    "ExperimentalFeatureWarning",
    "File",
    "Path",
    "Secret",
]
