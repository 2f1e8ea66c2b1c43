import pydantic


class Box(pydantic.BaseModel):
    x: int
    y: int
    w: int = 0
