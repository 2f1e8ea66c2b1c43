import type { FileOutput } from './file-output.js';
import type { Http } from './http.js';
import { throwIfAborted } from './util.js';

/** One event of an event stream, as parsed (before the client gives it meaning). */
export interface SseMessage {
  /** The `event:` field; `message` when the event had none (as `EventSource` does). */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream so far, if any. */
  id: string | undefined;
  /** A `retry:` field of this event, in ms. */
  retry: number | undefined;
}

/**
 * An event of a prediction's stream: `output` (a text chunk, or a file URL), `logs`, `error`,
 * or `done` (`{}`, `{"reason":"canceled"}`, `{"reason":"error"}`). `toString()` is the output
 * text for `output` events and empty for the others, so `${event}` concatenates a text stream.
 */
export class ServerSentEvent {
  /** The event name. */
  readonly event: string;
  /** The event's data: `data:` lines joined with `\n`. */
  readonly data: string;
  /** The event's id. */
  readonly id: string | undefined;
  /** The reconnection delay the server asked for, in ms. */
  readonly retry: number | undefined;
  /**
   * For `output` events of a file stream (a stream URL under `/v1/files/`): the file, whose URL
   * is `data`. Absent when the client was made with `useFileOutput: false`.
   */
  readonly file: FileOutput | undefined;

  constructor(event: string, data: string, id?: string, retry?: number, file?: FileOutput) {
    this.event = event;
    this.data = data;
    this.id = id;
    this.retry = retry;
    this.file = file;
  }

  /** The data of an `output` event; empty for other events. */
  toString(): string {
    return this.event === 'output' ? this.data : '';
  }
}

/**
 * An incremental parser for `text/event-stream` (the WHATWG HTML "event stream interpretation"):
 * feed it decoded text in chunks split anywhere; lines end with LF, CRLF or CR (a CRLF split
 * across chunks counts once); `:` lines are comments; `data:` lines accumulate; a blank line
 * dispatches the event (only when it had data). Text after the last blank line is never an event.
 */
export class SseParser {
  #partial = '';
  #skipLineFeed = false;
  #event = '';
  #data: string[] = [];
  #hasData = false;
  #retry: number | undefined;
  #lastId: string | undefined;

  /** Parses `chunk` and answers the events it completed. */
  feed(chunk: string): SseMessage[] {
    const events: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (this.#skipLineFeed) {
        this.#skipLineFeed = false;
        if (code === 10) {
          start = i + 1;
          continue;
        }
      }
      if (code !== 10 && code !== 13) continue;
      const line = this.#partial + chunk.slice(start, i);
      this.#partial = '';
      this.#line(line, events);
      this.#skipLineFeed = code === 13;
      start = i + 1;
    }
    this.#partial += chunk.slice(start);
    return events;
  }

  #line(line: string, events: SseMessage[]): void {
    if (line === '') {
      if (this.#hasData)
        events.push({ event: this.#event || 'message', data: this.#data.join('\n'), id: this.#lastId, retry: this.#retry });
      this.#event = '';
      this.#data = [];
      this.#hasData = false;
      this.#retry = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        this.#hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
      default:
      // unknown fields are ignored
    }
  }
}

/** True when a stream URL serves files (its path starts with `/v1/files/`), as the official client decides. */
export function isFileStreamUrl(url: string): boolean {
  try {
    return new URL(url).pathname.startsWith('/v1/files/');
  } catch {
    return false;
  }
}

/**
 * GETs an event stream (`Accept: text/event-stream`, with the client's retries) and yields its
 * events until the body ends. Breaking out of the loop closes the connection; aborting `signal`
 * rejects with its reason. A body that ends without a `done` event is an error: the connection
 * was lost, not the stream finished.
 */
export async function* readEventStream(http: Http, url: string, userAgent: string, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  const response = await http.send(
    'GET',
    new URL(url),
    { headers: { Accept: 'text/event-stream', 'Cache-Control': 'no-store', 'User-Agent': userAgent } },
    signal,
  );
  const type = response.headers.get('content-type') ?? '';
  if (!/^text\/event-stream\s*(;|$)/i.test(type)) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`Expected an event stream from ${url}, got ${type || 'no content type'}`);
  }
  if (!response.body) throw new Error(`The event stream at ${url} has no body`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let sawDone = false;
  let finished = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throwIfAborted(signal);
        throw error;
      }
      const events = chunk.done ? parser.feed(`${decoder.decode()}`) : parser.feed(decoder.decode(chunk.value, { stream: true }));
      for (const event of events) {
        if (event.event === 'done') sawDone = true;
        yield event;
      }
      if (chunk.done) {
        finished = true;
        if (!sawDone) throw new Error(`The event stream at ${url} ended before its done event`);
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
