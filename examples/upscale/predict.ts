// Upscales an image with sharp (libvips): lanczos3 resampling, then optional sharpening.
// Not machine learning, but the same contract as Replicate's upscalers: image + scale in, image out.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';
import sharp from 'sharp';

/** The largest result we make, in pixels (a 8192×8192 image): about 256 MB of RGBA while it is built. */
const MAX_OUTPUT_PIXELS = 8192 * 8192;
/** WebP cannot be wider or taller than this. */
const MAX_WEBP_SIDE = 16383;

// The results live in a folder of this process (made by setup, so that reading the schema makes
// none), one subfolder per prediction. The runtime reads a returned file after predict ends, so
// each prediction removes the one before it (predictions run one at a time here), and the folder
// goes when the process does.
let outputs: string;
let previous: string | undefined;

export const Predictor = definePredictor({
  inputs: {
    image: Input.path({ description: 'The image to upscale (PNG, JPEG, WebP, GIF, TIFF, AVIF or SVG)' }),
    scale: Input.number({ description: 'Factor to enlarge the image by; each side is rounded to whole pixels', default: 2, ge: 1, le: 8 }),
    format: Input.string({ description: 'Format of the result', choices: ['png', 'jpeg', 'webp'], default: 'png' }),
    sharpen: Input.boolean({ description: 'Sharpen the result a little (counters the softness of enlarging)', default: false }),
    quality: Input.integer({ description: 'Quality of a JPEG or WebP result (PNG is lossless)', default: 90, ge: 1, le: 100 }),
  },
  output: Output.path(),

  async setup() {
    outputs = await mkdtemp(join(tmpdir(), 'upscale-'));
    process.once('exit', () => rmSync(outputs, { recursive: true, force: true }));
  },

  async predict({ image, scale, format, sharpen, quality }) {
    if (previous) await rm(previous, { recursive: true, force: true });
    // The size the image is shown at: a phone photo's EXIF orientation may swap its sides.
    const input = sharp(image, { autoOrient: true });
    const { autoOrient, format: read } = await input.metadata();
    const width = Math.max(1, Math.round(autoOrient.width * scale));
    const height = Math.max(1, Math.round(autoOrient.height * scale));
    if (width * height > MAX_OUTPUT_PIXELS) {
      throw new Error(`${width}x${height} is too large a result (at most ${MAX_OUTPUT_PIXELS} pixels): use a smaller scale`);
    }
    if (format === 'webp' && Math.max(width, height) > MAX_WEBP_SIDE) {
      throw new Error(`${width}x${height} is too large for WebP (at most ${MAX_WEBP_SIDE} pixels a side): use png or jpeg`);
    }
    console.log(`upscaling ${autoOrient.width}x${autoOrient.height} ${read} to ${width}x${height} ${format}`);

    let pipeline = input.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
    if (sharpen) pipeline = pipeline.sharpen({ sigma: 1 });
    if (format === 'png') pipeline = pipeline.png();
    // JPEG has no transparency: transparent parts become white rather than black.
    else if (format === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' }).jpeg({ quality, mozjpeg: true });
    else pipeline = pipeline.webp({ quality });

    previous = await mkdtemp(join(outputs, 'prediction-'));
    const out = join(previous, `upscaled.${format === 'jpeg' ? 'jpg' : format}`);
    await pipeline.toFile(out);
    return out;
  },
});
