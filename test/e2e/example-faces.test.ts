/**
 * examples/faces (face-api on the TensorFlow.js WASM backend) on a real `replicant serve`, run
 * with the official `replicate` npm client: the photos in face-api's demo folder, a picture with
 * no face, and the inputs that shape the answer. The platform installs the example's npm
 * dependencies itself when it sets the model up (npm ci from its package-lock.json).
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Replicate, { type FileOutput } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels, installLocked } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';

/** face-api's demo photos (in the example's node_modules), and the faces in each. */
const SAMPLES: [file: string, faces: number][] = [
  ['sample1.jpg', 3],
  ['sample2.jpg', 3],
  ['sample3.jpg', 3],
  ['sample4.jpg', 4],
  ['sample5.jpg', 5],
  ['sample6.jpg', 4],
];
const EXPRESSIONS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'];

interface Face {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  age: number;
  gender: string;
  gender_probability: number;
  expression: string;
  expressions: Record<string, number>;
  landmarks: number[][];
}
interface Answer {
  faces: Face[];
  annotated_image?: FileOutput | null;
}

/** The little of sharp's API this test uses (the repository does not depend on sharp, so it has no types for it). */
interface SharpImage {
  metadata(): Promise<{ width?: number; height?: number; format?: string }>;
  png(): SharpImage;
  toBuffer(): Promise<Buffer>;
}
type Sharp = (input: Buffer | { create: { width: number; height: number; channels: 3; background: string } }) => SharpImage;

let platform: Platform;
let replicate: Replicate;
/** The models folder given to the platform. */
let models = '';
/** The example's locked packages, installed for this test (the demo photos and sharp come from there). */
let deps = '';
/** sharp from the example's packages (the repository itself does not depend on it). */
let sharp: Sharp;

/** The path of one of face-api's demo photos. */
function sample(file: string): string {
  return join(deps, 'node_modules/@vladmandic/face-api/demo', file);
}

beforeAll(async () => {
  // The test's own inputs (the demo photos, sharp) come from the example's locked packages,
  // installed into a folder of this test: the checkout's examples/faces/node_modules is left
  // alone (the platform installs its own copy at setup).
  deps = await installLocked('faces');
  sharp = createRequire(join(deps, 'package.json'))('sharp') as Sharp;

  // A models folder holding the example alone (node_modules left out, as a push leaves it out).
  models = exampleModels('faces');
  platform = await Platform.start({ models: [models] });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
}, 300_000);

