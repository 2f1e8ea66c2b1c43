import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extensionOf, mimeTypeOf } from '@replicant/protocol';
import { guardedLookup, isBlockedAddress } from './guard.js';

/** Limits on file inputs. */
export interface DownloadLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Give up on a download that takes longer than this, in ms. */
  timeoutMs: number;
}

/**
 * Fetches a file input (`http(s)://` or `data:` URL) into a new file under `dir` and returns its
 * path. The file keeps the URL's base name (Cog's naming), so its extension survives.
 */
export async function downloadInput(url: string, dir: string, index: number, limits: DownloadLimits, signal: AbortSignal): Promise<string> {
  const folder = join(dir, String(index));
  await mkdir(folder, { recursive: true });
  if (/^data:/i.test(url)) {
    const { bytes, mimeType } = decodeDataUrl(url);
    if (bytes.length > limits.maxBytes) throw new Error(`file input is larger than ${limits.maxBytes} bytes`);
    const path = join(folder, `file${extensionOf(mimeType)}`);
    await writeFile(path, bytes);
    return path;
  }
  const path = join(folder, fileNameOf(url));
  const response = await fetchFollowing(url, limits, signal, 5);
  await pipeline(response, byteLimit(limits.maxBytes), createWriteStream(path), { signal });
  return path;
}

/** A pass-through stream that fails once more than `max` bytes went through. */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max) done(new Error(`file input is larger than ${max} bytes`));
      else done(null, chunk);
    },
  });
}

function fetchFollowing(url: string, limits: DownloadLimits, signal: AbortSignal, redirects: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const get = parsed.protocol === 'https:' ? httpsGet : parsed.protocol === 'http:' ? httpGet : undefined;
    if (!get) return reject(new Error(`cannot download ${parsed.protocol} URLs`));
    // Node skips the lookup for IP literals, so they are checked here.
    const literal = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && isBlockedAddress(literal)) {
      return reject(new Error(`refusing to fetch from ${literal}: a link-local or metadata address`));
    }
    const request = get(
      parsed,
      { lookup: guardedLookup, signal, timeout: limits.timeoutMs, headers: { 'user-agent': 'replicant-runtime' } },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          response.resume();
          if (redirects === 0) return reject(new Error(`too many redirects downloading ${parsed.host}${parsed.pathname}`));
          return fetchFollowing(new URL(location, parsed).href, limits, signal, redirects - 1).then(resolve, reject);
        }
        if (status !== 200) {
          response.resume();
          return reject(new Error(`downloading ${parsed.host}${parsed.pathname} failed: HTTP ${status}`));
        }
        const length = Number(response.headers['content-length']);
        if (length > limits.maxBytes) {
          response.destroy();
          return reject(new Error(`file input is larger than ${limits.maxBytes} bytes`));
        }
        resolve(response);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`downloading ${parsed.host}${parsed.pathname} timed out`)));
    request.on('error', reject);
  });
}

/** Decodes a `data:` URL into its bytes and MIME type. */
export function decodeDataUrl(url: string): { bytes: Buffer; mimeType: string } {
  const comma = url.indexOf(',');
  if (comma < 0) throw new Error('malformed data URL: no comma');
  const meta = url.slice(5, comma).split(';');
  const base64 = meta.includes('base64');
  const mimeType = meta[0] || 'text/plain';
  const data = url.slice(comma + 1);
  const bytes = base64 ? Buffer.from(data, 'base64') : Buffer.from(decodeURIComponent(data), 'utf8');
  return { bytes, mimeType };
}

/** The file name Cog gives a downloaded URL: its last path part, made safe, at most 200 bytes. */
export function fileNameOf(url: string): string {
  let name: string;
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    name = '';
  }
  name = name.replace(/[/\\\0]/g, '_');
  if (name === '' || name === '.' || name === '..') name = 'file';
  if (Buffer.byteLength(name) <= 200) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 20 ? name.slice(dot) : '';
  let stem = name.slice(0, name.length - ext.length);
  while (Buffer.byteLength(`${stem}~${ext}`) > 200) stem = stem.slice(0, -1);
  return `${stem}~${ext}`;
}

/** Where file outputs go: inline as data URIs, or uploaded to a URL. */
export interface OutputFileOptions {
  /** Base URL to PUT files to (`--upload-url`); data URIs when absent. */
  uploadUrl?: string;
  /** The prediction the file belongs to (sent as `X-Prediction-ID`). */
  predictionId: string;
  /** Extra headers for uploads (trace context). */
  headers?: Record<string, string>;
}

const UPLOAD_RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** Turns a file the predictor returned into what callers get: a data URI or an uploaded URL. */
export async function encodeOutputFile(path: string, options: OutputFileOptions): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`predict returned the path ${path}, which is not a file`);
  const mimeType = mimeTypeOf(path);
  const bytes = await readFile(path);
  if (!options.uploadUrl) return `data:${mimeType};base64,${bytes.toString('base64')}`;
  const target = `${options.uploadUrl.replace(/\/+$/, '')}/${encodeURIComponent(basename(path))}`;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const response = await fetch(target, {
        method: 'PUT',
        headers: { 'content-type': mimeType, 'x-prediction-id': options.predictionId, ...options.headers },
        body: bytes,
        signal: AbortSignal.timeout(60_000),
      });
      await response.body?.cancel();
      if (response.ok) {
        const location = response.headers.get('location');
        const url = new URL(location ?? response.url ?? target, target);
        url.search = '';
        return url.href;
      }
      lastError = `HTTP ${response.status}`;
      if (!UPLOAD_RETRYABLE.has(response.status)) break;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  throw new Error(`Got error trying to upload output files: ${basename(path)}: ${lastError}`);
}
