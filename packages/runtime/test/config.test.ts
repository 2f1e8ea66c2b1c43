import { describe, expect, it } from 'vitest';
import { parseCogConfig, splitReference } from '../src/config.js';

describe('cog.yaml', () => {
  it('reads the predictor, concurrency and environment', () => {
    const config = parseCogConfig(
      'build:\n  gpu: false\npredict: "predict.ts:Predictor"\nconcurrency:\n  max: 4\nenvironment:\n  - MODE=fast\n  - EMPTY=\n',
    );
    expect(config).toMatchObject({ predict: 'predict.ts:Predictor', concurrencyMax: 4, environment: { MODE: 'fast', EMPTY: '' } });
  });

  it('prefers the newer "run" key over "predict"', () => {
    expect(parseCogConfig('run: "run.ts:Runner"\npredict: "predict.ts:Predictor"\n').predict).toBe('run.ts:Runner');
  });

  it('defaults to one slot and no predictor', () => {
    const config = parseCogConfig('');
    expect(config.concurrencyMax).toBe(1);
    expect(config.predict).toBeUndefined();
  });

  it.each([
    ['predict: [1]', /"predict" must be a string/],
    ['concurrency: 3', /"concurrency" must be a mapping/],
    ['concurrency:\n  max: 0', /at least 1/],
    ['concurrency:\n  max: 1.5', /whole number/],
    ['environment: FOO=1', /list of NAME=value/],
    ['environment:\n  - NOPE', /not NAME=value/],
    ['environment:\n  - PATH=/evil', /PATH may not be set/],
    ['environment:\n  - REPLICANT_ADMIN_TOKEN=x', /may not be set/],
    ['environment:\n  - A=1\n  - A=2', /set twice/],
    ['predictor: "predict.ts:Predictor"', /unknown key "predictor"/],
    ['predict: "a\n  b: [', /not valid YAML/],
    ['- just\n- a list', /must be a mapping/],
  ])('rejects %j', (text, message) => {
    expect(() => parseCogConfig(text)).toThrow(message);
  });

  it('splits predictor references', () => {
    expect(splitReference('predict.ts:Predictor')).toEqual({ file: 'predict.ts', exportName: 'Predictor' });
    expect(splitReference('src/predict.ts')).toEqual({ file: 'src/predict.ts', exportName: undefined });
  });
});
