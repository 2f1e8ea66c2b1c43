import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenApiDocument, SchemaObject } from '@replicant/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { CliError } from './errors.js';
import { presentOutput } from './outputs.js';

function schemaWith(output: SchemaObject): OpenApiDocument {
  return {
    openapi: '3.0.2',
    info: { title: 'Cog', version: '0.1.0' },
    paths: {},
    components: { schemas: { Input: { title: 'Input', type: 'object', properties: {} }, Output: { title: 'Output', ...output } } },
  };
}

const FILE: SchemaObject = { type: 'string', format: 'uri' };
const dataUri = (type: string, text: string) => `data:${type};base64,${Buffer.from(text).toString('base64')}`;

let originalCwd: string;
let dir: string;
let stdout: string[];
let stderr: string[];
let stdoutSpy: MockInstance;
let stderrSpy: MockInstance;

beforeEach(async () => {
  originalCwd = process.cwd();
  dir = await mkdtemp(join(tmpdir(), 'replicant-outputs-'));
  process.chdir(dir);
  stdout = [];
  stderr = [];
  stdoutSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  stderrSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  stdoutSpy.mockRestore();
  stderrSpy.mockRestore();
  process.chdir(originalCwd);
  await rm(dir, { recursive: true, force: true });
});

describe('object outputs with files', () => {
  it('writes each file field, named after it, and shows the object with the file names', async () => {
    const schema = schemaWith({
      type: 'object',
      properties: { label: { type: 'string' }, image: FILE, frames: { type: 'array', items: FILE }, none: FILE },
    });
    const output = {
      label: 'cat',
      image: dataUri('image/png', 'PNG'),
      frames: [dataUri('text/plain', 'a'), dataUri('text/plain', 'b')],
      none: null,
    };
    const written = await presentOutput(schema, output, undefined);
    expect(written).toEqual(['image.png', 'frames.0.txt', 'frames.1.txt']);
    expect(JSON.parse(stdout.join(''))).toEqual({ label: 'cat', image: 'image.png', frames: ['frames.0.txt', 'frames.1.txt'], none: null });
    expect(await readFile(join(dir, 'frames.1.txt'), 'utf8')).toBe('b');
  });

  it('names them after the -o path when there is one', async () => {
    const schema = schemaWith({ type: 'object', properties: { image: FILE } });
    expect(await presentOutput(schema, { image: dataUri('image/png', 'PNG') }, 'result.json')).toEqual(['result.image.png']);
  });
});

