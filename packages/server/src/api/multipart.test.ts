import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartError, parseHeaderValue, parseMultipart } from './multipart.js';

const B = 'XyZ-boundary-123';

/** The body as chunks of the given sizes (the last chunk takes the rest). */
function* chunked(body: Buffer, sizes: number[]): Generator<Buffer> {
  let at = 0;
  for (const size of sizes) {
    if (at >= body.length) return;
    yield body.subarray(at, at + size);
    at += size;
  }
  if (at < body.length) yield body.subarray(at);
}

async function* from(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

interface Parsed {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  text: string;
}

async function parse(body: string | Buffer, sizes: number[] = [], boundary = B): Promise<Parsed[]> {
  const parts: Parsed[] = [];
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  for await (const part of parseMultipart(from(chunked(bytes, sizes)), boundary)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) chunks.push(chunk);
    parts.push({ name: part.name, filename: part.filename, contentType: part.contentType, text: Buffer.concat(chunks).toString('utf8') });
  }
  return parts;
}

async function failure(body: string, sizes: number[] = []): Promise<Error> {
  try {
    await parse(body, sizes);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the parse to fail');
}

const form = [
  'preamble to ignore',
  `--${B}`,
  'Content-Disposition: form-data; name="content"; filename="hello.txt"',
  'Content-Type: text/plain',
  '',
  'hello\r\nworld\r\n--not-the-boundary',
  `--${B}`,
  'Content-Disposition: form-data; name="metadata"; filename="blob"',
  'Content-Type: application/json',
  '',
  '{"a":1}',
  `--${B}`,
  'Content-Disposition: form-data; name=type',
  '',
  'text/markdown',
  `--${B}--`,
  'epilogue to ignore',
].join('\r\n');

const expected: Parsed[] = [
  { name: 'content', filename: 'hello.txt', contentType: 'text/plain', text: 'hello\r\nworld\r\n--not-the-boundary' },
  { name: 'metadata', filename: 'blob', contentType: 'application/json', text: '{"a":1}' },
  { name: 'type', filename: undefined, contentType: undefined, text: 'text/markdown' },
];

describe('parseMultipart', () => {
  it('reads parts with their names, file names, types and bytes', async () => {
    expect(await parse(form)).toEqual(expected);
  });

  it('gives the same parts however the body is split into chunks, boundaries included', async () => {
    for (const size of [1, 2, 3, 5, 7, 16, 23]) {
      expect(await parse(form, Array(form.length).fill(size))).toEqual(expected);
    }
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }), async (sizes) => {
        expect(await parse(form, sizes)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps binary bytes exactly, CR and LF included', async () => {
    const data = Buffer.from([0, 13, 10, 13, 10, 45, 45, 255, 13, 13, 10, 10]);
    const body = Buffer.concat([
      Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="content"; filename="x.bin"\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${B}--\r\n`),
    ]);
    for (const size of [1, 4, 1000]) {
      const parts = [];
      for await (const part of parseMultipart(from(chunked(body, Array(body.length).fill(size))), B)) {
        const chunks: Buffer[] = [];
        for await (const chunk of part.body) chunks.push(chunk);
        parts.push(Buffer.concat(chunks));
      }
      expect(parts).toEqual([data]);
    }
  });

  it('reads an empty part and a part with no headers but the disposition', async () => {
    const body = `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n--${B}\r\ncontent-disposition: form-data; name="b"\r\n\r\nb\r\n--${B}--`;
    expect(await parse(body)).toEqual([
      { name: 'a', filename: undefined, contentType: undefined, text: '' },
      { name: 'b', filename: undefined, contentType: undefined, text: 'b' },
    ]);
  });

  it('accepts padding after a boundary, and a body without preamble or final CRLF', async () => {
    const body = `--${B}  \t\r\nContent-Disposition: form-data; name="a"\r\n\r\nA\r\n--${B}--`;
    expect(await parse(body)).toEqual([{ name: 'a', filename: undefined, contentType: undefined, text: 'A' }]);
  });

  it('skips what a reader leaves unread', async () => {
    const names: string[] = [];
    for await (const part of parseMultipart(from(chunked(Buffer.from(form), [3, 3, 3])), B)) names.push(part.name);
    expect(names).toEqual(['content', 'metadata', 'type']);
  });

  it('prefers filename* (RFC 5987) to filename', async () => {
    const body = `--${B}\r\nContent-Disposition: form-data; name="content"; filename="naive.txt"; filename*=UTF-8''na%C3%AFve%20f.txt\r\n\r\nx\r\n--${B}--`;
    expect((await parse(body))[0]?.filename).toBe('naïve f.txt');
    const latin = `--${B}\r\nContent-Disposition: form-data; name="content"; filename*=iso-8859-1'en'caf%E9.txt\r\n\r\nx\r\n--${B}--`;
    expect((await parse(latin))[0]?.filename).toBe('café.txt');
    const bad = `--${B}\r\nContent-Disposition: form-data; name="content"; filename*=nonsense; filename="plain.txt"\r\n\r\nx\r\n--${B}--`;
    expect((await parse(bad))[0]?.filename).toBe('plain.txt');
  });

  it('reads raw UTF-8 file names, as FormData sends them', async () => {
    const body = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="content"; filename="日本語.txt"\r\n\r\nx\r\n--${B}--`);
    expect((await parse(body))[0]?.filename).toBe('日本語.txt');
  });

  it('fails when the closing boundary is missing', async () => {
    const error = await failure(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end`);
    expect(error).toBeInstanceOf(MultipartError);
    expect(error.message).toMatch(/closing boundary/);
    expect(await failure(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nA\r\n--${B}`)).toBeInstanceOf(MultipartError);
    expect(await failure(`--${B}\r\nContent-Disposition: form-data; name="a"`)).toBeInstanceOf(MultipartError);
  });

  it('fails on bodies that are not multipart', async () => {
    expect(await failure('{"just": "json"}')).toBeInstanceOf(MultipartError);
    expect(await failure('')).toBeInstanceOf(MultipartError);
    expect(await failure(`--${B}\r\nNo-Colon-Here\r\n\r\nx\r\n--${B}--`)).toBeInstanceOf(MultipartError);
    expect(await failure(`--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`)).toBeInstanceOf(MultipartError);
    expect(await failure(`--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--${B}--`)).toBeInstanceOf(MultipartError);
    expect(await failure(`--${B}garbage\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}--`)).toBeInstanceOf(MultipartError);
  });

  it('limits the number of parts and the size of part headers', async () => {
    const many = `${Array.from({ length: 5 }, (_, i) => `--${B}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${B}--`;
    const error = await (async () => {
      try {
        for await (const _ of parseMultipart(from([Buffer.from(many)]), B, { maxParts: 3 }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MultipartError);
    const long = `--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Long: ${'y'.repeat(20_000)}\r\n\r\nx\r\n--${B}--`;
    expect(await failure(long)).toBeInstanceOf(MultipartError);
  });
});

describe('header values', () => {
  it('reads quoted and unquoted parameters', () => {
    expect(parseHeaderValue('form-data; name="a;b"; filename=c.txt; x = "q\\"uote"')).toEqual({
      value: 'form-data',
      params: new Map([
        ['name', 'a;b'],
        ['filename', 'c.txt'],
        ['x', 'q"uote'],
      ]),
    });
    expect(parseHeaderValue('form-data; filename="C:\\dir\\f.txt"').params.get('filename')).toBe('C:\\dir\\f.txt');
    expect(parseHeaderValue('form-data; NAME=a; name=b').params.get('name')).toBe('a');
  });

  it('finds the boundary of multipart/form-data content types only', () => {
    expect(boundaryOf('multipart/form-data; boundary=----abc')).toBe('----abc');
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
    expect(boundaryOf('application/json')).toBeUndefined();
    expect(boundaryOf(undefined)).toBeUndefined();
  });
});
