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

  it('reads the build section', () => {
    const config = parseCogConfig(
      [
        'build:',
        '  gpu: true',
        '  python_version: "3.11.7"',
        '  python_packages:',
        '    - "pillow==10.4.0"',
        '    - numpy',
        '  system_packages: [ffmpeg]',
        '  cuda: "12.1"',
        '  run:',
        '    - echo hi',
        '  sdk_version: "0.16.0"',
        'predict: "predict.py:Predictor"',
      ].join('\n'),
    );
    expect(config.build).toEqual({
      pythonVersion: '3.11.7',
      pythonPackages: ['pillow==10.4.0', 'numpy'],
      systemPackages: ['ffmpeg'],
      gpu: true,
    });
  });

  it('defaults the build section', () => {
    expect(parseCogConfig('predict: "predict.ts:Predictor"').build).toEqual({ pythonPackages: [], systemPackages: [], gpu: false });
    expect(parseCogConfig('build:\npredict: "predict.ts:Predictor"').build).toEqual({ pythonPackages: [], systemPackages: [], gpu: false });
  });

  it.each([
    ['3.11', '3.11'],
    ['3.10', '3.10'],
    ['3.12.7', '3.12.7'],
    ['"3.10"', '3.10'],
    ["'3.9'", '3.9'],
  ])('keeps python_version %s as the string %j', (written, version) => {
    expect(parseCogConfig(`build:\n  python_version: ${written}\n`).build.pythonVersion).toBe(version);
  });

  it('reads python_requirements', () => {
    expect(parseCogConfig('build:\n  python_requirements: requirements.txt\n').build).toEqual({
      pythonPackages: [],
      pythonRequirements: 'requirements.txt',
      systemPackages: [],
      gpu: false,
    });
  });

  it.each([
    ['build: [gpu]', /"build" must be a mapping/],
    ['build:\n  gpu: "yes"', /"build.gpu" must be true or false/],
    ['build:\n  python_version: 2.7', /"build.python_version" must be a Python 3 version/],
    ['build:\n  python_version: "3"', /"build.python_version" must be a Python 3 version/],
    ['build:\n  python_version: [3.11]', /"build.python_version" must be a Python 3 version/],
    ['build:\n  python_version: "3.11-dev"', /"build.python_version" must be a Python 3 version/],
    ['build:\n  python_packages: pillow', /"build.python_packages" must be a list/],
    ['build:\n  python_packages:\n    - 3', /"build.python_packages" entry 3 must be a string/],
    ['build:\n  system_packages: ffmpeg', /"build.system_packages" must be a list/],
    ['build:\n  python_requirements: [a.txt]', /"build.python_requirements" must be the path of a requirements file/],
    ['build:\n  python_requirements: requirements.txt\n  python_packages: [pillow]', /cannot both be set/],
    ['build:\n  python_verison: "3.11"', /unknown key "build.python_verison"/],
  ])('rejects the build section %j', (text, message) => {
    expect(() => parseCogConfig(text)).toThrow(message);
  });

  it('splits predictor references', () => {
    expect(splitReference('predict.ts:Predictor')).toEqual({ file: 'predict.ts', exportName: 'Predictor' });
    expect(splitReference('src/predict.ts')).toEqual({ file: 'src/predict.ts', exportName: undefined });
  });
});
