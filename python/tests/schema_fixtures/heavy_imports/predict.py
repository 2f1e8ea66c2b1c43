# Imports packages that are not installed and fails if it is ever run: its schema must still come
# out, which proves the generator reads the source without importing it.
import numpy as np
import torch
from diffusers import StableDiffusionPipeline
from transformers import AutoTokenizer

from cog import BasePredictor, Input, Path

raise RuntimeError("this module was executed")

DEVICE = torch.device("cuda")


class Predictor(BasePredictor):
    def setup(self) -> None:
        self.pipe = StableDiffusionPipeline.from_pretrained("x").to(DEVICE)
        self.tok = AutoTokenizer.from_pretrained("x")

    def predict(
        self,
        prompt: str = Input(description="What to draw"),
        scale: float = Input(default=7.5, ge=1, le=20),
    ) -> Path:
        image = self.pipe(prompt, guidance_scale=scale).images[0]
        np.asarray(image)
        return Path("/tmp/out.png")
