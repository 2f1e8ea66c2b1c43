import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { definePredictor, Input, Output } from '@replicant/runtime';
import { tinyLlamaGguf } from './tiny-gguf.js';

/*
 * A Llama-style chat model on llama.cpp (through node-llama-cpp), with the inputs of Replicate's
 * Llama models. Without weights it runs a tiny model with random weights that it generates
 * itself, so its text is random words; give it a real GGUF (COG_WEIGHTS) for real answers.
 */

// node-llama-cpp is imported in setup through this name; see the end of the file.
const NODE_LLAMA_CPP: string = 'node-llama-cpp';

// One chat session at a time on one context sequence: keep cog.yaml's concurrency at 1.
let sequence: ChatSequence;
let chatWrapper: ChatWrapper;
let ChatSession: NodeLlamaCpp['LlamaChatSession'];

export const Predictor = definePredictor({
  inputs: {
    prompt: Input.string({ description: 'Prompt to send to the model.' }),
    system_prompt: Input.string({
      description: 'System prompt to send to the model. This is prepended to the prompt and helps guide system behavior.',
      default: 'You are a helpful assistant.',
    }),
    max_tokens: Input.integer({ description: 'Maximum number of tokens to generate.', default: 128, ge: 1 }),
    temperature: Input.number({
      description: 'Adjusts randomness of outputs: 0 always picks the most likely token, higher values are more random.',
      default: 0.7,
      ge: 0,
      le: 5,
    }),
    top_p: Input.number({
      description: 'When decoding text, samples from the top p percentage of most likely tokens; lower to ignore less likely tokens.',
      default: 0.95,
      ge: 0,
      le: 1,
    }),
    seed: Input.integer({ description: 'Random seed. Leave blank to randomize the seed.', optional: true }),
    stop_sequences: Input.string({
      description:
        "A comma-separated list of sequences to stop generation at. For example, '<end>,<stop>' stops at the first '<end>' or '<stop>'.",
      optional: true,
    }),
  },
  output: Output.iterator(Output.string(), { concatenate: true }),

  async setup(weights) {
    const started = performance.now();
    // Imported here rather than at the top so that the model's schema can be read (when it is
    // pushed or registered) before its dependencies are installed.
    const { getLlama, LlamaChatSession, resolveChatWrapper } = (await import(NODE_LLAMA_CPP)) as NodeLlamaCpp;
    ChatSession = LlamaChatSession;
    const modelPath = weights ? await localWeights(weights) : await writeTinyModel();
    // CPU only, with the prebuilt binary that came with the package: never download or compile.
    const llama = await getLlama({ gpu: false, build: 'never' });
    const model = await llama.loadModel({ modelPath });
    // llama.cpp's threads spin while they wait for each other at every step, so they must not
    // outnumber the free cores: the Node event loop (HTTP, streaming) needs one. On a 2-core
    // machine 2 threads took 150-230 ms per token against 0.4 ms with 1. Hence cores - 1,
    // capped at 4 (small models gain nothing from more), and 1 on a 2-core machine.
    const threads = Math.max(1, Math.min(4, availableParallelism() - 1));
    const context = await model.createContext({ contextSize: { max: 4096 }, threads });
    sequence = context.getSequence();
    // How prompts are laid out for this model, from the chat template in its GGUF. Found once
    // here: a session left to find it itself takes ~0.3 s per prediction.
    chatWrapper = resolveChatWrapper(model);
    console.log(
      `loaded ${modelPath} (${mib(model.size)} MiB, context ${context.contextSize} tokens, ${threads} thread${threads === 1 ? '' : 's'}, chat format ${chatWrapper.wrapperName}) in ${Math.round(performance.now() - started)} ms`,
    );
  },

  async *predict({ prompt, system_prompt, max_tokens, temperature, top_p, seed, stop_sequences }, { signal, recordMetric }) {
    const chosenSeed = seed ?? Math.floor(Math.random() * 2 ** 31);
    console.log(`Using seed: ${chosenSeed}`);
    // Each prediction starts from an empty context: same seed and input, same text.
    await sequence.clearHistory();
    const session = new ChatSession({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false, systemPrompt: system_prompt });
    if (!system_prompt) session.setChatHistory([]); // an empty system prompt: no system message at all

    // node-llama-cpp hands over text through a callback; this generator yields it as it comes.
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const stop = new AbortController(); // also stops generating when the caller stops reading
    const inputTokensBefore = sequence.tokenMeter.usedInputTokens;
    const started = performance.now();
    let firstTokenAt: number | undefined;
    let outputTokens = 0;
    const generation = session
      .prompt(prompt, {
        maxTokens: max_tokens,
        temperature,
        topP: top_p,
        seed: chosenSeed,
        customStopTriggers: stop_sequences?.split(',').filter((s) => s.length > 0) ?? [],
        signal: AbortSignal.any([signal, stop.signal]),
        stopOnAbortSignal: true, // a cancel ends the text where it is, rather than throwing
        onToken: (tokens) => {
          firstTokenAt ??= performance.now();
          outputTokens += tokens.length;
        },
        onTextChunk: (text) => {
          if (!text) return;
          pending.push(text);
          wake?.();
        },
      })
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    try {
      for (;;) {
        while (pending.length > 0) yield pending.shift() as string;
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure !== undefined && !signal.aborted) throw failure;
    } finally {
      stop.abort();
      await generation; // the sequence is free again before the next prediction starts
      session.dispose({ disposeSequence: false });
      const seconds = (performance.now() - started) / 1000;
      recordMetric('input_token_count', sequence.tokenMeter.usedInputTokens - inputTokensBefore);
      recordMetric('output_token_count', outputTokens);
      if (firstTokenAt !== undefined) recordMetric('time_to_first_token', (firstTokenAt - started) / 1000);
      if (seconds > 0) recordMetric('tokens_per_second', outputTokens / seconds);
    }
  },
});

