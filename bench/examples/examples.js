// The examples the bench runs, in this order, each with a small representative input, what it
// needs from the machine (a missing program skips it, with the reason), and a one-line summary of
// an output (to show that both sides computed the same thing).
import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const SPEECH = 'please turn on the lights in the kitchen';
const POCKETSPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us';

/**
 * Per example: `needs()` says why it cannot run here (or nothing); `input(ctx)` makes its input,
 * `{ input, files }` where `files` maps a file input to `{ path, type }` (a data URL for the
 * platform, the path itself for the direct call); `summary(output)` shortens an output, as the
 * platform answers it (file outputs are URLs) or as the direct call returns it (paths).
 * `ctx`: `{ dir` (the version folder the platform unpacked and installed), `sharp()`, `speech()`, `tmp }`.
 */
export const EXAMPLES = [
  {
    name: 'hello-world',
    what: 'TypeScript, no dependencies',
    input: () => ({ input: { text: 'world' } }),
    summary: (output) => JSON.stringify(output),
  },
  {
    name: 'hello-world-python',
    what: 'Python, no packages',
    needs: () => needPrograms('python3'),
    input: () => ({ input: { text: 'world' } }),
    summary: (output) => JSON.stringify(output),
  },
  {
    name: 'resize-image-python',
    what: 'Python + Pillow (pip virtualenv)',
    needs: () => needPrograms('python3'),
    input: async (ctx) => {
      const path = join(ctx.tmp, 'resize-input.png');
      await (await ctx.sharp())(Buffer.from(pictureSvg(640, 480)))
        .png()
        .toFile(path);
      return { input: { width: 256 }, files: { image: { path, type: 'image/png' } } };
    },
    summary: fileName,
  },
  {
    name: 'upscale',
    what: 'sharp (npm)',
    input: async (ctx) => {
      const path = join(ctx.tmp, 'upscale-input.png');
      await (await ctx.sharp())(Buffer.from(textSvg(['Upscale me'], { width: 320, size: 28 })))
        .png()
        .toFile(path);
      return { input: { scale: 2 }, files: { image: { path, type: 'image/png' } } };
    },
    summary: fileName,
  },
  {
    name: 'ocr',
    what: 'tesseract.js WASM (npm)',
    input: async (ctx) => {
      const path = join(ctx.tmp, 'ocr-input.png');
      const svg = textSvg(['The quick brown fox jumps', 'over the lazy dog 1234']);
      await (await ctx.sharp())(Buffer.from(svg)).png().toFile(path);
      return { input: {}, files: { image: { path, type: 'image/png' } } };
    },
    summary: (output) => JSON.stringify(output?.text?.trim()),
  },
  {
    name: 'faces',
    what: 'face-api on tfjs WASM (npm)',
    // face-api's demo photo, from the package the platform installed into the version folder.
    input: (ctx) => {
      const path = join(ctx.dir, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
      if (!existsSync(path)) throw new Error(`no sample photo at ${path}`);
      return { input: {}, files: { image: { path, type: 'image/jpeg' } } };
    },
    summary: (output) => `${output?.faces?.length} faces, annotated ${fileName(output?.annotated_image)}`,
  },
  {
    name: 'llama',
    what: 'node-llama-cpp, tiny random weights (npm)',
    needs: () => (process.platform === 'linux' && process.arch === 'x64' ? undefined : 'node-llama-cpp is pruned to its x64 Linux binary'),
    input: () => ({ input: { prompt: 'Why is the sky blue?', max_tokens: 16, seed: 1 } }),
    summary: (output) => JSON.stringify(Array.isArray(output) ? output.join('') : output),
  },
  {
    name: 'tts',
    what: 'flite (system program)',
    needs: () => needPrograms('flite'),
    input: () => ({ input: { text: SPEECH, voice: 'slt' } }),
    summary: fileName,
  },
  {
    name: 'stt',
    what: 'PocketSphinx (system programs)',
    // Its input is speech made by flite, as the tts example makes it.
    needs: () =>
      needPrograms('pocketsphinx_continuous', 'flite') ?? (existsSync(POCKETSPHINX_MODEL) ? undefined : `no ${POCKETSPHINX_MODEL}`),
    input: async (ctx) => ({ input: {}, files: { audio: { path: await ctx.speech(), type: 'audio/wav' } } }),
    summary: (output) => JSON.stringify(output),
  },
];

/** The words the stt input says. */
export const SPEECH_TEXT = SPEECH;

/** `{ input, files }` → what the platform gets: file inputs as data URLs. */
export function platformInput({ input, files = {} }) {
  const result = { ...input };
  for (const [name, file] of Object.entries(files)) {
    result[name] = `data:${file.type};base64,${readFileSync(file.path).toString('base64')}`;
  }
  return result;
}

/** `{ input, files }` → what the direct child gets: the platform's input, and file inputs as paths. */
export function directMessage(prepared) {
  const paths = Object.fromEntries(Object.entries(prepared.files ?? {}).map(([name, file]) => [name, file.path]));
  return { type: 'predict', input: platformInput(prepared), files: paths };
}

/**
 * sharp, to draw the images: the one examples/upscale locks, installed with `npm ci` from its
 * package-lock.json into a new temporary folder (not timed; the checkout's node_modules are left
 * alone, and the repository root has no sharp). Returns `{ sharp, dir }`.
 */
export async function installSharp(root) {
  const dir = mkdtempSync(join(tmpdir(), 'replicant-bench-sharp-'));
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, 'examples/upscale', file), join(dir, file));
  await promisify(execFile)('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 300_000 });
  return { sharp: createRequire(join(dir, 'package.json'))('sharp'), dir };
}

/** Speech from flite, as the tts example makes it (`flite -voice slt -t TEXT -o FILE`: 16 kHz mono WAV). */
export async function flite(path) {
  await promisify(execFile)('flite', ['-voice', 'slt', '-t', SPEECH, '-o', path], { timeout: 60_000 });
  return path;
}

/** Why the programs cannot be used (the first one missing from PATH), or undefined. */
function needPrograms(...names) {
  const missing = names.find((name) => !onPath(name));
  return missing === undefined ? undefined : `${missing} is not installed`;
}

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A file output, short: the last part of a path or URL, or a data URL's type and size. */
function fileName(value) {
  if (typeof value !== 'string') return JSON.stringify(value);
  const data = /^data:([^;,]*)(;base64)?,/.exec(value);
  if (data) return `data:${data[1]} (${Math.floor(((value.length - data[0].length) * 3) / 4)} bytes)`;
  return value.split('/').pop();
}

/** Black words on white, one `<text>` per line (DejaVu Sans, as the e2e tests draw them). */
function textSvg(lines, { width = 640, size = 40 } = {}) {
  const height = lines.length * size * 2 + size;
  const texts = lines.map(
    (line, i) => `<text x="${size / 2}" y="${(i + 1) * size * 2}" font-family="DejaVu Sans" font-size="${size}" fill="#000">${line}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${texts.join('')}</svg>`;
}

/** Something photo-like to resize: a gradient, shapes and a caption. */
function pictureSvg(width, height) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e6fd9"/><stop offset="1" stop-color="#f2a93b"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/>
  <circle cx="${width * 0.3}" cy="${height * 0.45}" r="${height * 0.25}" fill="#fff" fill-opacity="0.6"/>
  <rect x="${width * 0.55}" y="${height * 0.2}" width="${width * 0.3}" height="${height * 0.5}" fill="#2a2a2a" fill-opacity="0.5"/>
  <text x="20" y="${height - 24}" font-family="DejaVu Sans" font-size="32" fill="#fff">resize me</text>
</svg>`;
}
