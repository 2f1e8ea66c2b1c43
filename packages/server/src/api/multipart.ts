/**
 * A small streaming `multipart/form-data` parser (RFC 7578 / RFC 2046): parts come one at a
 * time with their headers, and each part's bytes come as a stream, so a large file goes
 * through without ever being held whole.
 */

/** The body is not well-formed multipart (the API answers 400). */
export class MultipartError extends Error {}

/** One part of a form. */
export interface MultipartPart {
  /** The `name` of its `Content-Disposition: form-data`. */
  name: string;
  /** `filename*` (RFC 5987) or `filename`, as sent (no path handling); undefined for a plain field. */
  filename: string | undefined;
  /** The part's `Content-Type`, if it has one. */
  contentType: string | undefined;
  /** All its headers, names lowercased. */
  headers: ReadonlyMap<string, string>;
  /**
   * The part's bytes. Read them (or not) before asking for the next part: what is left unread
   * is skipped then.
   */
  body: AsyncIterable<Buffer>;
}

export interface MultipartLimits {
  /** Most parts in one body. */
  maxParts?: number;
  /** Largest header block of one part. */
  maxHeaderBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type; undefined if it is not one or has none. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const { value, params } = parseHeaderValue(contentType);
  if (value.toLowerCase() !== 'multipart/form-data') return undefined;
  const boundary = params.get('boundary');
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

/**
 * Parses a multipart body from `source`, yielding its parts in order. Throws
 * {@link MultipartError} on a malformed body, including one that ends before the closing
 * boundary. The epilogue after the closing boundary is read and dropped.
 */
export async function* parseMultipart(
  source: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits = {},
): AsyncGenerator<MultipartPart> {
  const maxParts = limits.maxParts ?? 100;
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  // Every delimiter is CRLF "--" boundary; starting the buffer with a CRLF lets the first one,
  // which may open the body, match the same way.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const reader = new Reader(source[Symbol.asyncIterator](), CRLF);

  // The preamble: everything before the first delimiter.
  for (;;) {
    const at = reader.buffer.indexOf(delimiter);
    if (at >= 0) {
      reader.take(at + delimiter.length);
      break;
    }
    reader.take(Math.max(0, reader.buffer.length - (delimiter.length - 1)));
    if (!(await reader.fill())) throw new MultipartError('The body has no multipart boundary.');
  }

  /** The next bytes of the current part; undefined once its closing delimiter is consumed. */
  const readPart = async (): Promise<Buffer | undefined> => {
    for (;;) {
      const at = reader.buffer.indexOf(delimiter);
      if (at > 0) return reader.take(at);
      if (at === 0) {
        reader.take(delimiter.length);
        return undefined;
      }
      // The last delimiter.length - 1 bytes may be the start of a delimiter: keep them.
      const safe = reader.buffer.length - (delimiter.length - 1);
      if (safe > 0) return reader.take(safe);
      if (!(await reader.fill())) throw new MultipartError('The body ended inside a part, before the closing boundary.');
    }
  };

  let parts = 0;
  for (;;) {
    // After a delimiter: "--" closes the body; otherwise optional padding, then CRLF.
    if (!(await reader.ensure(2))) throw new MultipartError('The body ended right after a boundary.');
    if (reader.buffer[0] === DASH && reader.buffer[1] === DASH) {
      await reader.drain();
      return;
    }
    let pad = 0;
    for (;;) {
      if (!(await reader.ensure(pad + 2))) throw new MultipartError('The body ended right after a boundary.');
      const byte = reader.buffer[pad];
      if ((byte === SPACE || byte === TAB) && pad < 256) pad++;
      else break;
    }
    if (reader.buffer[pad] !== CR || reader.buffer[pad + 1] !== LF) throw new MultipartError('A boundary is followed by something else.');
    reader.take(pad + 2);

    if (++parts > maxParts) throw new MultipartError(`The body has more than ${maxParts} parts.`);
    let headerText = '';
    if (!(await reader.ensure(2))) throw new MultipartError('The body ended inside the headers of a part.');
    if (reader.buffer[0] === CR && reader.buffer[1] === LF) {
      reader.take(2);
    } else {
      for (;;) {
        const end = reader.buffer.indexOf(HEADERS_END);
        if (end >= 0 && end <= maxHeaderBytes) {
          headerText = reader.take(end).toString('utf8');
          reader.take(HEADERS_END.length);
          break;
        }
        if (end > maxHeaderBytes || reader.buffer.length > maxHeaderBytes + HEADERS_END.length) {
          throw new MultipartError(`The headers of a part are longer than ${maxHeaderBytes} bytes.`);
        }
        if (!(await reader.fill())) throw new MultipartError('The body ended inside the headers of a part.');
      }
    }
    const headers = parseHeaders(headerText);
    const disposition = headers.get('content-disposition');
    if (!disposition) throw new MultipartError('A part has no Content-Disposition header.');
    const { value, params } = parseHeaderValue(disposition);
    const name = params.get('name');
    if (value.toLowerCase() !== 'form-data' || name === undefined) {
      throw new MultipartError('Every part needs "Content-Disposition: form-data" with a name.');
    }
    const extended = params.get('filename*');
    const filename = (extended !== undefined ? decodeExtendedValue(extended) : undefined) ?? params.get('filename');

    const state = { open: true };
    async function* body(): AsyncGenerator<Buffer> {
      while (state.open) {
        const chunk = await readPart();
        if (chunk === undefined) {
          state.open = false;
          return;
        }
        yield chunk;
      }
    }
    yield { name, filename, contentType: headers.get('content-type'), headers, body: { [Symbol.asyncIterator]: body } };
    while (state.open) if ((await readPart()) === undefined) state.open = false;
  }
}

/** Pulls chunks from the source into one buffer of unread bytes. */
class Reader {
  #eof = false;

