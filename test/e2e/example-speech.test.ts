/**
 * examples/tts (flite) and examples/stt (PocketSphinx) on a real `replicant serve`, driven by
 * the official `replicate` npm client. They run Debian's programs, which must be installed
 * (.ci/run installs them): apt-get install flite pocketsphinx pocketsphinx-en-us sox.
 *
 * A second platform runs them with a PATH that holds only pocketsphinx_continuous: there the
 * TTS setup fails for want of flite, and the STT model, without sox, takes 16 kHz WAV only.
 */
import { accessSync, constants, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import Replicate, { type FileOutput, type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';
import { bytesOf } from './helpers/wait.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];
/** Sentences flite says and PocketSphinx gets right, each with a voice that says it well. */
const SENTENCES: [text: string, voice: string][] = [
  ['this is a test of speech recognition', 'slt'],
  ['please turn on the lights in the kitchen', 'rms'],
  ['i would like a cup of coffee please', 'awb'],
];

/** The absolute path of `name` on this process's PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** With sox the STT model converts any audio; without it, the second platform's tests cover what it takes. */
const HAS_SOX = which('sox') !== undefined;

interface Wav {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Length of the samples, in seconds. */
  seconds: number;
}

/** Reads the header of a WAV file (fails the test if it is not one). */
function readWav(bytes: Buffer): Wav {
  expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
  expect(bytes.toString('latin1', 8, 12)).toBe('WAVE');
  let fmt: Omit<Wav, 'seconds'> | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      fmt = {
        format: bytes.readUInt16LE(at + 8),
        channels: bytes.readUInt16LE(at + 10),
        sampleRate: bytes.readUInt32LE(at + 12),
        bitsPerSample: bytes.readUInt16LE(at + 22),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data before its fmt chunk');
      const length = Math.min(size, bytes.length - at - 8);
      return { ...fmt, seconds: length / (fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8)) };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in the WAV file');
}

/** A WAV file of 16-bit samples (interleaved when `channels` > 1). */
function writeWav(samples: Int16Array, sampleRate: number, channels: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFFxxxxWAVEfmt ', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A 16 kHz mono 16-bit WAV resampled (linearly) to 44.1 kHz stereo: what a recorder would give. */
function toCdStereo(wav: Buffer): Buffer {
  const input = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length - ((wav.length - 44) % 2)));
  const rate = 44_100;
  const frames = Math.floor((input.length * rate) / 16_000);
  const output = new Int16Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const position = (i * 16_000) / rate;
    const j = Math.floor(position);
    const a = input[j] ?? 0;
    const b = input[j + 1] ?? a;
    const value = Math.round(a + (b - a) * (position - j));
    output[2 * i] = value;
    output[2 * i + 1] = value;
  }
  return writeWav(output, rate, 2);
}

/** Words, lowercased, without punctuation. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Word error rate: the word-level edit distance from `reference` to `hypothesis`, over the reference's length. */
function wordErrorRate(reference: string, hypothesis: string): number {
  const ref = words(reference);
  const hyp = words(hypothesis);
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const substitution = (previous[j - 1] as number) + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return (previous[hyp.length] as number) / Math.max(1, ref.length);
}

