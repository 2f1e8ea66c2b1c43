import type { FileOutput } from 'replicate';

/** How long {@link poll} keeps reading, and how long it waits between reads. */
export interface PollOptions {
  /** Fails after this long (default 20 s). */
  timeoutMs?: number;
  /** Waits this long between reads (default 25 ms). */
  intervalMs?: number;
}

/** Reads until `done` holds (a bounded poll, as the clients do), failing with the last value after `timeoutMs`. */
export async function poll<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  { timeoutMs = 20_000, intervalMs = 25 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The promise's rejection (fails if it resolves). */
export async function rejection<E = Error & { response?: Response }>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}

/** The bytes of a file output. */
export const bytesOf = async (output: FileOutput): Promise<Buffer> => Buffer.from(await (await output.blob()).arrayBuffer());
