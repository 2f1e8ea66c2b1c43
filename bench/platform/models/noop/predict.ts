import { definePredictor, Input, Output } from '@replicant/runtime';

// Async so that an instance may run many at once (concurrency.max > 1 refuses a sync predict).
export const Predictor = definePredictor({
  inputs: { text: Input.string() },
  output: Output.string(),
  async predict({ text }) {
    return text;
  },
});
