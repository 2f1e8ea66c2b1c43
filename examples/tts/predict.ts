/**
 * Text to speech with Debian's `flite` program: `flite -voice slt -t TEXT -o speech.wav`, run
 * without a shell, so the text goes to flite as one argument whatever it contains.
 */
import { execFile } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { access, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';

/** flite's built-in voices (Debian's flite 2.2). kal is 8 kHz; the others are 16 kHz. */
const VOICES = ['kal', 'kal16', 'awb', 'rms', 'slt'] as const;

/** The flite program setup found, by absolute path. */
let flite = '';
/** Where the WAV files go: a folder per prediction, removed once it is old or the model stops. */
let workDir = '';

/** The absolute path of the executable `name` on `PATH`, or undefined. */
async function which(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a program (no shell) and resolves with its stdout; the child is killed when `signal` aborts. */
function run(file: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { signal, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if (signal?.aborted) return reject(signal.reason);
      const detail = stderr.trim() || error.message;
      reject(new Error(`${file} failed: ${detail}`));
    });
  });
}

/** Removes the folders of predictions older than `ageMs` (their files have been handed out long ago). */
async function pruneOutputs(ageMs: number): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(workDir).catch(() => [])) {
    const path = join(workDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > ageMs) await rm(path, { recursive: true, force: true });
  }
}

export const Predictor = definePredictor({
  inputs: {
    text: Input.string({ description: 'The text to say (English)', minLength: 1, maxLength: 2000 }),
    voice: Input.string({
      description:
        "One of flite's built-in voices: slt (female, US), rms (male, US), awb (male, Scottish), kal16 (male, US), kal (male, US, 8 kHz)",
      choices: VOICES,
      default: 'slt',
    }),
  },
  output: Output.path(),

  async setup() {
    const found = await which('flite');
    if (!found) {
      throw new Error(
        "flite is not installed: this model runs the flite program, which is not on PATH. Install Debian's flite package: apt-get install flite",
      );
    }
    flite = found;
    const listing = await run(flite, ['-lv']);
    const missing = VOICES.filter((voice) => !listing.split(/\s+/).includes(voice));
    if (missing.length > 0)
      throw new Error(`${flite} lacks the voice(s) ${missing.join(', ')} (it lists: ${listing.trim()}); install Debian's flite 2.2`);
    workDir = await mkdtemp(join(tmpdir(), 'replicant-tts-'));
    process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
    console.log(`using ${flite}; voices: ${VOICES.join(', ')}`);
  },

  async predict({ text, voice }, { signal }) {
    if (text.trim() === '') throw new Error('text has nothing to say: give it some words');
    await pruneOutputs(10 * 60_000);
    const out = join(await mkdtemp(join(workDir, 'speech-')), 'speech.wav');
    const started = performance.now();
    await run(flite, ['-voice', voice, '-t', text, '-o', out], signal);
    const size = (await stat(out).catch(() => undefined))?.size ?? 0;
    if (size <= 44) throw new Error('flite wrote no audio for this text');
    console.log(`flite (${voice}) said ${text.length} characters in ${Math.round(performance.now() - started)} ms: ${size} bytes of WAV`);
    return out;
  },
});