/** Creates a prediction and waits for its end (or gives up after `timeoutMs`). */
async function predict(replicate: Replicate, model: string, input: Record<string, unknown>, timeoutMs = 25_000): Promise<Prediction> {
  const created = await replicate.predictions.create({ model, input, wait: true });
  const deadline = Date.now() + timeoutMs;
  let prediction = created;
  while (!TERMINAL.includes(prediction.status)) {
    if (Date.now() > deadline) throw new Error(`prediction ${created.id} did not end; last seen: ${JSON.stringify(prediction)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    prediction = await replicate.predictions.get(created.id);
  }
  return prediction;
}

describe('with flite, pocketsphinx and the en-us model installed', () => {
  let platform: Platform;
  let replicate: Replicate;
  /** The models folder: copies of examples/tts and examples/stt (`local/tts`, `local/stt`). */
  let models = '';
  /** flite's WAV for each sentence, made through local/tts. */
  const spoken = new Map<string, Buffer>();

  async function say(text: string, voice = 'slt'): Promise<Buffer> {
    return bytesOf((await replicate.run('local/tts', { input: { text, voice } })) as FileOutput);
  }

  beforeAll(async () => {
    const missing: string[] = [];
    if (!which('flite')) missing.push('flite');
    if (!which('pocketsphinx_continuous')) missing.push('pocketsphinx');
    if (!existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin')) missing.push('pocketsphinx-en-us');
    if (missing.length > 0) throw new Error(`these tests need Debian's ${missing.join(', ')}: apt-get install ${missing.join(' ')}`);
    models = exampleModels('tts', 'stt');
    platform = await Platform.start({ models: [models], env: { REPLICANT_GRACE_MS: '3000' } });
    replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    if (models) rmSync(models, { recursive: true, force: true });
  }, 30_000);

  it('tts says a text as a 16 kHz mono 16-bit WAV whose length follows the text', async () => {
    const sentence = 'this is a test of speech recognition';
    const one = readWav(await say(sentence));
    expect(one).toMatchObject({ format: 1, channels: 1, sampleRate: 16_000, bitsPerSample: 16 });
    // About 0.07 s a character for flite's voices.
    expect(one.seconds / sentence.length).toBeGreaterThan(0.03);
    expect(one.seconds / sentence.length).toBeLessThan(0.2);
    const four = readWav(await say(Array(4).fill(`${sentence}.`).join(' ')));
    expect(four.seconds / one.seconds).toBeGreaterThan(2.5);
    expect(four.seconds / one.seconds).toBeLessThan(6);
  });

  it("tts speaks with each of flite's voices (kal at 8 kHz) and refuses others", async () => {
    for (const voice of ['kal', 'kal16', 'awb', 'rms', 'slt']) {
      const wav = readWav(await say('hello there', voice));
      expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: voice === 'kal' ? 8000 : 16_000 });
      expect(wav.seconds).toBeGreaterThan(0.3);
    }
    const badVoice = await replicate.predictions.create({ model: 'local/tts', input: { text: 'hi', voice: 'bob' } }).catch((e: Error) => e);
    expect(String(badVoice)).toMatch(/422/);
    const tooLong = await replicate.predictions.create({ model: 'local/tts', input: { text: 'a'.repeat(2001) } }).catch((e: Error) => e);
    expect(String(tooLong)).toMatch(/422/);
  });

  it.each(SENTENCES)('stt transcribes flite saying "%s" (%s) with a word error rate ≤ 0.25', async (text, voice) => {
    const wav = await say(text, voice);
    spoken.set(text, wav);
    const transcript: unknown = await replicate.run('local/stt', { input: { audio: new Blob([wav], { type: 'audio/wav' }) } });
    expect(typeof transcript).toBe('string');
    expect(wordErrorRate(text, String(transcript)), `heard "${transcript}"`).toBeLessThanOrEqual(0.25);
  });

  it.runIf(HAS_SOX)('stt converts other audio with sox (44.1 kHz stereo) and fails on a file that is not sound', async () => {
    const [text, voice] = SENTENCES[0] as [string, string];
    const stereo = toCdStereo(spoken.get(text) ?? (await say(text, voice)));
    const transcript: unknown = await replicate.run('local/stt', {
      input: { audio: `data:audio/wav;base64,${stereo.toString('base64')}` },
    });
    expect(typeof transcript).toBe('string');
    expect(wordErrorRate(text, String(transcript)), `heard "${transcript}"`).toBeLessThanOrEqual(0.25);

    const garbage = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251));
    const failed = await predict(replicate, 'local/stt', { audio: `data:audio/wav;base64,${garbage.toString('base64')}` });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/audio could not be read as sound: sox says: .*file\.wav/);
  });

  it('a canceled transcription stops at once (the recogniser is killed)', async () => {
    // About two minutes of speech: PocketSphinx takes several seconds on it.
    const text = Array(50).fill('the quick brown fox jumps over the lazy dog.').join(' ').slice(0, 2000);
    const wav = await say(text);
    expect(readWav(wav).seconds).toBeGreaterThan(60);
    const created = await replicate.predictions.create({ model: 'local/stt', input: { audio: new Blob([wav], { type: 'audio/wav' }) } });
    let prediction = created;
    while (prediction.status === 'starting') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      prediction = await replicate.predictions.get(created.id);
    }
    expect(prediction.status).toBe('processing');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const canceledAt = Date.now();
    await replicate.predictions.cancel(created.id);
    while (!TERMINAL.includes(prediction.status)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      prediction = await replicate.predictions.get(created.id);
    }
    expect(prediction.status).toBe('canceled');
    expect(Date.now() - canceledAt).toBeLessThan(10_000);
  }, 60_000);
});

describe('with a PATH holding only pocketsphinx_continuous', () => {
  let platform: Platform;
  let replicate: Replicate;
  /** The models folder (as above) and the folder that is the platform's PATH. */
  let models = '';
  let bin = '';

  beforeAll(async () => {
    const pocketsphinx = which('pocketsphinx_continuous');
    if (!pocketsphinx) throw new Error("these tests need Debian's pocketsphinx: apt-get install pocketsphinx pocketsphinx-en-us");
    bin = mkdtempSync(join(tmpdir(), 'replicant-speech-bin-'));
    symlinkSync(pocketsphinx, join(bin, 'pocketsphinx_continuous'));
    models = exampleModels('tts', 'stt');
    // Instances inherit the platform's PATH (node itself is started by its absolute path).
    platform = await Platform.start({ models: [models], env: { PATH: bin, REPLICANT_GRACE_MS: '3000' } });
    replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
    for (const dir of [models, bin]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('tts fails its setup, naming the Debian package to install', async () => {
    const prediction = await predict(replicate, 'local/tts', { text: 'hello' });
    expect(prediction.status).toBe('failed');
    expect(prediction.error).toMatch(/^Model setup failed: flite is not installed: .*apt-get install flite$/);
    expect(prediction.logs).toMatch(/apt-get install flite/);
  });

  it('stt, without sox, takes a 16 kHz mono 16-bit WAV and refuses other audio with a message on the format', async () => {
    // A tone is no speech: only that the WAV is accepted matters here.
    const samples = Int16Array.from({ length: 16_000 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)));
    const accepted = await predict(replicate, 'local/stt', {
      audio: `data:audio/wav;base64,${writeWav(samples, 16_000, 1).toString('base64')}`,
    });
    expect(accepted.status, accepted.error as string).toBe('succeeded');
    expect(typeof accepted.output).toBe('string');

    const cd = await predict(replicate, 'local/stt', {
      audio: `data:audio/wav;base64,${toCdStereo(writeWav(samples, 16_000, 1)).toString('base64')}`,
    });
    expect(cd.status).toBe('failed');
    expect(cd.error).toBe(
      'audio is a WAV file of 44.1 kHz, 2 channels, 16-bit PCM, but this model needs 16 kHz, mono, 16-bit PCM, and sox is not installed here to convert other audio (apt-get install sox)',
    );

    const text = await predict(replicate, 'local/stt', { audio: `data:text/plain;base64,${Buffer.from('not audio').toString('base64')}` });
    expect(text.status).toBe('failed');
    expect(text.error).toMatch(/^audio is not a WAV file: this model needs a 16 kHz, mono, 16-bit PCM WAV file.*apt-get install sox/);
  });
});
