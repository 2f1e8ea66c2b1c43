import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: {
    text: Input.string({ description: "Text to prefix with 'hello '" }),
  },
  output: Output.string(),
  predict: ({ text }) => `hello ${text}`,
});
