import { base64ToBytes, mapLeavesSync } from './util.js';

/** Fetches a file output's URL (with the client's retries; the token only on the API's origin). */
export type Download = (url: string, signal?: AbortSignal) => Promise<Response>;

/**
 * A file a model returned: a `ReadableStream` of its bytes that downloads nothing until it is
 * read, with `blob()`, `url()` and `toString()` as the official client's `FileOutput` has them.
 * Works for `https:` and `http:` URLs (Replicant answers `http:` ones when it is served over
 * plain HTTP) and for `data:` URIs (what `Prefer: wait` answers carry), which are decoded
 * locally.
 *
 * @example
 * const image = (await replicate.run('acme/draw', { input })) as FileOutput;
 * console.log(image.url().href);
 * await writeFile('out.png', new Uint8Array(await (await image.blob()).arrayBuffer()));
 */
export class FileOutput extends ReadableStream<Uint8Array> {
  readonly #url: string;
  readonly #download: Download;
  #blob: Promise<Blob> | undefined;

  /** Usually made by `run()` and `stream()`; `download` fetches http(s) URLs. */
  constructor(url: string, download: Download) {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let open: () => Promise<ReadableStreamDefaultReader<Uint8Array>> = () => Promise.reject(new Error('not ready'));
    super(
      {
        async pull(controller) {
          reader ??= await open();
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel(reason) {
          await reader?.cancel(reason);
        },
      },
      // Nothing is fetched before the first read.
      { highWaterMark: 0 },
    );
    this.#url = url;
    this.#download = download;
    open = async () => {
      const response = await this.#open();
      if (!response.body) return new Response(new Uint8Array()).body!.getReader();
      return response.body.getReader();
    };
  }

  /** The file's URL (a `data:` URI when the answer inlined it). */
  url(): URL {
    return new URL(this.#url);
  }

  /** The whole file, typed by the response's `Content-Type` (or the data URI's media type). Fetched once, independently of the stream. */
  blob(): Promise<Blob> {
    this.#blob ??= this.#open().then(
      (response) => response.blob(),
      (error: unknown) => {
        this.#blob = undefined;
        throw error;
      },
    );
    return this.#blob;
  }

  /** The whole file as bytes. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.blob()).arrayBuffer();
  }

  /** The whole file as UTF-8 text. */
  async text(): Promise<string> {
    return (await this.blob()).text();
  }

  /** The URL, so template strings and `String(output)` give it. */
  override toString(): string {
    return this.#url;
  }

  /** The URL, so `JSON.stringify` of an output gives the URLs back. */
  toJSON(): string {
    return this.#url;
  }

  async #open(): Promise<Response> {
    if (this.#url.startsWith('data:')) {
      const { type, bytes } = parseDataUri(this.#url);
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': type } });
    }
    return this.#download(this.#url);
  }
}

// `for await` over a FileOutput where the platform's ReadableStream is not async-iterable (Safari).
if (!(Symbol.asyncIterator in ReadableStream.prototype)) {
  Object.defineProperty(FileOutput.prototype, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: async function* (this: FileOutput): AsyncGenerator<Uint8Array, undefined, unknown> {
      const reader = this.getReader();
      let finished = false;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            finished = true;
            return undefined;
          }
          yield value;
        }
      } finally {
        if (!finished) await reader.cancel().catch(() => undefined);
        reader.releaseLock();
      }
    },
  });
}

/** True for output strings that are files: http(s) URLs and data URIs. */
export function isFileUrl(value: unknown): value is string {
  return typeof value === 'string' && /^(https?:\/\/|data:)/i.test(value);
}

/** `output` with every file URL in it (at any depth) made a {@link FileOutput}. */
export function wrapFileOutputs(output: unknown, download: Download): unknown {
  return mapLeavesSync(output, (leaf) => (isFileUrl(leaf) ? new FileOutput(leaf, download) : leaf));
}

/** The media type and bytes of a `data:` URI (RFC 2397); base64 or percent-encoded. */
export function parseDataUri(uri: string): { type: string; bytes: Uint8Array } {
  const match = /^data:([^,]*),(.*)$/is.exec(uri);
  if (!match) throw new TypeError('Invalid data URI');
  let meta = match[1] as string;
  const payload = match[2] as string;
  const base64 = /;base64$/i.test(meta);
  if (base64) meta = meta.slice(0, -';base64'.length);
  const type = meta.trim() === '' ? 'text/plain;charset=US-ASCII' : meta.startsWith(';') ? `text/plain${meta}` : meta;
  const bytes = base64 ? base64ToBytes(percentDecode(payload, true) as string) : (percentDecode(payload, false) as Uint8Array);
  return { type, bytes };
}

/** Percent-decodes to bytes (or, for base64 payloads, to text with whitespace dropped). */
function percentDecode(text: string, asText: boolean): string | Uint8Array {
  if (asText) return (text.includes('%') ? decodeURIComponent(text) : text).replace(/\s+/g, '');
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; ) {
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const codePoint = text.codePointAt(i) as number;
      const char = String.fromCodePoint(codePoint);
      out.push(...encoder.encode(char));
      i += char.length;
    }
  }
  return new Uint8Array(out);
}
