from typing import List, Optional

from cog import BaseModel, Path

from .pkg.shapes import Box


class Result(BaseModel):
    label: str
    score: float
    image: Optional[Path] = None
    boxes: List[Box]
    version: int = 2
