"""`cog.BaseModel`: structured outputs without pydantic.

Since Cog 0.17 `cog.BaseModel` is a dataclass base: every subclass becomes a dataclass as it
is defined, so `class Output(BaseModel): text: str; image: Optional[Path] = None` can be built
with keywords and the worker encodes it field by field (cog/server/encode.py).

Two pydantic habits are kept working because predictors written against classic Cog rely on
them: fields are keyword-only (so a field without a default may follow one with a default), and
a literal list/dict/set default is copied per instance instead of being rejected.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any


class BaseModel:
    """Base class for output objects; subclasses are turned into keyword-only dataclasses."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("__annotations__", {}):
            value = cls.__dict__.get(name, dataclasses.MISSING)
            if isinstance(value, (list, dict, set)):
                setattr(cls, name, dataclasses.field(default_factory=lambda v=value: copy.deepcopy(v)))
        dataclasses.dataclass(kw_only=True)(cls)

    def model_dump(self) -> dict[str, Any]:
        """The fields as a dict (shallow), for code written against pydantic models."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


__all__ = ["BaseModel"]
