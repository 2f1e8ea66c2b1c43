// Type-level tests: checked by `npm run typecheck` (tsc), and run as ordinary tests by vitest.
import { describe, expectTypeOf, it } from 'vitest';
import { definePredictor, Input, type Inputs, Output, type Secret } from '../src/index.js';

describe('static types come from the declarations', () => {
  it('infers predict arguments', () => {
    const inputs = {
      prompt: Input.string(),
      mode: Input.string({ choices: ['short', 'long'], default: 'short' }),
      steps: Input.integer({ default: 4, ge: 1 }),
      n: Input.integer({ choices: [1, 2] }),
      scale: Input.number(),
      flag: Input.boolean({ default: false }),
      image: Input.path(),
      token: Input.secret(),
      tags: Input.array(Input.string(), { default: [] }),
      files: Input.array(Input.path()),
      seed: Input.integer({ optional: true }),
    };
    expectTypeOf<Inputs<typeof inputs>>().toEqualTypeOf<{
      prompt: string;
      mode: 'short' | 'long';
      steps: number;
      n: 1 | 2;
      scale: number;
      flag: boolean;
      image: string;
      token: Secret;
      tags: string[];
      files: string[];
      seed: number | undefined;
    }>();
  });

  it('checks what predict returns against the output', () => {
    definePredictor({
      inputs: { text: Input.string() },
      output: Output.string(),
      predict: ({ text }) => {
        expectTypeOf(text).toEqualTypeOf<string>();
        return text;
      },
    });
    definePredictor({
      inputs: {},
      output: Output.iterator(Output.string(), { concatenate: true }),
      async *predict() {
        yield 'a';
      },
    });
    definePredictor({
      inputs: {},
      output: Output.object({ text: Output.string(), image: Output.optional(Output.path()) }),
      predict: () => ({ text: 'x' }),
    });
    definePredictor({
      inputs: {},
      output: Output.integer(),
      // @ts-expect-error a string is not an integer output
      predict: () => 'nope',
    });
  });
});
