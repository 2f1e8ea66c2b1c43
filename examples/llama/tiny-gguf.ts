/**
 * Writes a tiny llama-architecture model with random weights as a GGUF file (format v3, F32
 * tensors), with no dependencies: something for llama.cpp to load and run when no real weights
 * are given. Its text is random words, but everything around it is real: GGUF loading, the
 * SentencePiece-style tokenizer, the chat template, sampling, streaming and cancellation.
 *
 * The same options give the same bytes (the weights come from a seeded generator).
 */

export interface TinyLlamaOptions {
  /** Seeds the random weights. */
  seed?: number;
  /** Embedding width (llama.embedding_length). */
  embedding?: number;
  /** Attention heads (also the key/value heads). */
  heads?: number;
  /** Transformer blocks. */
  layers?: number;
  /** Width of the feed-forward layer. */
  feedForward?: number;
  /** The context length the model says it was trained with. */
  contextLength?: number;
}

/**
 * The words the model can say. The vocabulary holds every prefix of each (`▁t`, `▁th`, `▁the`):
 * SentencePiece builds a token by merging neighbours whose join is in the vocabulary, so without
 * the intermediate pieces text would fall apart into single bytes.
 */
const WORDS = `the of and to in is it you that he was for on are as with his they at be this have from or one had by word
but not what all were we when your can said there use an each which she do how their if will up other about out many then
them these so some her would make like him into time has look two more write go see number no way could people my than first
water been call who oil its now find long down day did get come made may part over new sound take only little work know place
year live me back give most very after thing our just name good sentence man think say great where help through much before
line right too mean old any same tell boy follow came want show also around form three small set put end does another well
large must big even such because turn here why ask went men read need land different home us move try kind hand picture again
change off play spell air away animal house point page letter mother answer found study still learn should world model llama`
  .split(/\s+/)
  .filter(Boolean);

const SPACE = '\u2581'; // SentencePiece's "▁": a space, as tokens spell it
const SPECIALS = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// GGUF metadata value types and token types (llama.cpp's gguf.h and llama_token_type).
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;
const ALIGNMENT = 32;

type Value =
  | { type: typeof T_UINT32 | typeof T_INT32 | typeof T_FLOAT32; value: number }
  | { type: typeof T_BOOL; value: boolean }
  | { type: typeof T_STRING; value: string }
  | { type: typeof T_ARRAY; of: typeof T_INT32 | typeof T_FLOAT32 | typeof T_STRING; values: (number | string)[] };

const u32 = (value: number): Value => ({ type: T_UINT32, value });
const f32 = (value: number): Value => ({ type: T_FLOAT32, value });
const str = (value: string): Value => ({ type: T_STRING, value });

