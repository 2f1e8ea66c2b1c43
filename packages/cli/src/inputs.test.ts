import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenApiDocument } from '@replicant/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { buildInput, fileToDataUrl, gatherInputFlags } from './inputs.js';

/** An Input schema shaped like the runtime's (and Cog's) for a predictor with many input kinds. */
const SCHEMA: OpenApiDocument = {
  openapi: '3.0.2',
  info: { title: 'Cog', version: '0.1.0' },
  paths: {},
  components: {
    schemas: {
      Input: {
        title: 'Input',
        type: 'object',
        required: ['text'],
        properties: {
          text: { type: 'string', title: 'Text', 'x-order': 0 },
          steps: { type: 'integer', title: 'Steps', minimum: 1, 'x-order': 1 },
          scale: { type: 'number', title: 'Scale', 'x-order': 2 },
          upscale: { type: 'boolean', title: 'Upscale', default: false, 'x-order': 3 },
          size: { allOf: [{ $ref: '#/components/schemas/size' }], default: 512, 'x-order': 4 },
          mode: { allOf: [{ $ref: '#/components/schemas/mode' }], 'x-order': 5 },
          tags: { type: 'array', items: { type: 'string' }, title: 'Tags', 'x-order': 6 },
          seeds: { type: 'array', items: { type: 'integer' }, title: 'Seeds', 'x-order': 7 },
          weights: { type: 'array', items: { type: 'number' }, title: 'Weights', 'x-order': 8 },
          flags: { type: 'array', items: { type: 'boolean' }, title: 'Flags', 'x-order': 9 },
          image: { type: 'string', format: 'uri', title: 'Image', 'x-order': 10 },
          images: { type: 'array', items: { type: 'string', format: 'uri' }, title: 'Images', 'x-order': 11 },
          token: { type: 'string', format: 'password', title: 'Token', writeOnly: true, 'x-cog-secret': true, 'x-order': 12 },
          options: { type: 'object', title: 'Options', 'x-order': 13 },
          level: { $ref: '#/components/schemas/level', 'x-order': 14 },
        },
      },
      Output: { title: 'Output', type: 'string' },
      size: { type: 'integer', enum: [256, 512, 1024], title: 'size', description: 'An enumeration.' },
      mode: { type: 'string', enum: ['fast', 'slow'], title: 'mode', description: 'An enumeration.' },
      level: { type: 'number', enum: [0.5, 1.5], title: 'level', description: 'An enumeration.' },
    },
  },
};

const NO_INPUTS: OpenApiDocument = {
  ...SCHEMA,
  components: { schemas: { Input: { title: 'Input', type: 'object', properties: {} }, Output: { type: 'string' } } },
};

/** The CliError `promise` rejects with (fails the test if it resolves or throws something else). */
async function cliError(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

function syncCliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a CliError');
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replicant-inputs-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gatherInputFlags', () => {
  it('splits each flag at the first "="', () => {
    const gathered = gatherInputFlags(['text=a=b', 'empty=']);
    expect(gathered.get('text')).toEqual(['a=b']);
    expect(gathered.get('empty')).toEqual(['']);
  });

  it('collects repeated names into a list, in order', () => {
    const gathered = gatherInputFlags(['tags=a', 'text=x', 'tags=b', 'tags=c']);
    expect([...gathered.keys()]).toEqual(['tags', 'text']);
    expect(gathered.get('tags')).toEqual(['a', 'b', 'c']);
  });

  it('strips one pair of surrounding double quotes', () => {
    const gathered = gatherInputFlags(['a="hello world"', 'b="', 'c=""', 'd=say "hi"', `e='single'`]);
    expect(gathered.get('a')).toEqual(['hello world']);
    expect(gathered.get('b')).toEqual(['"']);
    expect(gathered.get('c')).toEqual(['']);
    expect(gathered.get('d')).toEqual(['say "hi"']);
    expect(gathered.get('e')).toEqual([`'single'`]);
  });

  it('rejects a flag without "=" or without a name (usage error, code 2)', () => {
    for (const flag of ['text', '=value', '']) {
      const error = syncCliError(() => gatherInputFlags([flag]));
      expect(error.code).toBe(2);
      expect(error.message).toContain('name=value');
      expect(error.message).toContain(`"${flag}"`);
    }
  });

  it('gives an empty map for no flags', () => {
    expect(gatherInputFlags([]).size).toBe(0);
  });
});

