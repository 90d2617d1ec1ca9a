/**
 * A GCS resumable upload with one reused chunk buffer (GCS docs, "Perform resumable uploads"):
 * POST `…/upload/storage/v1/b/<bucket>/o?uploadType=resumable` opens a session (its URI authorises the
 * later requests by itself), then each chunk is a PUT with `Content-Range: bytes <from>-<to>/*` answered
 * by 308 and `Range: bytes=0-<last persisted>`; the last one carries the total and is answered 200/201 with
 * the object. A chunk that fails (network, timeout, 408/429/5xx) is re-sent from the offset the session
 * reports, out of the same buffer.
 *
 * Why not `file.createWriteStream({ resumable: true, chunkSize })`: in chunk mode @google-cloud/storage
 * holds each chunk twice (its upstream queue and a retry cache) in per-write Buffers that live long enough
 * to reach V8's old generation, so they are freed only when external-memory pressure (~64 MiB) forces a full
 * GC. Measured with bench/run.ts at 1M rows: +60–70 MiB of `arrayBuffers`, peak RSS 234 MiB vs 177 MiB for
 * the direct upload. Here the NDJSON text is encoded straight into one preallocated buffer: memory is
 * `chunkBytes`, whatever the result size. Requests go through node:http(s), not `fetch`: undici copies every
 * request body (the fetch spec's "copy of the bytes"), which measured 80–96 MiB of ArrayBuffer garbage for
 * 8 MiB chunks; node:http writes the Buffer as is.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Storage } from '@google-cloud/storage';
import { TransferError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';

/** Non-final chunks must be multiples of 256 KiB (GCS resumable upload rules). */
export const CHUNK_GRANULARITY = 256 * 1024;

/** An HTTP answer, as much of it as the protocol needs. */
export interface HttpAnswer {
  status: number;
  header(name: string): string | undefined;
  body: string;
}

/** One HTTP request; injectable so tests can speak the protocol without sockets. */
export type HttpSend = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal: AbortSignal }) => Promise<HttpAnswer>;

/** Where requests go and how the session is opened; sessions themselves need no credentials. */
export interface GcsUploadClient {
  /** `https://storage.googleapis.com` or an emulator's URL, without a trailing slash. */
  baseUrl: string;
  /** Headers that authorise the initiating POST (none for an emulator endpoint). */
  authHeaders(): Promise<Record<string, string>>;
  /** Default {@link nodeHttpSend}. */
  send?: HttpSend;
}

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * {@link HttpSend} over node:http(s) with keep-alive. The headers are flushed before the body is written, so
 * the body goes out as one plain Buffer write (measured: no copy; corked together with the header string,
 * an 8 MiB body left ~40 MiB of ArrayBuffers behind). Answers up to 64 KiB of body text.
 */
export const nodeHttpSend: HttpSend = (url, init) =>
  new Promise<HttpAnswer>((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    const body = typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
    const headers: Record<string, string | number> = { ...init.headers, 'content-length': body?.byteLength ?? 0 };
    const onResponse = (res: IncomingMessage): void => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (piece: string) => {
        if (text.length < 65_536) text += piece;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = res.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
          body: text,
        }),
      );
    };
    const options = { method: init.method, headers, signal: init.signal, agent: https ? agents.https : agents.http };
    const req = https ? httpsRequest(target, options, onResponse) : httpRequest(target, options, onResponse);
    req.on('error', reject);
    req.flushHeaders();
    req.end(body);
  });

/**
 * The upload client of a Storage instance: its endpoint, and its credentials unless the endpoint is a custom
 * one (the client itself skips auth there: `customEndpoint` without `useAuthWithCustomEndpoint`).
 */
export function gcsUploadClient(storage: Storage): GcsUploadClient {
  const s = storage as unknown as { apiEndpoint: string; customEndpoint?: boolean; useAuthWithCustomEndpoint?: boolean };
  const anonymous = s.customEndpoint === true && s.useAuthWithCustomEndpoint !== true;
  return {
    baseUrl: s.apiEndpoint.replace(/\/+$/, ''),
    authHeaders: async () => {
      if (anonymous) return {};
      const headers = new Headers((await storage.authClient.getRequestHeaders()) as unknown as ConstructorParameters<typeof Headers>[0]);
      return Object.fromEntries(headers.entries());
    },
  };
}