/** Writes the tiny random-weights model (deterministic, ~0.7 MB, ~30 ms) and returns its path. */
async function writeTinyModel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replicant-llama-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tiny-random-llama.gguf');
  await writeFile(path, tinyLlamaGguf({ seed: 1 }));
  console.log('no weights given (COG_WEIGHTS): using a tiny llama with random weights, which babbles random words');
  return path;
}

/**
 * The local path of the GGUF that `weights` names: a path (a .gguf file, or a folder holding
 * one), a file: URL, or an http(s) URL, downloaded once into a cache folder.
 */
async function localWeights(weights: string): Promise<string> {
  let path: string;
  if (/^https?:\/\//i.test(weights)) path = await download(weights);
  else path = weights.startsWith('file:') ? fileURLToPath(weights) : weights;
  if ((await stat(path)).isDirectory()) {
    const gguf = (await readdir(path)).filter((f) => f.toLowerCase().endsWith('.gguf')).sort();
    if (gguf.length === 0) throw new Error(`COG_WEIGHTS: the folder ${path} holds no .gguf file`);
    if (gguf.length > 1) console.log(`COG_WEIGHTS: ${path} holds ${gguf.length} .gguf files; using ${gguf[0]}`);
    path = join(path, gguf[0] as string);
  }
  const file = await open(path);
  const magic = Buffer.alloc(4);
  await file.read(magic, 0, 4, 0);
  await file.close();
  if (magic.toString('latin1') !== 'GGUF') throw new Error(`COG_WEIGHTS: ${path} is not a GGUF file (llama.cpp's model format)`);
  return path;
}

async function download(url: string): Promise<string> {
  const dir = join(tmpdir(), 'replicant-llama-weights');
  const name = basename(new URL(url).pathname).replace(/[^\w.-]/g, '_') || 'model.gguf';
  const path = join(dir, `${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${name}`);
  if (existsSync(path)) {
    console.log(`using ${path}, downloaded before from ${url}`);
    return path;
  }
  await mkdir(dir, { recursive: true });
  console.log(`downloading ${url}`);
  const started = performance.now();
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`COG_WEIGHTS: downloading ${url} failed: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const partial = `${path}.${process.pid}.partial`;
  let received = 0;
  let nextReport = 2 ** 28;
  try {
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      async function* progress(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          received += chunk.length;
          if (received >= nextReport) {
            console.log(`downloaded ${mib(received)}${total ? ` of ${mib(total)}` : ''} MiB`);
            nextReport += 2 ** 28;
          }
          yield chunk;
        }
      },
      createWriteStream(partial),
    );
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  console.log(`downloaded ${mib(received)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(bytes < 2 ** 30 ? 1 : 0);
}

/*
 * The part of node-llama-cpp's API used here. The import in setup goes through a variable, so
 * TypeScript does not look for the package: this file type-checks (in this repository's CI)
 * even where the model's node_modules has not been installed.
 */
interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never' }): Promise<{ loadModel(options: { modelPath: string }): Promise<LlamaModel> }>;
  resolveChatWrapper(model: LlamaModel): ChatWrapper;
  LlamaChatSession: new (options: {
    contextSequence: ChatSequence;
    chatWrapper: ChatWrapper;
    autoDisposeSequence: boolean;
    systemPrompt: string;
  }) => {
    setChatHistory(history: []): void;
    prompt(
      text: string,
      options: {
        maxTokens: number;
        temperature: number;
        topP: number;
        seed: number;
        customStopTriggers: string[];
        signal: AbortSignal;
        stopOnAbortSignal: boolean;
        onToken: (tokens: number[]) => void;
        onTextChunk: (text: string) => void;
      },
    ): Promise<string>;
    dispose(options: { disposeSequence: boolean }): void;
  };
}

interface LlamaModel {
  readonly size: number;
  createContext(options: { contextSize: { max: number }; threads: number }): Promise<{ contextSize: number; getSequence(): ChatSequence }>;
}

interface ChatWrapper {
  readonly wrapperName: string;
}

interface ChatSequence {
  clearHistory(): Promise<void>;
  readonly tokenMeter: { readonly usedInputTokens: number };
}