  constructor(
    readonly source: AsyncIterator<Uint8Array>,
    public buffer: Buffer,
  ) {}

  /** Reads one more chunk; false at the end of the source. */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    const next = await this.source.next();
    if (next.done) {
      this.#eof = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  /** Reads until `n` bytes are buffered; false if the source ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.buffer.length < n) if (!(await this.fill())) return false;
    return true;
  }

  take(n: number): Buffer {
    const taken = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return taken;
  }

  /** Reads and drops the rest of the source. */
  async drain(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    while (!this.#eof) {
      const next = await this.source.next();
      if (next.done) this.#eof = true;
    }
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (text === '') return headers;
  let last: string | undefined;
  for (const line of text.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('A part has a malformed header line.');
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Splits a header value with parameters (`form-data; name="a"; filename=b.txt`) into its value
 * and its parameters (names lowercased, first one wins). Quoted values may hold `;` and escape
 * `"` and `\` with a backslash; any other backslash is kept, as browsers send Windows paths
 * unescaped.
 */
export function parseHeaderValue(header: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  let i = header.indexOf(';');
  const value = (i < 0 ? header : header.slice(0, i)).trim();
  if (i < 0) return { value, params };
  while (i < header.length) {
    while (i < header.length && (header[i] === ';' || header[i] === ' ' || header[i] === '\t')) i++;
    let end = i;
    while (end < header.length && header[end] !== '=' && header[end] !== ';') end++;
    const key = header.slice(i, end).trim().toLowerCase();
    i = end;
    if (header[i] !== '=') continue;
    i++;
    while (header[i] === ' ' || header[i] === '\t') i++;
    let paramValue = '';
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        const next = header[i + 1];
        if (header[i] === '\\' && (next === '"' || next === '\\')) {
          paramValue += next;
          i += 2;
        } else {
          paramValue += header[i];
          i++;
        }
      }
      i++;
    } else {
      end = i;
      while (end < header.length && header[end] !== ';') end++;
      paramValue = header.slice(i, end).trim();
      i = end;
    }
    if (key !== '' && !params.has(key)) params.set(key, paramValue);
  }
  return { value, params };
}

/** Decodes an RFC 5987 value (`UTF-8''na%C3%AFve.txt`); undefined if it is not one. */
function decodeExtendedValue(text: string): string | undefined {
  const match = /^([\w!#$%&+^`{}~-]+)'[^']*'(.*)$/.exec(text);
  if (!match) return undefined;
  const charset = (match[1] as string).toLowerCase();
  const encoded = match[2] as string;
  try {
    if (charset === 'utf-8') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1')
      return encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  } catch {
    return undefined;
  }
  return undefined;
}