export interface ResumableUploadOptions {
  /** Bytes per PUT, a multiple of 256 KiB. */
  chunkBytes: number;
  /** A buffer of at least chunkBytes to reuse across uploads (one per staging run). */
  buffer?: Buffer;
  contentType?: string;
  /** Re-sends of one chunk after transient failures. Default 5. */
  maxRetries?: number;
  /** First backoff, doubling up to 16 s. Default 1 s. */
  retryDelayMs?: number;
  /** One request's deadline. Default 120 s. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface UploadedObject {
  name: string;
  bytes: number;
  /** Base64 MD5 of what was sent (GCS checks it: `X-Goog-Hash` on the final request). */
  md5: string;
}

/** A transient failure worth re-sending for. */
class Transient extends Error {
  override name = 'Transient';
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

/** A retryable status, a network error, or this request's own timeout (not the run's deadline: the caller checks that). */
function isTransient(error: unknown): boolean {
  if (error instanceof Transient) return true;
  const e = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown; cause?: { name?: unknown } };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || (e.name === 'AbortError' && e.cause?.name === 'TimeoutError')) return true;
  return e.message === 'socket hang up';
}

/**
 * Uploads `name` in `bucket` from `pull` (NDJSON text pieces; `undefined` ends the object) as one
 * resumable session. Never overwrites an existing object (`ifGenerationMatch=0`).
 */