describe('file outputs', () => {
  it('writes a data URI to the -o path', async () => {
    const written = await presentOutput(schemaWith(FILE), dataUri('text/plain', 'hello file'), 'result.txt');
    expect(written).toEqual(['result.txt']);
    expect(await readFile(join(dir, 'result.txt'), 'utf8')).toBe('hello file');
    expect(stderr.join('')).toBe('Written output to result.txt\n');
    expect(stdout.join('')).toBe('');
  });

  it('keeps the -o path as given, whatever the MIME type', async () => {
    expect(await presentOutput(schemaWith(FILE), dataUri('image/png', 'PNG'), 'picture.bin')).toEqual(['picture.bin']);
    expect(await readFile(join(dir, 'picture.bin'), 'utf8')).toBe('PNG');
  });

  it('writes to output.<ext> by the MIME type without -o', async () => {
    expect(await presentOutput(schemaWith(FILE), dataUri('image/png', 'PNG'), undefined)).toEqual(['output.png']);
    expect(await readFile(join(dir, 'output.png'), 'utf8')).toBe('PNG');
    expect(await presentOutput(schemaWith(FILE), dataUri('audio/mpeg', 'MP3'), undefined)).toEqual(['output.mp3']);
    expect(await presentOutput(schemaWith(FILE), dataUri('text/plain', 'T'), undefined)).toEqual(['output.txt']);
  });

  it('ignores MIME parameters and writes "output" for an unknown type', async () => {
    expect(await presentOutput(schemaWith(FILE), dataUri('text/plain;charset=utf-8', 'T'), undefined)).toEqual(['output.txt']);
    expect(await presentOutput(schemaWith(FILE), dataUri('application/x-unheard-of', 'U'), undefined)).toEqual(['output']);
    expect(await readFile(join(dir, 'output'), 'utf8')).toBe('U');
  });

  it('decodes binary and percent-encoded data URIs exactly', async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await presentOutput(schemaWith(FILE), `data:application/octet-stream;base64,${bytes.toString('base64')}`, 'raw.bin');
    expect(await readFile(join(dir, 'raw.bin'))).toEqual(bytes);
    await presentOutput(schemaWith(FILE), 'data:text/plain,hello%20there%21', 'plain.txt');
    expect(await readFile(join(dir, 'plain.txt'), 'utf8')).toBe('hello there!');
  });

  it('numbers the files of a list output', async () => {
    const schema = schemaWith({ type: 'array', items: FILE });
    const written = await presentOutput(schema, [dataUri('text/plain', 'zero'), dataUri('text/plain', 'one')], undefined);
    expect(written).toEqual(['output.0.txt', 'output.1.txt']);
    expect(await readFile(join(dir, 'output.0.txt'), 'utf8')).toBe('zero');
    expect(await readFile(join(dir, 'output.1.txt'), 'utf8')).toBe('one');
    expect(stderr.join('')).toBe('Written output to output.0.txt\nWritten output to output.1.txt\n');
  });

  it('numbers list files after the -o path, before its extension', async () => {
    const schema = schemaWith({ type: 'array', items: FILE });
    expect(await presentOutput(schema, [dataUri('image/png', 'a'), dataUri('image/png', 'b')], 'frame.png')).toEqual([
      'frame.0.png',
      'frame.1.png',
    ]);
    expect(await presentOutput(schema, [dataUri('image/png', 'c')], 'shot')).toEqual(['shot.0.png']);
    expect(await readFile(join(dir, 'shot.0.png'), 'utf8')).toBe('c');
  });

  it('numbers the files of an iterator of files too', async () => {
    const schema = schemaWith({ type: 'array', items: FILE, 'x-cog-array-type': 'iterator' });
    expect(await presentOutput(schema, [dataUri('text/plain', 'x')], undefined)).toEqual(['output.0.txt']);
  });

  it('writes nothing for an empty list', async () => {
    expect(await presentOutput(schemaWith({ type: 'array', items: FILE }), [], undefined)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  describe('from URLs', () => {
    let server: Server;
    let base: string;

    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === '/files/image.png') {
          response.setHeader('content-type', 'image/png');
          response.end('downloaded');
        } else {
          response.statusCode = 404;
          response.end('not found');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('downloads a URL output, naming it by the URL path extension', async () => {
      expect(await presentOutput(schemaWith(FILE), `${base}/files/image.png`, undefined)).toEqual(['output.png']);
      expect(await readFile(join(dir, 'output.png'), 'utf8')).toBe('downloaded');
    });

    it('reports a failed download as a CliError', async () => {
      const error = await presentOutput(schemaWith(FILE), `${base}/missing.png`, undefined).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).message).toBe(`could not download the output ${base}/missing.png: HTTP 404`);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});

describe('other outputs', () => {
  it('prints a string raw, with a newline', async () => {
    expect(await presentOutput(schemaWith({ type: 'string' }), 'hello "world"\nsecond line', undefined)).toEqual([]);
    expect(stdout.join('')).toBe('hello "world"\nsecond line\n');
    expect(stderr.join('')).toBe('');
  });

  it('prints a string that looks like a data URI raw when the output is not a file', async () => {
    await presentOutput(schemaWith({ type: 'string' }), 'data:text/plain,hi', 'ignored.txt');
    expect(stdout.join('')).toBe('data:text/plain,hi\n');
    expect(await readdir(dir)).toEqual([]);
  });

  it('joins a concatenate iterator', async () => {
    const schema = schemaWith({
      type: 'array',
      items: { type: 'string' },
      'x-cog-array-type': 'iterator',
      'x-cog-array-display': 'concatenate',
    });
    await presentOutput(schema, ['Hel', 'lo', ', ', 'world'], undefined);
    expect(stdout.join('')).toBe('Hello, world\n');
  });

  it('prints a plain iterator or list of strings as JSON', async () => {
    const schema = schemaWith({ type: 'array', items: { type: 'string' }, 'x-cog-array-type': 'iterator' });
    await presentOutput(schema, ['a', 'b'], undefined);
    expect(stdout.join('')).toBe(`${JSON.stringify(['a', 'b'], null, 2)}\n`);
  });

  it('prints objects as indented JSON', async () => {
    const output = { text: 'hi', score: 0.5, tags: ['x'], nested: { ok: true } };
    await presentOutput(schemaWith({ type: 'object' }), output, undefined);
    expect(stdout.join('')).toBe(`${JSON.stringify(output, null, 2)}\n`);
    expect(JSON.parse(stdout.join(''))).toEqual(output);
  });

  it('prints numbers and booleans as JSON', async () => {
    await presentOutput(schemaWith({ type: 'integer' }), 42, undefined);
    await presentOutput(schemaWith({ type: 'number' }), 0.25, undefined);
    await presentOutput(schemaWith({ type: 'boolean' }), false, undefined);
    expect(stdout.join('')).toBe('42\n0.25\nfalse\n');
  });

  it('says "No output generated" on stderr for null', async () => {
    expect(await presentOutput(schemaWith({ type: 'string', nullable: true }), null, undefined)).toEqual([]);
    expect(stdout.join('')).toBe('');
    expect(stderr.join('')).toBe('No output generated\n');
  });

  it('prints JSON when the schema has no Output', async () => {
    const schema = schemaWith({});
    delete schema.components.schemas.Output;
    await presentOutput(schema, [1, 2], undefined);
    expect(stdout.join('')).toBe(`${JSON.stringify([1, 2], null, 2)}\n`);
  });
});
