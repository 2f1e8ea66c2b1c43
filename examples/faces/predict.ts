import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The build for Node on the WASM backend (the package's main build needs @tensorflow/tfjs-node,
// whose install downloads libtensorflow).
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
/** The .wasm binaries ship in the backend's dist folder; tfjs would otherwise fetch them from a CDN. */
const WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
/** The trained weights ship inside the face-api package. */
const MODEL_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
/**
 * Detection runs on at most this many pixels on the long side (boxes are scaled back). The
 * detector sees 512×512 whatever the size, so larger only costs memory: a 12 MP photo is a
 * 144 MB int32 tensor.
 */
const MAX_SIDE = 2048;

const Box = Output.object({ x: Output.number(), y: Output.number(), width: Output.number(), height: Output.number() });
/** The probability of each of face-api's expressions (`faceapi.FACE_EXPRESSION_LABELS`). */
const Expressions = Output.object({
  neutral: Output.number(),
  happy: Output.number(),
  sad: Output.number(),
  angry: Output.number(),
  fearful: Output.number(),
  disgusted: Output.number(),
  surprised: Output.number(),
});
const Face = Output.object({
  box: Box,
  score: Output.number(),
  age: Output.number(),
  gender: Output.string(),
  gender_probability: Output.number(),
  expression: Output.string(),
  expressions: Expressions,
  landmarks: Output.array(Output.array(Output.number())),
});

/**
 * Where annotated images are written. Each prediction removes the previous one's: by then the
 * runtime has sent it (one prediction runs at a time: cog.yaml sets no concurrency).
 */
let outputDir = '';

export const Predictor = definePredictor({
  inputs: {
    image: Input.path({ description: 'A photo (JPEG, PNG, WebP, GIF, TIFF, AVIF…)' }),
    min_confidence: Input.number({ description: 'Faces the detector scores below this are left out', default: 0.5, ge: 0, le: 1 }),
    max_faces: Input.integer({ description: 'At most this many faces, the highest scores first (default: all)', ge: 1, optional: true }),
    annotate: Input.boolean({ description: 'Also return the image with the faces boxed and labelled', default: true }),
  },
  output: Output.object({
    faces: Output.array(Face),
    annotated_image: Output.optional(Output.path()),
  }),

  async setup() {
    const started = performance.now();
    setWasmPaths(`${WASM_DIR}/`);
    // In Node, tfjs-backend-wasm 4.22 always loads its single-threaded build (threads are only
    // used in browsers: tfjs issue #3830), so this changes nothing today; saying 1 keeps it so if
    // a later version enables threads in Node, on a 2-core machine where the platform's server
    // and other models need the other core.
    setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs WASM backend did not initialise');
    await tf.ready();
    // SSD MobileNet v1 rather than the Tiny Face Detector: on the six photos in face-api's demo
    // folder it finds all 22 faces at 0.5 and nothing else; Tiny misses 2 to 6 of them whatever
    // its inputSize, and boxes something that is not a face. SSD takes ~0.6 s a photo, Tiny ~0.2 s.
    await Promise.all([
      faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR),
      faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR),
      faceapi.nets.ageGenderNet.loadFromDisk(MODEL_DIR),
      faceapi.nets.faceExpressionNet.loadFromDisk(MODEL_DIR),
    ]);
    outputDir = await mkdtemp(join(tmpdir(), 'faces-'));
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    console.log(`tfjs ${tf.version_core}, backend ${tf.getBackend()}, ${getThreadsCount()} thread; models loaded in ${seconds} s`);
  },

  async predict({ image, min_confidence, max_faces, annotate }, { signal, recordMetric }) {
    for (const old of await readdir(outputDir)) await rm(join(outputDir, old), { force: true });

    // Upright (EXIF orientation applied), alpha flattened onto white, 3 channels of sRGB.
    const photo = sharp(image);
    const { format } = await photo.metadata();
    const { data: pixels, info } = await photo
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const scale = Math.min(1, MAX_SIDE / Math.max(info.width, info.height));
    const input =
      scale < 1
        ? await sharp(pixels, { raw: info })
            .resize(Math.round(info.width * scale), Math.round(info.height * scale))
            .raw()
            .toBuffer({ resolveWithObject: true })
        : { data: pixels, info };
    signal.throwIfAborted();

    const started = performance.now();
    const tensor = tf.tensor3d(input.data, [input.info.height, input.info.width, input.info.channels], 'int32');
    let results: Awaited<ReturnType<typeof detect>>;
    try {
      results = await detect(tensor, min_confidence, max_faces);
    } finally {
      tensor.dispose();
    }
    signal.throwIfAborted();
    const seconds = (performance.now() - started) / 1000;
    console.log(`${results.length} face${results.length === 1 ? '' : 's'} in ${seconds.toFixed(2)} s (${info.width}×${info.height})`);
    recordMetric('face_count', results.length);

    const faces = results.map((r) => {
      // In the image's pixels, inside the image.
      const box = r.detection.box;
      const x = Math.max(0, round(box.left / scale));
      const y = Math.max(0, round(box.top / scale));
      const right = Math.min(info.width, round(box.right / scale));
      const bottom = Math.min(info.height, round(box.bottom / scale));
      const e = r.expressions;
      return {
        box: { x, y, width: round(right - x), height: round(bottom - y) },
        score: round(r.detection.score, 4),
        age: round(r.age),
        gender: r.gender,
        gender_probability: round(r.genderProbability, 4),
        expression: e.asSortedArray()[0]?.expression ?? 'neutral',
        expressions: {
          neutral: round(e.neutral, 4),
          happy: round(e.happy, 4),
          sad: round(e.sad, 4),
          angry: round(e.angry, 4),
          fearful: round(e.fearful, 4),
          disgusted: round(e.disgusted, 4),
          surprised: round(e.surprised, 4),
        },
        landmarks: r.landmarks.positions.map((p) => [round(p.x / scale), round(p.y / scale)]),
      };
    });
    if (!annotate) return { faces };

    const overlay = Buffer.from(drawFaces(faces, info.width, info.height));
    const annotated = sharp(pixels, { raw: info }).composite([{ input: overlay }]);
    // A photo stays a JPEG (a PNG of it would be several times larger); anything else is a PNG.
    const jpeg = format === 'jpeg';
    const path = join(outputDir, `annotated.${jpeg ? 'jpg' : 'png'}`);
    await (jpeg ? annotated.jpeg({ quality: 90 }) : annotated.png()).toFile(path);
    return { faces, annotated_image: path };
  },
});

