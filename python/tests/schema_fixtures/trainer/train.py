from cog import BaseModel, Input, Path


class TrainingOutput(BaseModel):
    weights: Path


def train(
    data: Path = Input(description="Training data"),
    epochs: int = Input(default=3, ge=1),
    schedule: str = Input(choices=["linear", "cosine"], default="linear"),
) -> TrainingOutput:
    return TrainingOutput(weights=Path("weights.tar"))
