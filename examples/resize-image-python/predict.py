import tempfile

from cog import BasePredictor, Input, Path
from PIL import Image, ImageOps


class Predictor(BasePredictor):
    def setup(self) -> None:
        # The results live in one folder of this process. The platform reads a returned file before
        # this predictor takes its next prediction (one at a time: predict is not async), so each
        # prediction replaces the one before: the folder holds one result at most.
        self.outputs = Path(tempfile.mkdtemp(prefix="resize-"))

    def predict(
        self,
        image: Path = Input(description="The image to resize (any format Pillow reads)"),
        width: int = Input(description="Width of the result in pixels; the height keeps the aspect ratio", default=512, ge=1, le=8192),
        grayscale: bool = Input(description="Convert to shades of gray", default=False),
        format: str = Input(description="Format of the result", choices=["png", "jpeg", "webp"], default="png"),
    ) -> Path:
        with Image.open(image) as opened:
            # Apply the EXIF orientation, so a phone photo stays the right way up.
            picture = ImageOps.exif_transpose(opened)
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            # Palette, CMYK, 16-bit...: resize in full color, keeping any transparency.
            picture = picture.convert("RGBA" if "transparency" in picture.info or "A" in picture.getbands() else "RGB")
        height = max(1, round(picture.height * width / picture.width))
        print(f"resizing {picture.width}x{picture.height} {picture.mode} to {width}x{height}")
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
        if grayscale:
            picture = picture.convert("LA" if picture.mode == "RGBA" else "L")
        if format == "jpeg" and picture.mode in ("RGBA", "LA"):
            picture = picture.convert(picture.mode[:-1])  # JPEG has no transparency: drop it
        for old in self.outputs.iterdir():
            old.unlink()
        out = self.outputs / f"resized.{'jpg' if format == 'jpeg' else format}"
        picture.save(out, format=format.upper())
        return out