/** The GGUF file's bytes. */
export function tinyLlamaGguf(options: TinyLlamaOptions = {}): Buffer {
  const { seed = 1, embedding = 64, heads = 4, layers = 2, feedForward = 128, contextLength = 4096 } = options;
  const random = gaussian(seed);

  // Vocabulary: specials, the 256 byte tokens (any text still tokenizes), then the word pieces.
  const tokens = [...SPECIALS];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
  }
  const pieces = new Set<string>([SPACE]);
  for (const word of WORDS) for (let i = 1; i <= word.length; i++) pieces.add(SPACE + word.slice(0, i));
  const words = new Set(WORDS.map((w) => SPACE + w));
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(TOKEN_NORMAL);
  }
  // Longer pieces score higher, so merges prefer them.
  const scores = tokens.map((t, i) => (types[i] === TOKEN_NORMAL ? t.length : 0));
  const vocab = tokens.length;

  const metadata: [string, Value][] = [
    ['general.architecture', str('llama')],
    ['general.name', str(`tiny-random-llama-seed${seed}`)],
    ['general.file_type', u32(0)], // all F32
    ['general.alignment', u32(ALIGNMENT)],
    ['llama.context_length', u32(contextLength)],
    ['llama.embedding_length', u32(embedding)],
    ['llama.block_count', u32(layers)],
    ['llama.feed_forward_length', u32(feedForward)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(heads)],
    ['llama.rope.dimension_count', u32(embedding / heads)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.vocab_size', u32(vocab)],
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.tokens', { type: T_ARRAY, of: T_STRING, values: tokens }],
    ['tokenizer.ggml.scores', { type: T_ARRAY, of: T_FLOAT32, values: scores }],
    ['tokenizer.ggml.token_type', { type: T_ARRAY, of: T_INT32, values: types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: T_BOOL, value: true }],
    ['tokenizer.ggml.add_eos_token', { type: T_BOOL, value: false }],
    ['tokenizer.chat_template', str(CHATML)],
  ];

  // Weights. Dimension 0 of the residual stream is a constant: every token embeds it as 8 and no
  // layer writes to it. Output rows of tokens that are not whole words weigh it at -5, so their
  // logits are always far below the words': the model says words, never stray bytes, and
  // seldom ends on its own (real models are the ones that know when to stop). The words' rows
  // are small enough that sampling still has several likely words to choose from.
  const n = embedding;
  const normal = (count: number, std: number) => Float32Array.from({ length: count }, () => random() * std);
  const ones = (count: number) => new Float32Array(count).fill(1);
  const tensors: [name: string, dims: number[], data: Float32Array][] = [];

  const embed = normal(n * vocab, 1);
  for (let t = 0; t < vocab; t++) embed[t * n] = 8;
  tensors.push(['token_embd.weight', [n, vocab], embed]);

  for (let l = 0; l < layers; l++) {
    const linear = (inputs: number, outputs: number, keepDim0 = false) => {
      const w = normal(inputs * outputs, 1 / Math.sqrt(inputs));
      if (keepDim0) w.fill(0, 0, inputs); // output row 0: leave the constant dimension alone
      return w;
    };
    tensors.push(
      [`blk.${l}.attn_norm.weight`, [n], ones(n)],
      [`blk.${l}.attn_q.weight`, [n, n], linear(n, n)],
      [`blk.${l}.attn_k.weight`, [n, n], linear(n, n)],
      [`blk.${l}.attn_v.weight`, [n, n], linear(n, n)],
      [`blk.${l}.attn_output.weight`, [n, n], linear(n, n, true)],
      [`blk.${l}.ffn_norm.weight`, [n], ones(n)],
      [`blk.${l}.ffn_gate.weight`, [n, feedForward], linear(n, feedForward)],
      [`blk.${l}.ffn_up.weight`, [n, feedForward], linear(n, feedForward)],
      [`blk.${l}.ffn_down.weight`, [feedForward, n], linear(feedForward, n, true)],
    );
  }
  tensors.push(['output_norm.weight', [n], ones(n)]);
  const output = new Float32Array(n * vocab);
  for (let t = 0; t < vocab; t++) {
    if (words.has(tokens[t] as string)) for (let i = 1; i < n; i++) output[t * n + i] = random() * 0.35;
    else output[t * n] = -5;
  }
  tensors.push(['output.weight', [n, vocab], output]);

  return writeGguf(metadata, tensors);
}

function writeGguf(metadata: [string, Value][], tensors: [string, number[], Float32Array][]): Buffer {
  const parts: Buffer[] = [];
  const scalar = (size: number, write: (b: Buffer) => void) => {
    const b = Buffer.alloc(size);
    write(b);
    parts.push(b);
  };
  const u32 = (v: number) => scalar(4, (b) => b.writeUInt32LE(v));
  const u64 = (v: number) => scalar(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  const string = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    u64(bytes.length);
    parts.push(bytes);
  };
  const item = (type: number, v: number | string | boolean) => {
    if (type === T_STRING) string(v as string);
    else if (type === T_UINT32) u32(v as number);
    else if (type === T_INT32) scalar(4, (b) => b.writeInt32LE(v as number));
    else if (type === T_FLOAT32) scalar(4, (b) => b.writeFloatLE(v as number));
    else if (type === T_BOOL) scalar(1, (b) => b.writeUInt8(v ? 1 : 0));
  };

  parts.push(Buffer.from('GGUF', 'ascii'));
  u32(3); // version
  u64(tensors.length);
  u64(metadata.length);
  for (const [key, value] of metadata) {
    string(key);
    u32(value.type);
    if (value.type === T_ARRAY) {
      u32(value.of);
      u64(value.values.length);
      for (const v of value.values) item(value.of, v);
    } else item(value.type, value.value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const [name, dims, data] of tensors) {
    string(name);
    u32(dims.length);
    for (const d of dims) u64(d);
    u32(0); // GGML_TYPE_F32
    u64(offset);
    offsets.push(offset);
    offset = align(offset + data.byteLength);
  }
  const header = Buffer.concat(parts);
  const dataStart = align(header.length);
  const file = Buffer.alloc(dataStart + offset);
  header.copy(file);
  tensors.forEach(([, , data], i) => {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(file, dataStart + (offsets[i] as number));
  });
  return file;
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

/** Standard normal numbers from a seeded generator (mulberry32 + Box-Muller). */
function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = 1 - uniform(); // (0, 1]: log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}