describe('buildInput', () => {
  it('passes strings through as text, even when they look like numbers or JSON', async () => {
    expect(await buildInput(SCHEMA, ['text=123'])).toEqual({ text: '123' });
    expect(await buildInput(SCHEMA, ['text=[1,2]'])).toEqual({ text: '[1,2]' });
    expect(await buildInput(SCHEMA, ['text=true'])).toEqual({ text: 'true' });
    expect(await buildInput(SCHEMA, ['token=s3cr3t'])).toEqual({ token: 's3cr3t' });
  });

  it('removes the quotes around a quoted value', async () => {
    expect(await buildInput(SCHEMA, ['text="hello world"'])).toEqual({ text: 'hello world' });
    expect(await buildInput(SCHEMA, ['steps="7"'])).toEqual({ steps: 7 });
  });

  it('builds one object from several inputs', async () => {
    expect(await buildInput(SCHEMA, ['text=hi', 'steps=3', 'scale=1.5', 'upscale=true'])).toEqual({
      text: 'hi',
      steps: 3,
      scale: 1.5,
      upscale: true,
    });
  });

  it('parses integers', async () => {
    expect(await buildInput(SCHEMA, ['steps=42'])).toEqual({ steps: 42 });
    expect(await buildInput(SCHEMA, ['steps=-3'])).toEqual({ steps: -3 });
    expect(await buildInput(SCHEMA, ['steps=+5'])).toEqual({ steps: 5 });
    expect(await buildInput(SCHEMA, ['steps=0'])).toEqual({ steps: 0 });
  });

  it.each(['1.5', 'abc', '', '1e3', '0x10', '12abc'])('rejects the integer %j', async (value) => {
    const error = await cliError(buildInput(SCHEMA, [`steps=${value}`]));
    expect(error.code).toBe(2);
    expect(error.message).toBe(`input "steps" must be an integer, got "${value}"`);
  });

  it('parses numbers', async () => {
    expect(await buildInput(SCHEMA, ['scale=0.25'])).toEqual({ scale: 0.25 });
    expect(await buildInput(SCHEMA, ['scale=3'])).toEqual({ scale: 3 });
    expect(await buildInput(SCHEMA, ['scale=-2.5'])).toEqual({ scale: -2.5 });
    expect(await buildInput(SCHEMA, ['scale=1e3'])).toEqual({ scale: 1000 });
  });

  it.each(['abc', '', ' ', 'Infinity', 'NaN', '1.2.3'])('rejects the number %j', async (value) => {
    const error = await cliError(buildInput(SCHEMA, [`scale=${value}`]));
    expect(error.code).toBe(2);
    expect(error.message).toBe(`input "scale" must be a number, got "${value}"`);
  });

  it('parses booleans', async () => {
    for (const [text, value] of [
      ['true', true],
      ['True', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      ['False', false],
      ['0', false],
    ] as const) {
      expect(await buildInput(SCHEMA, [`upscale=${text}`])).toEqual({ upscale: value });
    }
  });

  it.each(['yes', 'no', '', '2', 'tru'])('rejects the boolean %j', async (value) => {
    const error = await cliError(buildInput(SCHEMA, [`upscale=${value}`]));
    expect(error.code).toBe(2);
    expect(error.message).toBe(`input "upscale" must be true or false, got "${value}"`);
  });

  it('types choices by the enum that allOf/$ref points at', async () => {
    expect(await buildInput(SCHEMA, ['size=1024'])).toEqual({ size: 1024 });
    expect(await buildInput(SCHEMA, ['mode=fast'])).toEqual({ mode: 'fast' });
    expect(await buildInput(SCHEMA, ['level=0.5'])).toEqual({ level: 0.5 });
    const error = await cliError(buildInput(SCHEMA, ['size=big']));
    expect(error.message).toBe('input "size" must be an integer, got "big"');
  });

  it('leaves checking a choice against the enum to the model', async () => {
    // The model's server answers 422 for values outside the enum; the CLI only types the value.
    expect(await buildInput(SCHEMA, ['size=300'])).toEqual({ size: 300 });
  });

  it('parses objects as JSON', async () => {
    expect(await buildInput(SCHEMA, ['options={"a":1,"b":[true]}'])).toEqual({ options: { a: 1, b: [true] } });
    const error = await cliError(buildInput(SCHEMA, ['options={nope']));
    expect(error.message).toBe('input "options" must be a JSON object, got "{nope"');
  });

  describe('arrays', () => {
    it('take a JSON array', async () => {
      expect(await buildInput(SCHEMA, ['tags=["a","b c"]'])).toEqual({ tags: ['a', 'b c'] });
      expect(await buildInput(SCHEMA, ['tags=  []'])).toEqual({ tags: [] });
    });

    it('coerce JSON array items given as text to the item type, and keep typed ones', async () => {
      expect(await buildInput(SCHEMA, ['seeds=[1, 2, 3]'])).toEqual({ seeds: [1, 2, 3] });
      expect(await buildInput(SCHEMA, ['seeds=["4", 5]'])).toEqual({ seeds: [4, 5] });
      expect(await buildInput(SCHEMA, ['weights=[0.5, "1.5"]'])).toEqual({ weights: [0.5, 1.5] });
    });

    it('take repeated flags, each coerced to the item type', async () => {
      expect(await buildInput(SCHEMA, ['tags=a', 'tags=b'])).toEqual({ tags: ['a', 'b'] });
      expect(await buildInput(SCHEMA, ['seeds=1', 'seeds=-2', 'seeds=30'])).toEqual({ seeds: [1, -2, 30] });
      expect(await buildInput(SCHEMA, ['weights=0.5', 'weights=2'])).toEqual({ weights: [0.5, 2] });
      expect(await buildInput(SCHEMA, ['flags=true', 'flags=0'])).toEqual({ flags: [true, false] });
    });

    it('turn a single value that is not a JSON array into a one-item list', async () => {
      expect(await buildInput(SCHEMA, ['tags=solo'])).toEqual({ tags: ['solo'] });
      expect(await buildInput(SCHEMA, ['seeds=7'])).toEqual({ seeds: [7] });
      expect(await buildInput(SCHEMA, ['tags=[not json'])).toEqual({ tags: ['[not json'] });
    });

    it('report an item that does not fit the item type', async () => {
      const error = await cliError(buildInput(SCHEMA, ['seeds=1', 'seeds=two']));
      expect(error.code).toBe(2);
      expect(error.message).toBe('input "seeds" must be an integer, got "two"');
      const fromJson = await cliError(buildInput(SCHEMA, ['seeds=["1.5"]']));
      expect(fromJson.message).toBe('input "seeds" must be an integer, got "1.5"');
    });
  });

  it('rejects several values for an input that is not an array', async () => {
    const error = await cliError(buildInput(SCHEMA, ['text=a', 'text=b']));
    expect(error.code).toBe(2);
    expect(error.message).toBe('input "text" takes one value, got 2');
  });

  describe('@file', () => {
    it('becomes a data URL with the MIME type of its extension', async () => {
      const png = join(dir, 'pixel.png');
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
      await writeFile(png, bytes);
      expect(await buildInput(SCHEMA, [`image=@${png}`])).toEqual({ image: `data:image/png;base64,${bytes.toString('base64')}` });
    });

    it('uses text/plain for .txt and application/octet-stream for unknown extensions', async () => {
      const txt = join(dir, 'notes.TXT');
      const odd = join(dir, 'blob.xyz123');
      await writeFile(txt, 'hello');
      await writeFile(odd, 'raw');
      const input = await buildInput(SCHEMA, [`image=@${txt}`, `images=@${odd}`]);
      expect(input.image).toBe(`data:text/plain;base64,${Buffer.from('hello').toString('base64')}`);
      expect(input.images).toEqual([`data:application/octet-stream;base64,${Buffer.from('raw').toString('base64')}`]);
    });

    it('works for each item of a list', async () => {
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.wav');
      await writeFile(a, '{}');
      await writeFile(b, 'RIFF');
      expect(await buildInput(SCHEMA, [`images=@${a}`, `images=@${b}`])).toEqual({
        images: [
          `data:application/json;base64,${Buffer.from('{}').toString('base64')}`,
          `data:audio/wav;base64,${Buffer.from('RIFF').toString('base64')}`,
        ],
      });
    });

    it('is read whatever the input type', async () => {
      const txt = join(dir, 'prompt.txt');
      await writeFile(txt, 'from a file');
      expect(await buildInput(SCHEMA, [`text=@${txt}`])).toEqual({
        text: `data:text/plain;base64,${Buffer.from('from a file').toString('base64')}`,
      });
    });

    it('that cannot be read is a usage error naming the file', async () => {
      const missing = join(dir, 'missing.png');
      const error = await cliError(buildInput(SCHEMA, [`image=@${missing}`]));
      expect(error.code).toBe(2);
      expect(error.message).toBe(`cannot read ${missing}: ENOENT`);
    });

    it('fileToDataUrl encodes empty files', async () => {
      const empty = join(dir, 'empty.txt');
      await writeFile(empty, '');
      expect(await fileToDataUrl(empty)).toBe('data:text/plain;base64,');
    });
  });

  it('rejects an unknown input name, listing the inputs the model takes', async () => {
    const error = await cliError(buildInput(SCHEMA, ['text=hi', 'prompt=hi']));
    expect(error.code).toBe(2);
    expect(error.message).toBe(
      'unknown input "prompt"; this model takes: text, steps, scale, upscale, size, mode, tags, seeds, weights, flags, image, images, token, options, level',
    );
  });

  it('says so when the model takes no inputs', async () => {
    const error = await cliError(buildInput(NO_INPUTS, ['text=hi']));
    expect(error.message).toBe('unknown input "text"; this model takes: no inputs');
    expect(await buildInput(NO_INPUTS, [])).toEqual({});
  });

  it('rejects a flag without "="', async () => {
    const error = await cliError(buildInput(SCHEMA, ['text']));
    expect(error.code).toBe(2);
    expect(error.message).toBe('-i expects name=value, got "text"');
  });

  it('does not treat prototype names as inputs', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const error = await cliError(buildInput(SCHEMA, [`${name}=x`]));
      expect(error.message).toContain(`unknown input "${name}"`);
    }
  });
});
