/**
 * examples/upscale (sharp, lanczos3) on a real `replicant serve` that serves it as `npm start`
 * serves examples/ (`--models`: the folder becomes local/upscale), run with the official
 * `replicate` npm client, unmodified. The input images are made here, and the results decoded,
 * with the sharp the example locks.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Replicate, { type FileOutput, type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels, installLocked } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';

/** The part of sharp's API these tests use (sharp is no dependency of the repository root, so its types may be absent). */
interface SharpImage {
  png(): SharpImage;
  raw(): SharpImage;
  metadata(): Promise<{ width: number; height: number; format: string; channels: number }>;
  toBuffer(): Promise<Buffer>;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
}
type Sharp = (input?: Buffer, options?: { raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 } }) => SharpImage;

let deps: string;
let models: string;
let sharp: Sharp;
let platform: Platform;
let replicate: Replicate;
let version: string;

beforeAll(async () => {
  // The example's dependencies, installed from its lock into a folder of this test: the checkout's
  // examples/upscale/node_modules is left alone, and other test files may install at the same time.
  // The test draws its inputs and decodes the results with that sharp.
  deps = await installLocked('upscale');
  sharp = createRequire(join(deps, 'package.json'))('sharp') as Sharp;
  // The platform serves a copy of the example (without node_modules) from a models folder.
  models = exampleModels('upscale');
  // The platform installs the example's own dependencies into the unpacked version (when it reads
  // the schema), as for any model.
  platform = await Platform.start({ models: [models] });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  const latest = (await replicate.models.get('local', 'upscale')).latest_version?.id;
  if (!latest) throw new Error(`local/upscale has no version: ${platform.output.stderr}`);
  version = latest;
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  for (const dir of [models, deps]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const RED = [220, 30, 40];
const BLUE = [30, 60, 200];

/** A 4×4 checkerboard of `cell`-pixel squares, red in the top-left corner, as a PNG. */
function checkerboard(cell: number): Promise<Buffer> {
  const side = 4 * cell;
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const colour = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0 ? RED : BLUE;
      pixels.set(colour, (y * side + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
}

/** A flat grey image of the given size, as a PNG. */
function blank(width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.alloc(width * height * 3, 128), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  webp: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

/** Runs the model with replicate.run; the result's bytes and the finished prediction. */
async function upscale(input: Record<string, unknown>): Promise<{ bytes: Buffer; prediction: Prediction; ms: number }> {
  let prediction: Prediction | undefined;
  const started = performance.now();
  const output = (await replicate.run('local/upscale', { input }, (p) => {
    prediction = p;
  })) as FileOutput;
  const ms = performance.now() - started;
  if (!prediction) throw new Error('replicate.run reported no prediction');
  return { bytes: Buffer.from(await (await output.blob()).arrayBuffer()), prediction, ms };
}

describe('examples/upscale', () => {
  it('declares image, scale, format, sharpen and quality, and a file output', async () => {
    const { openapi_schema } = await replicate.models.versions.get('local', 'upscale', version);
    type Schemas = Record<string, Record<string, unknown> & { properties?: Record<string, unknown> }>;
    const schemas = (openapi_schema as { components: { schemas: Schemas } }).components.schemas;
    expect(schemas.Input?.required).toEqual(['image']);
    expect(schemas.Input?.properties).toMatchObject({
      image: { type: 'string', format: 'uri' },
      scale: { type: 'number', default: 2, minimum: 1, maximum: 8 },
      sharpen: { type: 'boolean', default: false },
      quality: { type: 'integer', default: 90, minimum: 1, maximum: 100 },
    });
    expect(schemas.format).toMatchObject({ type: 'string', enum: ['png', 'jpeg', 'webp'] });
    expect(schemas.Output).toMatchObject({ type: 'string', format: 'uri' });
  });

  it.each([
    { format: 'png', scale: 2, sharpen: false, tolerance: 0 },
    { format: 'jpeg', scale: 3, sharpen: true, tolerance: 40 },
    { format: 'webp', scale: 4, sharpen: false, tolerance: 40 },
  ])(
    'a 4×4 checkerboard ×$scale as $format: exact size, right format, corners keep their colours',
    async ({ format, scale, sharpen, tolerance }) => {
      const cell = 8;
      const board = await checkerboard(cell);
      const { bytes, prediction, ms } = await upscale({ image: new Blob([board], { type: 'image/png' }), scale, format, sharpen });
      console.log(`upscale ${format} ×${scale}: ${Math.round(ms)} ms round trip, predict_time ${prediction.metrics?.predict_time} s`);
      expect(prediction.status).toBe('succeeded');
      expect(prediction.logs).toContain(`upscaling 32x32 png to ${32 * scale}x${32 * scale} ${format}`);
      expect(MAGIC[format]?.(bytes)).toBe(true);

      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([4 * cell * scale, 4 * cell * scale]);
      const side = info.width;
      // A pixel a little inside each corner (lossy formats blur the very edge a bit).
      const at = (x: number, y: number) => [...data.subarray((y * side + x) * info.channels, (y * side + x) * info.channels + 3)];
      const inset = scale;
      const corners = {
        'top left': [at(inset, inset), RED],
        'top right': [at(side - 1 - inset, inset), BLUE],
        'bottom left': [at(inset, side - 1 - inset), BLUE],
        'bottom right': [at(side - 1 - inset, side - 1 - inset), RED],
      } as const;
      for (const [corner, [seen, wanted]] of Object.entries(corners)) {
        const off = Math.max(...seen.map((v, i) => Math.abs(v - (wanted[i] as number))));
        expect(off, `${corner}: ${seen} instead of ${wanted}`).toBeLessThanOrEqual(tolerance);
      }
    },
  );

  it('a non-square image: each side times the scale, rounded; the file is named upscaled.<ext>', async () => {
    const image = await blank(30, 20);
    const half = await upscale({ image: new Blob([image], { type: 'image/png' }), scale: 2.5 });
    expect(await sharp(half.bytes).metadata()).toMatchObject({ width: 75, height: 50, format: 'png' });

    // Read as the clients poll: the output is a URL on the platform, named by the model.
    const created = await replicate.predictions.create({
      version,
      input: { image: `data:image/png;base64,${image.toString('base64')}`, scale: 1, format: 'jpeg' },
    });
    const done = await replicate.wait(created, { interval: 50 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\/upscaled\.jpg$/);
    const response = await fetch(done.output as string);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(MAGIC.jpeg?.(bytes)).toBe(true);
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 30, height: 20, format: 'jpeg' });
  });

  it('refuses a scale out of range (422) and fails on a file that is no image', async () => {
    const image = await blank(4, 4);
    const tooBig = await platform.api('POST', '/v1/predictions', {
      version,
      input: { image: `data:image/png;base64,${image.toString('base64')}`, scale: 9 },
    });
    expect(tooBig.status).toBe(422);
    expect(JSON.stringify(tooBig.body)).toContain('scale');

    const created = await replicate.predictions.create({
      version,
      input: { image: `data:text/plain;base64,${Buffer.from('not an image').toString('base64')}` },
    });
    // (replicate.wait rejects for a failed prediction: read it as the clients poll it.)
    let final = created;
    for (const deadline = Date.now() + 20_000; !['succeeded', 'failed', 'canceled'].includes(final.status); ) {
      if (Date.now() > deadline) throw new Error(`the prediction did not end: ${JSON.stringify(final)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      final = await replicate.predictions.get(created.id);
    }
    expect(final).toMatchObject({ status: 'failed', output: null });
    expect(final.error).toMatch(/unsupported image format/);
  });
});
