import type { ServerResponse } from 'node:http';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import type { EventBus, PredictionEvent } from '../services/events.js';
import { safeEqual } from '../services/files.js';
import type { PredictionService } from '../services/predictions.js';
import type { PredictionRecord } from '../store/predictions.js';
import type { Handler, Router } from './http.js';

/**
 * Server-sent events at `urls.stream`, as Replicate sends them: `output`, `logs`, `error` and
 * `done` only, each with `event:` and `id:`; keep-alive comments; `error` then `done` on
 * failure. A reader that comes late first gets what the store holds, then live events, with no
 * gap and no duplicate. The URL is the credential: no token needed.
 */
export function streamRoutes(router: Router, deps: { config: ServerConfig; bus: EventBus; predictions: PredictionService }): void {
  const handler: Handler = async (request) => {
    const id = request.params.id as string;
    const record = await deps.predictions.find(id);
    if (!record || !safeEqual(record.streamKey, request.params.key as string)) throw new ApiError('NOT_FOUND', 'Not found.');
    const response = request.response;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.flushHeaders();
    const stream = new EventStream(response);
    // Listen first, then read the state: events that arrive in between are replayed, and
    // positions (output index, log offset) drop what the state already held.
    const early: PredictionEvent[] = [];
    let apply: ((event: PredictionEvent) => void) | undefined;
    const unsubscribe = deps.bus.subscribe(id, (event) => (apply ? apply(event) : early.push(event)));
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), deps.config.sseKeepAliveMs);
    const closed = new Promise<void>((resolve) => response.once('close', resolve));
    let ended!: () => void;
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const seen = { outputs: 0, logs: 0, done: false };
    const handle = (event: PredictionEvent) => {
      if (seen.done) return;
      if (event.type === 'output') {
        if (event.index === -1 || event.index >= seen.outputs) stream.send('output', event.value);
        if (event.index >= seen.outputs) seen.outputs = event.index + 1;
      } else if (event.type === 'logs') {
        const skip = seen.logs - event.offset;
        if (skip < event.text.length) stream.send('logs', event.text.slice(Math.max(0, skip)));
        seen.logs = Math.max(seen.logs, event.offset + event.text.length);
      } else if (event.type === 'status' && isTerminal(event.prediction)) {
        seen.done = true;
        stream.finish(event.prediction);
        response.end();
        ended();
      }
    };
    try {
      const latest = (await deps.predictions.find(id)) ?? record;
      if (Array.isArray(latest.output)) for (const [index, value] of latest.output.entries()) handle({ type: 'output', id, index, value });
      else if (isTerminal(latest) && latest.output !== null) handle({ type: 'output', id, index: -1, value: latest.output });
      if (latest.logs) handle({ type: 'logs', id, offset: 0, text: latest.logs });
      if (isTerminal(latest)) handle({ type: 'status', id, prediction: latest });
      for (const event of early) handle(event);
      apply = handle;
      await Promise.race([done, closed]);
    } finally {
      clearInterval(keepAlive);
      unsubscribe();
    }
    return undefined;
  };
  router.add('GET', '/v1/streams/{id}/{key}', handler, { auth: false });
  router.add('GET', '/v1/files/streams/{id}/{key}', handler, { auth: false });
}

function isTerminal(record: PredictionRecord): boolean {
  return record.status === 'succeeded' || record.status === 'failed' || record.status === 'canceled';
}

/** Writes SSE frames with a per-stream sequence as ids. */
class EventStream {
  #seq = 0;
  constructor(readonly response: ServerResponse) {}

  send(event: 'output' | 'logs' | 'error' | 'done', value: unknown): void {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const data = text
      .split(/\r?\n/)
      .map((line) => `data: ${line}`)
      .join('\n');
    this.response.write(`event: ${event}\nid: ${this.#seq++}\n${data}\n\n`);
  }

  finish(record: PredictionRecord): void {
    if (record.status === 'failed') {
      this.send('error', { detail: record.error ?? 'The prediction failed.' });
      this.send('done', { reason: 'error' });
    } else if (record.status === 'canceled') this.send('done', { reason: 'canceled' });
    else this.send('done', {});
  }
}
