"""`Input(...)`: metadata attached to a predict parameter as its default value.

The schema is generated statically from the source text (`python -m cog.schema`), so nothing
here is read to build it. At run time the worker passes every parameter explicitly, so a
`FieldInfo` never reaches `predict()` as a value; the worker only reads `.default` to fill an
input the server did not send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The "no default" marker, as in Cog's classic (pydantic) `Input`: `Input()` and
#: `Input(...)` both mean the input is required.
REQUIRED: Any = ...


@dataclass(eq=False)
class FieldInfo:
    """What `Input(...)` returns. `default` is `...` when the input is required."""

    default: Any = REQUIRED
    description: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    regex: str | None = None
    choices: list[Any] | None = None
    deprecated: bool | None = None
    accept: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def Input(  # noqa: N802 - the public name is Cog's
    default: Any = REQUIRED,
    description: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    regex: str | None = None,
    choices: list[Any] | None = None,
    deprecated: bool | None = None,
    accept: str | None = None,
) -> Any:
    """Describe a predict input: its default, description and constraints.

    Returns a `FieldInfo`; the return type is `Any` so that `x: int = Input(default=3)` type-checks.
    `accept` (a Cog >= 0.22 option for file inputs) is taken so such predictors import.
    """
    return FieldInfo(
        default=default,
        description=description,
        ge=ge,
        le=le,
        min_length=min_length,
        max_length=max_length,
        regex=regex,
        choices=list(choices) if choices is not None else None,
        deprecated=deprecated,
        accept=accept,
    )


__all__ = ["REQUIRED", "FieldInfo", "Input"]
