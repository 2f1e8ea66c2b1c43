import { definePredictor, Input, Output } from '@replicant/runtime';

// Yields `n` short tokens, by default with no delay: what is measured is how fast the first one
// reaches a reader, i.e. the platform (or the instance's webhooks), not the model. `delay_ms`
// waits before each token, to see how webhook throttling treats a model that streams slowly.
export const Predictor = definePredictor({
  inputs: {
    n: Input.integer({ default: 16, ge: 1, le: 10_000 }),
    delay_ms: Input.integer({ default: 0, ge: 0, le: 1_000 }),
  },
  output: Output.iterator(Output.string(), { concatenate: true }),
  async *predict({ n, delay_ms }) {
    for (let i = 0; i < n; i++) {
      if (delay_ms > 0) await new Promise((resolve) => setTimeout(resolve, delay_ms));
      yield `t${i} `;
    }
  },
});
