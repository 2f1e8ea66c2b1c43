/**
 * Speech to text with Debian's PocketSphinx: `pocketsphinx_continuous -infile audio.wav`, run
 * without a shell, on a 16 kHz mono 16-bit WAV. sox (when installed) converts any input to that;
 * without sox the input must already be such a WAV.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';

/** Where Debian's pocketsphinx-en-us puts the US English model (pocketsphinx_continuous's defaults). */
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const MODEL = {
  hmm: join(MODEL_DIR, 'en-us'),
  lm: join(MODEL_DIR, 'en-us.lm.bin'),
  dict: join(MODEL_DIR, 'cmudict-en-us.dict'),
};
/** What PocketSphinx decodes: 16 kHz, mono, 16-bit signed PCM. */
const RATE = 16_000;
const WANTED = '16 kHz, mono, 16-bit PCM';

/** The programs setup found, by absolute path; `sox` is empty when it is not installed. */
const programs = { pocketsphinx: '', sox: '' };

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
function run(file: string, args: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { signal, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if (signal.aborted) return reject(signal.reason);
      reject(new Error(stderr.trim() || error.message));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
}

/** The format fields of a WAV file, and where its samples are. */
export interface WavInfo {
  /** 1 is integer PCM (WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format). */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** The sample bytes (the `data` chunk). */
  data: Buffer;
}

/** Reads a WAV file's header chunks; undefined when `bytes` is not a RIFF/WAVE file with `fmt ` and `data` chunks. */
export function parseWav(bytes: Buffer): WavInfo | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let fmt: Omit<WavInfo, 'data'> | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= bytes.length) {
      let format = bytes.readUInt16LE(body);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (format === 0xfffe && size >= 40 && body + 26 <= bytes.length) format = bytes.readUInt16LE(body + 24);
      fmt = {
        format,
        channels: bytes.readUInt16LE(body + 2),
        sampleRate: bytes.readUInt32LE(body + 4),
        bitsPerSample: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      // A streamed WAV may say 0 or 0xFFFFFFFF here: the samples then run to the end of the file.
      const end = size === 0 || size === 0xffffffff ? bytes.length : Math.min(bytes.length, body + size);
      return fmt && { ...fmt, data: bytes.subarray(body, end) };
    }
    at = body + size + (size % 2);
  }
  return undefined;
}

/** A WAV file of 16 kHz mono 16-bit PCM samples with the plain 44-byte header PocketSphinx reads. */
function canonicalWav(samples: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(samples.length, 40);
  return Buffer.concat([header, samples]);
}

function describe(info: WavInfo): string {
  const format = info.format === 1 ? 'PCM' : info.format === 3 ? 'float' : `format ${info.format}`;
  return `${info.sampleRate / 1000} kHz, ${info.channels === 1 ? 'mono' : `${info.channels} channels`}, ${info.bitsPerSample}-bit ${format}`;
}

/** Without sox: copies a WAV that already is 16 kHz mono 16-bit PCM into `out`, or says what is wrong with it. */
async function acceptWav(audio: string, out: string): Promise<number> {
  const info = parseWav(await readFile(audio));
  const hint = `sox is not installed here to convert other audio (apt-get install sox)`;
  if (!info) throw new Error(`audio is not a WAV file: this model needs a ${WANTED} WAV file, and ${hint}`);
  if (info.format !== 1 || info.channels !== 1 || info.sampleRate !== RATE || info.bitsPerSample !== 16) {
    throw new Error(`audio is a WAV file of ${describe(info)}, but this model needs ${WANTED}, and ${hint}`);
  }
  await writeFile(out, canonicalWav(info.data));
  return info.data.length / (RATE * 2);
}

/** With sox: converts whatever sox reads into a 16 kHz mono 16-bit WAV in `out`. */
async function convert(audio: string, out: string, signal: AbortSignal): Promise<number> {
  try {
    await run(programs.sox, ['-V1', audio, '-t', 'wav', '-r', String(RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', out], signal);
  } catch (error) {
    if (signal.aborted) throw error;
    // sox names the file by its temporary path: keep only its name.
    const said = (error as Error).message.replaceAll(`${dirname(audio)}/`, '').replace(/^\S*sox FAIL \S+: /gm, '');
    throw new Error(`audio could not be read as sound: sox says: ${said}`);
  }
  const info = parseWav(await readFile(out));
  return info ? info.data.length / (RATE * 2) : 0;
}

export const Predictor = definePredictor({
  inputs: {
    audio: Input.path({
      description:
        'Speech in English. A 16 kHz mono 16-bit WAV file; any format sox reads (WAV, FLAC, Ogg Vorbis, AIFF…) when sox is installed',
    }),
  },
  output: Output.string(),

  async setup() {
    const pocketsphinx = await which('pocketsphinx_continuous');
    const missing: string[] = [];
    if (!pocketsphinx) missing.push('pocketsphinx');
    const lacking: string[] = [];
    for (const path of [join(MODEL.hmm, 'mdef'), MODEL.lm, MODEL.dict]) if (!(await exists(path))) lacking.push(path);
    if (lacking.length > 0) missing.push('pocketsphinx-en-us');
    if (missing.length > 0) {
      const what = [
        ...(pocketsphinx ? [] : ['the pocketsphinx_continuous program is not on PATH']),
        ...(lacking.length > 0 ? [`the US English model is missing (${lacking.join(', ')})`] : []),
      ];
      throw new Error(`PocketSphinx is not installed: ${what.join('; ')}. Install Debian's packages: apt-get install ${missing.join(' ')}`);
    }
    programs.pocketsphinx = pocketsphinx as string;
    programs.sox = (await which('sox')) ?? '';
    console.log(`using ${programs.pocketsphinx} with the model in ${MODEL_DIR}`);
    console.log(
      programs.sox
        ? `using ${programs.sox} to convert audio to ${WANTED} WAV`
        : `sox is not installed (apt-get install sox): audio must be ${WANTED} WAV already`,
    );
  },

  async predict({ audio }, { signal }) {
    const work = await mkdtemp(join(tmpdir(), 'replicant-stt-'));
    try {
      const wav = join(work, 'audio.wav');
      const seconds = programs.sox ? await convert(audio, wav, signal) : await acceptWav(audio, wav);
      const started = performance.now();
      const log = join(work, 'pocketsphinx.log');
      const args = ['-infile', wav, '-hmm', MODEL.hmm, '-lm', MODEL.lm, '-dict', MODEL.dict, '-logfn', log];
      let stdout: string;
      try {
        stdout = await run(programs.pocketsphinx, args, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        const said = (await readFile(log, 'utf8').catch(() => ''))
          .split('\n')
          .filter((line) => /^(ERROR|FATAL)/.test(line))
          .join('\n');
        throw new Error(`pocketsphinx_continuous failed: ${said || (error as Error).message}`);
      }
      // One line per utterance it heard.
      const transcript = stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .join(' ');
      console.log(`recognised ${seconds.toFixed(1)} s of audio in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return transcript;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
});
