from cog import BasePredictor


class Predictor(BasePredictor):
    # Async so the server may run many at once (--concurrency > 1 refuses a sync predict).
    async def predict(self, text: str) -> str:
        return text
