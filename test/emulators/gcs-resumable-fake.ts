/**
 * GCS's resumable upload protocol as an in-memory HttpSend (GCS docs, "Perform resumable uploads"), with
 * knobs for what real networks and GCS do: 503 answers, a connection that drops after part of a chunk was
 * persisted, and a session that keeps only part of a chunk (308 with a shorter Range). Real HTTP framing
 * against fake-gcs-server is covered by the integration tests.
 *
 *   POST <base>/upload/storage/v1/b/<bucket>/o?uploadType=resumable&name=<name>  → 200, Location: <base>/session/<n>
 *   PUT  <session>  Content-Range: bytes <a>-<b>/<total|*>  → 308 Range: bytes=0-<last>, or 200 + object JSON
 *   PUT  <session>  Content-Range: bytes *\/<total|*> (empty)  → status query
 *   DELETE <session>  → 499 (cancelled)
 */
import { createHash } from 'node:crypto';
import type { HttpAnswer, HttpSend } from '../../src/bigquery/gcs-upload.ts';

export interface ResumableFakeKnobs {
  /** Answer the initiating POST with this status (e.g. 403). */
  initiateStatus?: number;
  /** The next n chunk PUTs answer 503 and store nothing. */
  fail503?: number;
  /** The next n chunk PUTs store half their body, then the connection drops (the send rejects with ECONNRESET). */
  drop?: number;
  /** The next n chunk PUTs store half their body and answer 308 with that Range (legal GCS behaviour). */
  keepHalf?: number;
}

export interface ResumableFake {
  send: HttpSend;
  knobs: ResumableFakeKnobs;
  /** `bucket/name` → bytes of finalized objects. */
  objects: Map<string, Buffer>;
  /** Every request: method, kind and Content-Range. */
  requests: Array<{ method: string; kind: 'initiate' | 'chunk' | 'status' | 'cancel'; range?: string; bytes: number }>;
  cancelled: number;
  /** Sessions opened and not finalized or cancelled. */
  openSessions(): number;
}

export const FAKE_BASE = 'http://gcs.fake';

export function resumableFake(objects: Map<string, Buffer> = new Map(), knobs: ResumableFakeKnobs = {}): ResumableFake {
  const sessions = new Map<string, { key: string; data: Buffer[]; size: number; done: boolean; cancelled: boolean }>();
  const requests: ResumableFake['requests'] = [];
  let counter = 0;
  let cancelled = 0;
  const take = (k: 'fail503' | 'drop' | 'keepHalf'): boolean => {
    const n = knobs[k] ?? 0;
    if (n <= 0) return false;
    knobs[k] = n - 1;
    return true;
  };
  const answer = (status: number, body = '', headers: Record<string, string> = {}): HttpAnswer => ({ status, body, header: (n) => headers[n.toLowerCase()] });
  const send: HttpSend = async (input, init) => {
    const url = new URL(input);
    const method = init.method;
    const headers = new Map(Object.entries(init.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if (method === 'POST' && url.pathname.startsWith('/upload/storage/v1/b/')) {
      requests.push({ method, kind: 'initiate', bytes: 0 });
      if (knobs.initiateStatus) return answer(knobs.initiateStatus, JSON.stringify({ error: { code: knobs.initiateStatus } }));
      const bucket = decodeURIComponent(url.pathname.split('/')[5] ?? '');
      const name = url.searchParams.get('name') ?? '';
      if (url.searchParams.get('uploadType') !== 'resumable' || name === '') return answer(400, 'bad request');
      const id = `${++counter}`;
      sessions.set(id, { key: `${bucket}/${name}`, data: [], size: 0, done: false, cancelled: false });
      return answer(200, '', { location: `${FAKE_BASE}/session/${id}` });
    }
    const m = /^\/session\/(\d+)$/.exec(url.pathname);
    const session = m ? sessions.get(m[1]!) : undefined;
    if (!session) return answer(404, 'no such session');
    if (method === 'DELETE') {
      requests.push({ method, kind: 'cancel', bytes: 0 });
      session.cancelled = true;
      cancelled++;
      return answer(499);
    }
    if (session.cancelled) return answer(410, 'cancelled');
    const range = headers.get('content-range') ?? '';
    const body = init.body === undefined ? Buffer.alloc(0) : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body);
    const stored = (): HttpAnswer => (session.done ? finalized() : answer(308, '', session.size > 0 ? { range: `bytes=0-${session.size - 1}` } : {}));
    const finalized = (): HttpAnswer => {
      const data = Buffer.concat(session.data);
      objects.set(session.key, data);
      return answer(200, JSON.stringify({ name: session.key.split('/').slice(1).join('/'), size: String(data.length), md5Hash: createHash('md5').update(data).digest('base64') }));
    };
    const status = /^bytes \*\/(\d+|\*)$/.exec(range);
    if (status) {
      requests.push({ method, kind: 'status', range, bytes: 0 });
      if (!session.done && status[1] !== '*' && Number(status[1]) === session.size) session.done = true;
      return stored();
    }
    const r = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range);
    if (!r) return answer(400, `bad Content-Range ${range}`);
    requests.push({ method, kind: 'chunk', range, bytes: body.length });
    const from = Number(r[1]);
    if (Number(r[2]) - from + 1 !== body.length) return answer(400, 'Content-Range does not match the body');
    if (from > session.size) return answer(400, 'gap');
    if (take('fail503')) return answer(503, 'backend error');
    const accept = (bytes: Buffer): void => {
      const fresh = bytes.subarray(session.size - from); // overlapping bytes are already stored
      if (fresh.length > 0) {
        session.data.push(Buffer.from(fresh));
        session.size += fresh.length;
      }
    };
    if (take('drop')) {
      accept(body.subarray(0, Math.floor(body.length / 2)));
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }
    if (take('keepHalf')) {
      accept(body.subarray(0, Math.floor(body.length / 2)));
      return stored();
    }
    accept(body);
    if (r[3] !== '*' && session.size === Number(r[3])) session.done = true;
    return stored();
  };
  return {
    send,
    knobs,
    objects,
    requests,
    get cancelled() {
      return cancelled;
    },
    openSessions: () => [...sessions.values()].filter((s) => !s.done && !s.cancelled).length,
  };
}