/** Faces with their box, landmarks, age and gender and expressions, highest scores first. */
async function detect(tensor: tf.Tensor3D, minConfidence: number, maxFaces: number | undefined) {
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence, ...(maxFaces !== undefined && { maxResults: maxFaces }) });
  const results = await faceapi.detectAllFaces(tensor, options).withFaceLandmarks().withFaceExpressions().withAgeAndGender();
  results.sort((a, b) => b.detection.score - a.detection.score);
  return maxFaces === undefined ? results : results.slice(0, maxFaces);
}

function round(n: number, digits = 1): number {
  return Number(n.toFixed(digits));
}

type DrawnFace = { box: { x: number; y: number; width: number; height: number }; age: number; gender: string; expression: string };

/** An SVG the size of the image: a box and a label for each face. */
function drawFaces(faces: DrawnFace[], width: number, height: number): string {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 400));
  const fontSize = Math.max(12, Math.round(Math.max(width, height) / 60));
  const parts = faces.map(({ box, age, gender, expression }) => {
    const label = `${gender}, ${Math.round(age)}, ${expression}`;
    const labelWidth = Math.round(label.length * fontSize * 0.6 + fontSize * 0.6);
    const labelHeight = Math.round(fontSize * 1.4);
    // Above the box, or inside its top edge when the box touches the top of the image.
    const labelY = box.y >= labelHeight ? box.y - labelHeight : box.y;
    return [
      `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#00e676" stroke-width="${stroke}"/>`,
      `<rect x="${box.x}" y="${labelY}" width="${labelWidth}" height="${labelHeight}" fill="#00e676"/>`,
      `<text x="${box.x + fontSize * 0.3}" y="${labelY + fontSize * 1.05}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#000">${escapeXml(label)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