export async function uploadResumable(
  client: GcsUploadClient,
  bucket: string,
  name: string,
  pull: () => Promise<string | undefined>,
  options: ResumableUploadOptions,
): Promise<UploadedObject> {
  const chunk = options.chunkBytes;
  if (!Number.isInteger(chunk) || chunk < CHUNK_GRANULARITY || chunk % CHUNK_GRANULARITY !== 0) {
    throw new RangeError(`chunkBytes must be a positive multiple of ${CHUNK_GRANULARITY}, got ${chunk}`);
  }
  const buffer = options.buffer && options.buffer.length >= chunk ? options.buffer : Buffer.allocUnsafe(chunk);
  const http = client.send ?? nodeHttpSend;
  const log = options.log ?? silentLogger;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = options.maxRetries ?? 5;
  const timeoutMs = options.requestTimeoutMs ?? 120_000;
  const contentType = options.contentType ?? 'application/x-ndjson';
  const uri = `gs://${bucket}/${name}`;
  const md5 = createHash('md5');

  const signal = (): AbortSignal => (options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs));
  const fail = (message: string, details: Record<string, unknown>, cause?: unknown): TransferError =>
    new TransferError('GCS_ERROR', `Staging upload of ${uri} failed: ${message}`, {
      status: 502,
      hint:
        details.httpStatus === 403 || details.httpStatus === 401
          ? "Grant the function's service account roles/storage.objectAdmin (create + delete) on the staging bucket, or remove bigquery.staging_uri to upload directly."
          : details.httpStatus === 404 && details.phase === 'initiate'
            ? 'Create the bucket named in bigquery.staging_uri (in the dataset\'s location), or fix the URI.'
            : 'Retry the run; nothing was loaded and the staged objects were deleted.',
      details: { object: uri, ...details },
      cause,
    });

  /** Runs `attempt` with backoff on Transient; other errors end the upload. */
  const withRetries = async <T>(what: string, attempt: (retry: number) => Promise<T>): Promise<T> => {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(retry);
      } catch (error) {
        if (!isTransient(error) || options.signal?.aborted || retry >= maxRetries) {
          if (error instanceof TransferError) throw error;
          throw fail(`${what}: ${error instanceof Error ? error.message : String(error)}`, { phase: what, retries: retry }, error);
        }
        const delay = Math.min(16_000, (options.retryDelayMs ?? 1000) * 2 ** retry);
        log.warn('GCS staging request failed: retrying', { object: uri, phase: what, retry: retry + 1, delayMs: delay, error: error instanceof Error ? error.message : String(error) });
        await sleep(delay);
      }
    }
  };

  // 1. Open the session.
  const session = await withRetries('initiate', async () => {
    const url = `${client.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&ifGenerationMatch=0&name=${encodeURIComponent(name)}`;
    const res = await http(url, {
      method: 'POST',
      headers: { ...(await client.authHeaders()), 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': contentType },
      body: JSON.stringify({ name, contentType }),
      signal: signal(),
    });
    if (RETRYABLE.has(res.status)) throw new Transient(`HTTP ${res.status}`);
    const location = res.header('location');
    if (res.status < 200 || res.status > 299 || !location) throw fail(`opening the upload session answered HTTP ${res.status}`, { phase: 'initiate', httpStatus: res.status });
    return location;
  });

  /** Asks the session how much it holds: `done` when the object is complete. */
  const status = async (total: number | undefined): Promise<{ persisted: number; done: boolean }> => {
    const res = await http(session, { method: 'PUT', headers: { 'content-range': `bytes */${total ?? '*'}` }, signal: signal() });
    if (res.status === 200 || res.status === 201) return { persisted: total ?? 0, done: true };
    if (res.status === 308) return { persisted: persistedFrom(res.header('range')), done: false };
    if (RETRYABLE.has(res.status)) throw new Transient(`HTTP ${res.status}`);
    throw fail(`the upload session answered HTTP ${res.status} to a status query`, { phase: 'status', httpStatus: res.status });
  };

  /** Sends buffer[0, n) as bytes start…start+n-1 (the final chunk when `total` is given) until the session has it. */
  const send = async (n: number, start: number, total: number | undefined): Promise<Record<string, unknown> | undefined> => {
    let persisted = start;
    return withRetries('upload', async (retry) => {
      if (retry > 0) {
        // After a failure the session decides where to go on from.
        const s = await status(total);
        if (s.done) return undefined;
        persisted = s.persisted;
        if (persisted < start) throw fail(`the session lost data it had confirmed (holds ${persisted} bytes, ${start} were confirmed)`, { phase: 'upload' });
      }
      for (;;) {
        const from = persisted - start;
        const body = buffer.subarray(from, n);
        const range = body.length === 0 ? `bytes */${total}` : `bytes ${persisted}-${start + n - 1}/${total ?? '*'}`;
        const headers: Record<string, string> = { 'content-range': range };
        if (total !== undefined) headers['x-goog-hash'] = `md5=${finalMd5}`;
        // 308 is GCS's "resume incomplete", not a redirect (node:http never follows anything).
        const res = await http(session, { method: 'PUT', headers, body, signal: signal() });
        const text = res.body;
        if (res.status === 200 || res.status === 201) {
          if (total === undefined) throw fail('the session completed the object before its last chunk', { phase: 'upload', httpStatus: res.status });
          return parseJson(text);
        }
        if (res.status === 308) {
          persisted = persistedFrom(res.header('range'));
          if (persisted >= start + n && total === undefined) return undefined;
          if (persisted < start) throw fail(`the session lost data it had confirmed (holds ${persisted} bytes, ${start} were confirmed)`, { phase: 'upload' });
          continue; // it kept part of the chunk: send the rest
        }
        if (RETRYABLE.has(res.status)) throw new Transient(`HTTP ${res.status}`);
        throw fail(`a chunk was answered HTTP ${res.status}`, { phase: 'upload', httpStatus: res.status, response: text.slice(0, 200) });
      }
    });
  };

  // 2. Fill the buffer from `pull`, send it, repeat; the last chunk carries the total.
  let offset = 0;
  let overflow: Buffer | undefined;
  let ended = false;
  let finalMd5 = '';
  try {
    return await fillAndSend();
  } catch (error) {
    // Best effort: cancel the session (DELETE answers 499) so no half object lingers; unfinished sessions
    // expire after a week anyway and never become objects.
    void http(session, { method: 'DELETE', headers: {}, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    throw error;
  }

  async function fillAndSend(): Promise<UploadedObject> {
    for (;;) {
      let fill = 0;
      while (fill < chunk) {
        if (overflow) {
          const copied = overflow.copy(buffer, fill);
          fill += copied;
          overflow = copied < overflow.length ? overflow.subarray(copied) : undefined;
          continue;
        }
        const text = await pull();
        if (text === undefined) {
          ended = true;
          break;
        }
        const bytes = Buffer.byteLength(text, 'utf8');
        if (bytes <= chunk - fill) fill += buffer.write(text, fill, 'utf8');
        else overflow = Buffer.from(text, 'utf8'); // only the piece that straddles a chunk boundary is copied
      }
      md5.update(buffer.subarray(0, fill));
      const last = ended && overflow === undefined;
      if (!last) {
        await send(fill, offset, undefined);
        offset += fill;
        continue;
      }
      finalMd5 = md5.digest('base64');
      const total = offset + fill;
      const object = await send(fill, offset, total);
      const size = object?.size;
      if (size !== undefined && Number(size) !== total) {
        throw fail(`GCS stored ${String(size)} bytes, ${total} were sent`, { phase: 'verify' });
      }
      if (typeof object?.md5Hash === 'string' && object.md5Hash !== finalMd5) {
        throw fail('the stored object\'s MD5 differs from what was sent', { phase: 'verify' });
      }
      return { name, bytes: total, md5: finalMd5 };
    }
  }
}

/** `Range: bytes=0-123` → 124 bytes persisted; no header → none. */
function persistedFrom(range: string | null | undefined): number {
  const m = /bytes=0-(\d+)/.exec(range ?? '');
  return m ? Number(m[1]) + 1 : 0;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
