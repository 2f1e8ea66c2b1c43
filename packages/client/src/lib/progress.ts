import type { Prediction } from '@replicant/protocol';

/** Progress read from a tqdm-style log line. */
export interface Progress {
  /** 0–1 */
  percentage: number;
  current: number;
  total: number;
}

const PATTERN = /^\s*(\d+)%\s*\|.+?\|\s*(\d+)\/(\d+)/;

/**
 * The progress of the last tqdm-style line of a prediction's logs
 * (`76%|███████▌  | 7568/10000 [00:33<00:10, 229.00it/s]` → `{ percentage: 0.76, current: 7568, total: 10000 }`),
 * or null when there is none. tqdm redraws with `\r`, so lines split on both `\n` and `\r`.
 */
export function parseProgressFromLogs(input: Pick<Prediction, 'logs'> | string | null | undefined): Progress | null {
  const logs = typeof input === 'string' ? input : input?.logs;
  if (typeof logs !== 'string' || logs === '') return null;
  const lines = logs.split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = PATTERN.exec(lines[i] as string);
    if (match) {
      return { percentage: Number(match[1]) / 100, current: Number(match[2]), total: Number(match[3]) };
    }
  }
  return null;
}
