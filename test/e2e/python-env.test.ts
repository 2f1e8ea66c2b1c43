/**
 * Python models that need packages (`build.python_packages`) on a real `replicant serve`, run
 * with the official `replicate` client: the platform builds the model's virtualenv with pip when
 * it sets the version up, keeps it in `<data>/cache/python-envs`, and reuses it after a restart;
 * a package pip cannot find fails the prediction with setup logs naming it. The platform serves
 * `fixtures/python-env-models` and `examples` (what `npm start` serves), so
 * examples/resize-image-python runs here too.
 */
import { rmSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import Replicate, { type FileOutput, type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';
import { bytesOf, poll } from './helpers/wait.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/python-env-models', import.meta.url));
const EXAMPLES = exampleModels('resize-image-python');
const TERMINAL = ['succeeded', 'failed', 'canceled'];
/** pip's first attempts go to pypi.org, which this machine may not reach: builds take a while. */
const PIP_TIMEOUT_MS = 120_000;

let dataDir: string;
let platform: Platform;
let replicate: Replicate;

const start = async () => {
  // Idle instances get 3 s to stop (the default 10 s would only make the restart slower).
  platform = await Platform.start({
    models: [FIXTURES, EXAMPLES],
    dataDir,
    env: { REPLICANT_MAX_INSTANCES: '8', REPLICANT_GRACE_MS: '3000' },
  });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'replicant-e2e-python-env-'));
  await start();
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  // The data dir is this test's own (the platform restarts on it), so the platform leaves it: removed here.
  for (const dir of [dataDir, EXAMPLES]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** Runs a prediction without waiting on the request, polling it to its end as the clients do. */
async function predict(model: string, input: Record<string, unknown>): Promise<Prediction> {
  const created = await replicate.predictions.create({ model, input });
  return poll(
    () => replicate.predictions.get(created.id),
    (p) => TERMINAL.includes(p.status),
    `${model} to finish`,
    { timeoutMs: PIP_TIMEOUT_MS, intervalMs: 100 },
  );
}

interface PillowOutput {
  pillow: string;
  prefix: string;
  size: number[];
}

/** The environments in the cache: the published links (name → target), and everything there. */
async function environments(): Promise<{ published: Map<string, string>; entries: string[] }> {
  const root = join(dataDir, 'cache', 'python-envs');
  const entries = (await readdir(root)).sort();
  const published = new Map<string, string>();
  for (const entry of entries) {
    if ((await lstat(join(root, entry))).isSymbolicLink()) published.set(entry, await realpath(join(root, entry)));
  }
  return { published, entries };
}

const markerOf = (venv: string) => readFile(join(venv, '.replicant-environment.json'), 'utf8');

// ---- a PNG made by hand (no image library on the test's side) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGB PNG of a colour gradient. */
function gradientPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(Math.floor((255 * x) / width), Math.floor((255 * y) / height), 128);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width, height and colour type of a PNG. */
function pngHeader(png: Buffer): { width: number; height: number; colorType: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), colorType: png[25] as number };
}

describe('a model with build.python_packages', () => {
  let venv: string;
  let marker: string;
  let first: PillowOutput;

  it(
    'gets its virtualenv built with pip at setup: the first prediction runs with the pinned Pillow',
    async () => {
      const final = await predict('local/pillow', { width: 8 });
      expect(final).toMatchObject({ status: 'succeeded', error: null });
      first = final.output as PillowOutput;
      expect(first).toMatchObject({ pillow: '12.3.0', size: [16, 8] });

      // It ran in the environment the platform built and published in its data dir.
      const { published } = await environments();
      expect(published.size).toBe(1);
      const [[, target]] = [...published] as [[string, string]];
      venv = target;
      expect(await realpath(first.prefix)).toBe(venv);
      marker = await markerOf(venv);
      expect(JSON.parse(marker)).toMatchObject({ packages: ['pillow==12.3.0'], requirements: null });
      // (The pip output of a setup that succeeds is in the instance's setup logs, which the
      // platform's API does not show; a failed setup's are in the prediction's logs, below.)
    },
    PIP_TIMEOUT_MS,
  );

  it(
    'examples/resize-image-python (the same package list) resizes an image, sharing that environment',
    async () => {
      const png = gradientPng(40, 20);
      const gray = (await replicate.run('local/resize-image-python', {
        input: { image: new Blob([png], { type: 'image/png' }), width: 10, grayscale: true, format: 'png' },
      })) as FileOutput;
      expect(pngHeader(await bytesOf(gray))).toEqual({ width: 10, height: 5, colorType: 0 });

      const byUrl = await predict('local/resize-image-python', {
        image: `data:image/png;base64,${png.toString('base64')}`,
        width: 24,
      });
      expect(byUrl.status).toBe('succeeded');
      expect(byUrl.output).toMatch(/\/resized\.png$/);
      expect(byUrl.logs).toContain('resizing 40x20 RGB to 24x12');
      const webp = (await replicate.run('local/resize-image-python', {
        input: { image: new Blob([png], { type: 'image/png' }), width: 4, format: 'webp' },
      })) as FileOutput;
      const bytes = await bytesOf(webp);
      expect([bytes.subarray(0, 4).toString('latin1'), bytes.subarray(8, 12).toString('latin1')]).toEqual(['RIFF', 'WEBP']);

      const { published } = await environments();
      expect([...published.values()]).toEqual([venv]);
    },
    PIP_TIMEOUT_MS,
  );

  it(
    'a package pip cannot find fails the prediction; its logs have pip output naming the package',
    async () => {
      const before = await environments();
      const final = await predict('local/missing-package', { text: 'hi' });
      expect(final).toMatchObject({ status: 'failed', output: null });
      expect(final.error).toMatch(/setup failed/i);
      expect(final.logs).toContain('pip install replicant-no-such-package-xyz==1.0');
      // pip's own words, then the runtime's summary.
      expect(final.logs).toMatch(/No matching distribution found for replicant-no-such-package-xyz==1\.0/);
      expect(final.logs).toContain('pip could not find the package "replicant-no-such-package-xyz==1.0"');
      // Nothing half-built is left behind.
      expect(await environments()).toEqual(before);
    },
    PIP_TIMEOUT_MS,
  );

  it(
    'is reused after a restart on the same data dir: not built again',
    async () => {
      const before = await environments();
      await platform.stop();
      await start();
      const final = await predict('local/pillow', { width: 3 });
      expect(final).toMatchObject({ status: 'succeeded', output: { pillow: '12.3.0', prefix: first.prefix, size: [6, 3] } });
      // The same environment, untouched: the marker written when it was built is unchanged.
      expect(await environments()).toEqual(before);
      expect(await markerOf(venv)).toBe(marker);
    },
    PIP_TIMEOUT_MS,
  );
});
