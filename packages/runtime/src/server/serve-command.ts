import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelServer } from './model-server.js';

/** A bad flag or argument of {@link serveCommand}; `exitCode` is what a CLI should exit with. */
export class ServeUsageError extends Error {
  override name = 'ServeUsageError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * `serve [DIR] [--host H] [--port P] [--upload-url URL] [--concurrency N] [--max-body-bytes N] [--python-envs DIR] [--exit-with-stdin]`:
 * serves a model folder until SIGTERM, SIGINT or `POST /shutdown`, then exits the process (1 if
 * the Python worker died, else 0); it returns only by throwing a usage error. Both `replicant predictor serve` and the director's instances run this.
 */
export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5000' },
      'upload-url': { type: 'string' },
      concurrency: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'exit-with-stdin': { type: 'boolean', default: false },
      'python-envs': { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new ServeUsageError('expected at most one model folder');
  const dir = resolve(positionals[0] ?? '.');
  const port = wholeNumber('--port', values.port, 0);
  const uploadUrl = values['upload-url'];
  if (uploadUrl !== undefined && !/^https?:\/\//.test(uploadUrl)) throw new ServeUsageError('--upload-url must be an http(s) URL');
  const throttle = Number(process.env.COG_THROTTLE_RESPONSE_INTERVAL);
  let stopped!: () => void;
  const finished = new Promise<void>((r) => {
    stopped = r;
  });
  const server = new ModelServer({
    dir,
    host: values.host,
    port,
    ...(uploadUrl !== undefined && { uploadUrl }),
    ...(values.concurrency !== undefined && { concurrency: wholeNumber('--concurrency', values.concurrency, 1) }),
    ...(values['max-body-bytes'] !== undefined && { maxBodyBytes: wholeNumber('--max-body-bytes', values['max-body-bytes'], 1) }),
    webhooks: {
      ...(Number.isFinite(throttle) && throttle >= 0 && { throttleMs: throttle * 1000 }),
      ...(process.env.WEBHOOK_AUTH_TOKEN && { authToken: process.env.WEBHOOK_AUTH_TOKEN }),
    },
    ...(values['python-envs'] !== undefined && { pythonEnvironments: resolve(values['python-envs']) }),
    onStopped: () => stopped(),
  });
  try {
    await server.start();
  } catch (error) {
    throw new ServeUsageError(`could not listen on ${values.host}:${port}: ${(error as Error).message}`, 1);
  }
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    void server.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (values['exit-with-stdin']) {
    // The parent holds our stdin open; when it goes away (even killed), nobody will collect our
    // results: cancel what runs, and exit soon even if a model ignores the cancel.
    const orphaned = () => {
      void server.stop(0);
      setTimeout(() => process.exit(1), 2_000).unref();
    };
    process.stdin.on('end', orphaned).on('close', orphaned).on('error', orphaned).resume();
  }
  await finished;
  // Stopped: predictions are over and their results delivered. Whatever model code left
  // running (a worker thread, a timer, a setup still waiting on something) would keep the
  // process alive for nobody, so it ends here.
  process.exit(server.defunct ? 1 : 0);
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
    throw new ServeUsageError(`${flag} must be a whole number of at least ${min}, got "${text}"`);
  return n;
}
