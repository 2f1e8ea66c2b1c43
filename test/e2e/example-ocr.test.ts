/**
 * examples/ocr (tesseract.js, English model from npm, offline) on a real `replicant serve` that
 * serves it as `npm start` serves examples/ (`--models`: the folder becomes local/ocr), run with
 * the official `replicate` npm client, unmodified. The images are rendered here: words in an SVG `<text>`, drawn by sharp with the
 * machine's DejaVu fonts.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Replicate, { type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels, installLocked } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The part of sharp's API this test uses (sharp is no dependency of the repository root, so its types may be absent). */
type Sharp = (input: Buffer) => { png(): { toBuffer(): Promise<Buffer> } };

interface Word {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
interface Reading {
  text: string;
  confidence: number;
  words: Word[];
}

let sharpDeps: string;
let models: string;
let sharp: Sharp;
let platform: Platform;
let replicate: Replicate;
let version: string;

beforeAll(async () => {
  // Dependencies are installed from the examples' locks into folders of this test: the checkout's
  // node_modules folders are left alone, and example-upscale.test.ts may install at the same time.
  // sharp, to draw the images, is the one examples/upscale locks (the repository root has none).
  sharpDeps = await installLocked('upscale');
  sharp = createRequire(join(sharpDeps, 'package.json'))('sharp') as Sharp;
  // The platform serves a copy of the example (without node_modules) from a models folder.
  models = exampleModels('ocr');
  // The platform installs the example's own dependencies into the unpacked version (when it reads
  // the schema), as for any model.
  platform = await Platform.start({ models: [models] });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  const latest = (await replicate.models.get('local', 'ocr')).latest_version?.id;
  if (!latest) throw new Error(`local/ocr has no version: ${platform.output.stderr}`);
  version = latest;
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  for (const dir of [models, sharpDeps]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** Black words on white, one `<text>` per line, as a PNG. */
function render(lines: string[], { width = 640, size = 40 } = {}): Promise<Buffer> {
  const height = lines.length * size * 2 + size;
  const texts = lines.map(
    (line, i) => `<text x="${size / 2}" y="${(i + 1) * size * 2}" font-family="DejaVu Sans" font-size="${size}" fill="#000">${line}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const normalise = (text: string) =>
  text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()
    .split(' ');

/** How many words differ between two texts, word by word (a missing or extra word counts too). */
function wrongWords(read: string, expected: string): number {
  const [a, b] = [normalise(read), normalise(expected)];
  let wrong = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) wrong++;
  return wrong;
}

/** Runs the model with replicate.run; the reading and the finished prediction. */
async function read(image: Buffer, input: Record<string, unknown> = {}): Promise<{ reading: Reading; prediction: Prediction; ms: number }> {
  let prediction: Prediction | undefined;
  const started = performance.now();
  const output = await replicate.run('local/ocr', { input: { image: new Blob([image], { type: 'image/png' }), ...input } }, (p) => {
    prediction = p;
  });
  const ms = performance.now() - started;
  if (!prediction) throw new Error('replicate.run reported no prediction');
  return { reading: output as Reading, prediction, ms };
}

describe('examples/ocr', () => {
  it('declares image and layout, and an object output: text, confidence, words', async () => {
    const { openapi_schema } = await replicate.models.versions.get('local', 'ocr', version);
    type Schemas = Record<string, Record<string, unknown> & { properties?: Record<string, unknown> }>;
    const schemas = (openapi_schema as { components: { schemas: Schemas } }).components.schemas;
    expect(schemas.Input?.required).toEqual(['image']);
    expect(schemas.Input?.properties?.image).toMatchObject({ type: 'string', format: 'uri' });
    expect(schemas.layout).toMatchObject({
      type: 'string',
      enum: ['auto', 'single_column', 'single_block', 'single_line', 'single_word', 'sparse_text'],
    });
    expect(schemas.Output).toMatchObject({
      type: 'object',
      required: ['text', 'confidence', 'words'],
      properties: { text: { type: 'string' }, confidence: { type: 'number' }, words: { type: 'array' } },
    });
  });

  it('reads back the words rendered into an image, each with its confidence and box', async () => {
    const lines = ['REPLICANT READS', 'THIS TEXT'];
    const image = await render(lines);
    const { reading, prediction, ms } = await read(image);
    console.log(`ocr, first prediction: ${Math.round(ms)} ms round trip, predict_time ${prediction.metrics?.predict_time} s`);
    expect(prediction.status).toBe('succeeded');
    expect(wrongWords(reading.text, lines.join(' ')), reading.text).toBeLessThanOrEqual(1);
    expect(reading.text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(reading.confidence).toBeGreaterThan(50);
    expect(reading.confidence).toBeLessThanOrEqual(100);
    expect(prediction.logs).toContain(`read ${reading.words.length} words`);

    expect(wrongWords(reading.words.map((w) => w.text).join(' '), lines.join(' '))).toBeLessThanOrEqual(1);
    for (const word of reading.words) {
      expect(word.confidence).toBeGreaterThanOrEqual(0);
      expect(word.confidence).toBeLessThanOrEqual(100);
      expect(word.bbox.x0).toBeLessThan(word.bbox.x1);
      expect(word.bbox.y0).toBeLessThan(word.bbox.y1);
      expect(word.bbox.x1).toBeLessThanOrEqual(640);
    }
    // Boxes are in image pixels, in reading order: the first line is above the second.
    const [first, , third] = reading.words;
    expect(first?.bbox.y1).toBeLessThan(third?.bbox.y0 ?? 0);
  });

  it('reads a single line with layout single_line', async () => {
    const image = await render(['OPEN MODELS OFFLINE'], { width: 560, size: 36 });
    const { reading, prediction, ms } = await read(image, { layout: 'single_line' });
    console.log(`ocr, later prediction: ${Math.round(ms)} ms round trip, predict_time ${prediction.metrics?.predict_time} s`);
    expect(wrongWords(reading.text, 'OPEN MODELS OFFLINE'), reading.text).toBeLessThanOrEqual(1);
  });

  it('fails on a file it cannot read, saying so, and the next prediction still works', async () => {
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
    expect(final.error).toMatch(/^could not read the image/);

    const { reading } = await read(await render(['STILL WORKING']));
    expect(wrongWords(reading.text, 'STILL WORKING'), reading.text).toBeLessThanOrEqual(1);
  });

  it('writes no copy of the language model anywhere (cacheMethod none): not in the version folder, not in the checkout', () => {
    const copies = (dir: string) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
        (p) => !p.includes('node_modules') && basename(p) === 'eng.traineddata',
      );
    expect(copies(join(platform.dataDir, 'cache'))).toEqual([]);
    expect(readdirSync(ROOT).filter((p) => p.endsWith('.traineddata'))).toEqual([]);
  });
});
