# The worked example of cog.md §3.4: its components must equal
# packages/runtime/test/golden/worked-example.components.json.
from typing import Iterator, Optional
from cog import BasePredictor, Input, Path, Secret

class Predictor(BasePredictor):
    def setup(self) -> None:
        self.prefix = ">"

    def predict(
        self,
        prompt: str = Input(description="Text to caption", min_length=1, max_length=500),
        image: Path = Input(description="Source image"),
        steps: int = Input(description="Number of passes", default=4, ge=1, le=50),
        temperature: float = Input(default=0.7, ge=0.0, le=2.0),
        mode: str = Input(description="Caption style", choices=["short", "long"], default="short"),
        tags: list[str] = Input(description="Extra tags", default=[]),
        seed: Optional[int] = Input(description="Random seed", default=None),
        token: Secret = Input(description="API token"),
        legacy: bool = Input(default=False, deprecated=True),
    ) -> Iterator[str]:
        for i in range(steps):
            yield f"{self.prefix} {prompt} {i}"
