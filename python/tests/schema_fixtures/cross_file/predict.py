# Output models defined in other files of the project folder.
from cog import BasePredictor, Input

from output_types import Result
from pkg.shapes import Box


class Predictor(BasePredictor):
    def predict(self, n: int = Input(default=1)) -> Result:
        return Result(label="x", score=0.5, boxes=[])


class BoxPredictor(BasePredictor):
    def predict(self) -> list[Box]:
        return []
