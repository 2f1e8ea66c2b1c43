import { describe, expect, it } from 'vitest';
import { ServerSentEvent } from '../src/index.js';
import { Http } from '../src/lib/http.js';
import { readEventStream, type SseMessage, SseParser } from '../src/lib/stream.js';

/** Feeds `chunks` to a new parser and collects every event. */
function parse(...chunks: string[]): SseMessage[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

const ev = (event: string, data: string, id?: string, retry?: number): SseMessage => ({ event, data, id, retry });

/** A stream in the shape Replicate and Replicant send, with every feature the parser must handle. */
const SAMPLE = [
  ': hi',
  '',
  'event: output',
  'id: 1690212292:0',
  'data: Once upon',
  '',
  'event: output',
  'id: 1690212292:1',
  'data: a time,',
  'data: there was',
  'data:',
  'data:  two spaces',
  '',
  ': keep-alive',
  'event: logs',
  'id: 2',
  'data: ☃ snow ✓ 𝄞',
  '',
  ':408: 408 Request Timeout',
  'event: done',
  'id: 3',
  'data: {}',
  '',
  '',
].join('\n');

const SAMPLE_EVENTS = [
  ev('output', 'Once upon', '1690212292:0'),
  ev('output', 'a time,\nthere was\n\n two spaces', '1690212292:1'),
  ev('logs', '☃ snow ✓ 𝄞', '2'),
  ev('done', '{}', '3'),
];

describe('SseParser', () => {
  it('parses events with names, ids, multi-line data, and skips comments', () => {
    expect(parse(SAMPLE)).toEqual(SAMPLE_EVENTS);
  });

  it('gives the same events however the text is split into chunks', () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(parse(SAMPLE.slice(0, i), SAMPLE.slice(i)), `split at ${i}`).toEqual(SAMPLE_EVENTS);
    }
    for (let i = 0; i < SAMPLE.length; i += 7) {
      for (let j = i; j <= SAMPLE.length; j += 11) {
        expect(parse(SAMPLE.slice(0, i), SAMPLE.slice(i, j), SAMPLE.slice(j)), `split at ${i} and ${j}`).toEqual(SAMPLE_EVENTS);
      }
    }
    expect(parse(...SAMPLE)).toEqual(SAMPLE_EVENTS);
  });

  it('takes CRLF and lone CR as line ends, a CRLF split across chunks counting once', () => {
    const crlf = SAMPLE.replace(/\n/g, '\r\n');
    const cr = SAMPLE.replace(/\n/g, '\r');
    expect(parse(crlf)).toEqual(SAMPLE_EVENTS);
    expect(parse(cr)).toEqual(SAMPLE_EVENTS);
    for (let i = 0; i <= crlf.length; i++) expect(parse(crlf.slice(0, i), crlf.slice(i)), `CRLF split at ${i}`).toEqual(SAMPLE_EVENTS);
    expect(parse(...crlf)).toEqual(SAMPLE_EVENTS);
    // "data: a\r" then "\ndata: b": one line end, not a blank line that would dispatch early.
    expect(parse('data: a\r', '\ndata: b\r\n\r\n')).toEqual([ev('message', 'a\nb')]);
    // Mixed endings in one stream.
    expect(parse('event: x\r\ndata: 1\rdata: 2\n\r\n')).toEqual([ev('x', '1\n2')]);
  });

  it('follows the EventSource rules for fields', () => {
    // No event: field → "message"; a field with no colon has an empty value; only one leading space is stripped.
    expect(parse('data\n\n')).toEqual([ev('message', '')]);
    expect(parse('data:no space\n\n')).toEqual([ev('message', 'no space')]);
    expect(parse('data:   three\n\n')).toEqual([ev('message', '  three')]);
    // A block with no data dispatches nothing, and its event name does not leak into the next one.
    expect(parse('event: ping\n\ndata: x\n\n')).toEqual([ev('message', 'x')]);
    // The last id carries over to later events; an id with NUL is ignored; retry takes digits only.
    expect(parse('id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n')).toEqual([
      ev('message', 'a', '7'),
      ev('message', 'b', '7'),
      ev('message', 'c', '7'),
    ]);
    expect(parse('retry: 1500\ndata: a\n\nretry: soon\ndata: b\n\n')).toEqual([ev('message', 'a', undefined, 1500), ev('message', 'b')]);
    // Unknown fields are ignored; colons after the first belong to the value.
    expect(parse('foo: bar\ndata: {"a":1}\n\n')).toEqual([ev('message', '{"a":1}')]);
    // An event with no blank line after it never dispatches.
    expect(parse('data: complete\n\ndata: cut off')).toEqual([ev('message', 'complete')]);
  });
});

/** An Http whose fetch answers `body` (bytes in the given chunks) with `type`. */
function httpAnswering(chunks: Uint8Array[], type = 'text/event-stream'): Http {
  return new Http({
    auth: undefined,
    baseUrl: 'http://api.test',
    userAgent: 'test',
    retry: false,
    fetch: async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        }),
        { headers: { 'content-type': type } },
      ),
  });
}

async function collect(http: Http): Promise<SseMessage[]> {
  const events: SseMessage[] = [];
  for await (const event of readEventStream(http, 'http://api.test/v1/streams/p/k', 'test')) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('decodes UTF-8 split inside multi-byte characters, and a leading BOM', async () => {
    const bytes = new TextEncoder().encode(`\uFEFF${SAMPLE}`);
    for (const size of [1, 2, 3, 5, 64]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
      expect(await collect(httpAnswering(chunks)), `chunks of ${size} bytes`).toEqual(SAMPLE_EVENTS);
    }
  });

  it('rejects a body that ends before the done event (a lost connection, not a finished stream)', async () => {
    const bytes = new TextEncoder().encode('event: output\ndata: partial\n\n');
    await expect(collect(httpAnswering([bytes]))).rejects.toThrow(/ended before its done event/);
  });

  it('rejects an answer that is not an event stream', async () => {
    await expect(collect(httpAnswering([new TextEncoder().encode('{}')], 'application/json'))).rejects.toThrow(/Expected an event stream/);
  });
});

describe('ServerSentEvent', () => {
  it('stringifies to the data of output events only', () => {
    expect(`${new ServerSentEvent('output', 'tok')}`).toBe('tok');
    expect(`${new ServerSentEvent('logs', 'a log')}`).toBe('');
    expect(`${new ServerSentEvent('done', '{}')}`).toBe('');
  });
});