afterAll(async () => {
  // The platform removes its data dir; the models folder and the test's packages each hold an
  // install of the example's packages (~350 MB each): one made to read its schema, one for the test.
  await platform?.stop();
  for (const dir of [models, deps]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

async function run(input: Record<string, unknown>): Promise<Answer> {
  return (await replicate.run('local/faces', { input })) as Answer;
}

/** Width, height and format of an image. */
async function measure(bytes: Buffer): Promise<{ width?: number; height?: number; format?: string }> {
  const { width, height, format } = await sharp(bytes).metadata();
  return { width, height, format };
}

describe('examples/faces', () => {
  it('declares its inputs and output in the version schema', async () => {
    const model = await replicate.models.get('local', 'faces');
    type Schema = { properties?: Record<string, Record<string, unknown>>; required?: string[] };
    const version = model.latest_version;
    if (!version) throw new Error('local/faces has no version');
    const schemas = (version.openapi_schema as { components: { schemas: Record<string, Schema> } }).components.schemas;
    expect(schemas.Input?.required).toEqual(['image']);
    expect(schemas.Input?.properties).toMatchObject({
      image: { type: 'string', format: 'uri' },
      min_confidence: { type: 'number', default: 0.5, minimum: 0, maximum: 1 },
      max_faces: { type: 'integer', minimum: 1 },
      annotate: { type: 'boolean', default: true },
    });
    expect(Object.keys(schemas.Output?.properties ?? {}).sort()).toEqual(['annotated_image', 'faces']);
  });

  // The first prediction waits for setup: npm ci of the example's dependencies, then the models.
  it.each(SAMPLES)(
    'finds the faces in %s (%i), each with a box inside the photo, age, gender, expression and landmarks',
    async (file, count) => {
      const bytes = readFileSync(sample(file));
      const photo = await measure(bytes);
      const started = Date.now();
      const { faces, annotated_image } = await run({ image: bytes });
      console.log(`${file}: ${faces.length} faces in ${((Date.now() - started) / 1000).toFixed(1)} s`);

      expect(faces.length).toBeGreaterThanOrEqual(count);
      const scores = faces.map((face) => face.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      for (const face of faces) {
        const { x, y, width, height } = face.box;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(width).toBeGreaterThan(0);
        expect(height).toBeGreaterThan(0);
        expect(x + width).toBeLessThanOrEqual((photo.width ?? 0) + 1e-6);
        expect(y + height).toBeLessThanOrEqual((photo.height ?? 0) + 1e-6);
        expect(face.score).toBeGreaterThanOrEqual(0.5);
        expect(face.score).toBeLessThanOrEqual(1);
        expect(face.age).toBeGreaterThanOrEqual(1);
        expect(face.age).toBeLessThanOrEqual(100);
        expect(['male', 'female']).toContain(face.gender);
        expect(face.gender_probability).toBeGreaterThanOrEqual(0.5);
        expect(face.gender_probability).toBeLessThanOrEqual(1);
        expect(EXPRESSIONS).toContain(face.expression);
        expect(Object.keys(face.expressions).sort()).toEqual([...EXPRESSIONS].sort());
        const total = Object.values(face.expressions).reduce((sum, p) => sum + p, 0);
        expect(total).toBeCloseTo(1, 2);
        expect(face.expressions[face.expression]).toBe(Math.max(...Object.values(face.expressions)));
        expect(face.landmarks).toHaveLength(68);
        for (const point of face.landmarks) {
          expect(point).toHaveLength(2);
          expect(point.every(Number.isFinite)).toBe(true);
        }
      }
      // The photo with the faces boxed: a JPEG (as the photo is) of the same size.
      if (!annotated_image) throw new Error('no annotated_image');
      const annotated = await measure(Buffer.from(await (await annotated_image.blob()).arrayBuffer()));
      expect(annotated).toEqual({ width: photo.width, height: photo.height, format: 'jpeg' });
    },
    300_000,
  );

  it('finds no face in a picture of one flat colour, and still draws it as a PNG of its size', async () => {
    const flat = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const { faces, annotated_image } = await run({ image: flat });
    expect(faces).toEqual([]);
    if (!annotated_image) throw new Error('no annotated_image');
    const annotated = await measure(Buffer.from(await (await annotated_image.blob()).arrayBuffer()));
    expect(annotated).toEqual({ width: 320, height: 240, format: 'png' });
  }, 60_000);

  it('max_faces keeps the highest scores, min_confidence drops the lower ones, annotate=false draws nothing', async () => {
    const image = readFileSync(sample('sample5.jpg'));
    const all = (await run({ image, annotate: false })).faces;
    expect(all.length).toBeGreaterThanOrEqual(5);

    const two = await run({ image, max_faces: 2, annotate: false });
    expect(two.faces.map((face) => face.score)).toEqual(all.slice(0, 2).map((face) => face.score));
    expect(two.annotated_image ?? null).toBeNull();

    const threshold = 0.95;
    const confident = await run({ image, min_confidence: threshold, annotate: false });
    expect(confident.faces.map((face) => face.score)).toEqual(all.filter((face) => face.score >= threshold).map((face) => face.score));
    expect(confident.faces.length).toBeLessThan(all.length);
  }, 60_000);

  it('refuses a min_confidence above 1 before running (422)', async () => {
    const error = await replicate.run('local/faces', { input: { image: readFileSync(sample('sample1.jpg')), min_confidence: 2 } }).then(
      () => undefined,
      (e: Error & { response?: Response }) => e,
    );
    expect(error?.response?.status).toBe(422);
  }, 60_000);
});
