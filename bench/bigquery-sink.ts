/**
 * A BigQuery stand-in for the benchmark that speaks the same wire protocol as BigQuery for the calls the
 * function and the baseline make, and stores nothing but counts:
 *
 *   GET  /bigquery/v2/projects/P/jobs/J                      jobs.get (404 until the job exists)
 *   GET  /bigquery/v2/projects/P/datasets/D/tables/T         tables.get (404 until created)
 *   POST /bigquery/v2/projects/P/datasets/D/tables           tables.insert
 *   POST /upload/bigquery/v2/projects/P/jobs?uploadType=multipart   load job with the NDJSON in the body
 *   POST /bigquery/v2/projects/P/jobs                        load job from gs:// URIs (read from fake-gcs-server)
 *   POST /bigquery/v2/projects/P/datasets/D/tables/T/insertAll      streaming insert (the baseline)
 *
 * Why: bigquery-emulator ingests about 15,000 rows/s on this machine (100k rows took 6.5 s to load), so
 * against it every path would measure the emulator. The sink consumes bytes as fast as they come, counts
 * rows (newlines; insertAll bodies are parsed) and checks a sample of lines for valid JSON with the expected
 * number of fields, so the numbers measure the function side. Load jobs answer DONE at once: a real load
 * job's server-side time comes on top of every path alike.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkTable {
  rows: number;
  bytes: number;
  /** Sampled NDJSON lines that were not a JSON object with `fields` keys. */
  invalid: number;
  loads: number;
  inserts: number;
  sourceUris: number;
}

export interface BigQuerySink {
  url: string;
  table(dataset: string, table: string): SinkTable | undefined;
  stop(): Promise<void>;
}

const LF = 10;

/** Starts the sink on 127.0.0.1; `gcsUrl` is where gs:// load sources are read from; `fields` per row for the sample check. */
export async function startBigQuerySink(options: { gcsUrl?: string; fields: number }): Promise<BigQuerySink> {
  const tables = new Map<string, SinkTable & { schema: unknown }>();
  const jobs = new Map<string, Record<string, unknown>>();
  const key = (d: string, t: string): string => `${d}.${t}`;

  const tableOf = (dataset: string, table: string): SinkTable & { schema: unknown } => {
    let t = tables.get(key(dataset, table));
    if (!t) {
      t = { rows: 0, bytes: 0, invalid: 0, loads: 0, inserts: 0, sourceUris: 0, schema: undefined };
      tables.set(key(dataset, table), t);
    }
    return t;
  };

  /** Counts newline-terminated lines of a byte stream and checks the first 200 and every 10,000th. */
  const counter = (): { push(chunk: Buffer): void; end(): { lines: number; bytes: number; invalid: number } } => {
    let lines = 0;
    let bytes = 0;
    let invalid = 0;
    let partial = '';
    let lastByte = LF;
    const check = (line: string): void => {
      try {
        const value = JSON.parse(line) as unknown;
        if (value === null || typeof value !== 'object' || Object.keys(value).length !== options.fields) invalid++;
      } catch {
        invalid++;
      }
    };
    return {
      push(chunk: Buffer) {
        bytes += chunk.length;
        let from = 0;
        for (;;) {
          const nl = chunk.indexOf(LF, from);
          if (nl === -1) break;
          const sampled = lines < 200 || lines % 10_000 === 0;
          if (sampled) check(partial + chunk.toString('utf8', from, nl));
          partial = '';
          lines++;
          from = nl + 1;
        }
        // Only keep the start of a pending line if it will be sampled.
        if (from < chunk.length && (lines < 200 || lines % 10_000 === 0)) partial += chunk.toString('utf8', from);
        if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      },
      end() {
        if (lastByte !== LF) invalid++; // NDJSON must end with a newline (our writer always ends lines)
        return { lines, bytes, invalid };
      },
    };
  };

  const job = (projectId: string, jobId: string, load: Record<string, unknown>, outputRows: number): Record<string, unknown> => ({
    kind: 'bigquery#job',
    id: `${projectId}:US.${jobId}`,
    jobReference: { projectId, jobId, location: 'US' },
    configuration: { load },
    status: { state: 'DONE' },
    statistics: { creationTime: String(Date.now()), startTime: String(Date.now()), endTime: String(Date.now()), load: { outputRows: String(outputRows) } },
  });

  /** The multipart upload of createWriteStream: a JSON part (the job) then the data part, streamed. */
  async function upload(req: IncomingMessage, res: ServerResponse, projectId: string): Promise<void> {
    const boundary = /boundary=([^;]+)/.exec(req.headers['content-type'] ?? '')?.[1]?.replace(/^"|"$/g, '');
    if (!boundary) return send(res, 400, { error: { code: 400, message: 'no multipart boundary' } });
    const delimiter = Buffer.from(`\r\n--${boundary}`);
    let head = Buffer.alloc(0);
    let metadata: Record<string, unknown> | undefined;
    const lines = counter();
    let tail = Buffer.alloc(0); // the last bytes of the data part, held back until we know they are not the trailer
    const keep = delimiter.length + 4;
    for await (const raw of req) {
      let chunk = raw as Buffer;
      if (metadata === undefined) {
        head = Buffer.concat([head, chunk]);
        // --B\r\nContent-Type: application/json\r\n\r\n{…}\r\n--B\r\nContent-Type: …\r\n\r\n<data>
        const jsonStart = head.indexOf('\r\n\r\n');
        const jsonEnd = jsonStart < 0 ? -1 : head.indexOf(delimiter, jsonStart);
        const dataStart = jsonEnd < 0 ? -1 : head.indexOf('\r\n\r\n', jsonEnd + delimiter.length);
        if (dataStart < 0) continue;
        metadata = JSON.parse(head.toString('utf8', jsonStart + 4, jsonEnd)) as Record<string, unknown>;
        chunk = head.subarray(dataStart + 4);
        head = Buffer.alloc(0);
      }
      const joined = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      if (joined.length > keep) {
        lines.push(joined.subarray(0, joined.length - keep));
        tail = Buffer.from(joined.subarray(joined.length - keep));
      } else {
        tail = Buffer.from(joined);
      }
    }
    if (metadata === undefined) return send(res, 400, { error: { code: 400, message: 'incomplete multipart body' } });
    const end = tail.lastIndexOf(delimiter);
    lines.push(end >= 0 ? tail.subarray(0, end) : tail);
    const counted = lines.end();
    const ref = (metadata.jobReference ?? {}) as { jobId?: string };
    const load = ((metadata.configuration as Record<string, unknown> | undefined)?.load ?? {}) as Record<string, unknown>;
    const dest = load.destinationTable as { datasetId: string; tableId: string };
    const jobId = ref.jobId ?? `job_${Date.now()}`;
    if (jobs.has(jobId)) return send(res, 409, { error: { code: 409, message: `Already Exists: Job ${projectId}:US.${jobId}`, errors: [{ reason: 'duplicate' }] } });
    const t = tableOf(dest.datasetId, dest.tableId);
    if (load.writeDisposition === 'WRITE_TRUNCATE') t.rows = 0;
    t.rows += counted.lines;
    t.bytes += counted.bytes;
    t.invalid += counted.invalid;
    t.loads++;
    const done = job(projectId, jobId, load, counted.lines);
    jobs.set(jobId, done);
    send(res, 200, done);
  }

  /** jobs.insert of a load job with gs:// sourceUris: BigQuery reads the objects server-side; so does the sink. */
  async function insertJob(req: IncomingMessage, res: ServerResponse, projectId: string): Promise<void> {
    const body = JSON.parse(await text(req)) as { jobReference?: { jobId?: string }; configuration?: { load?: Record<string, unknown> } };
    const jobId = body.jobReference?.jobId ?? `job_${Date.now()}`;
    if (jobs.has(jobId)) return send(res, 409, { error: { code: 409, message: `Already Exists: Job ${projectId}:US.${jobId}`, errors: [{ reason: 'duplicate' }] } });
    const load = body.configuration?.load ?? {};
    const uris = (load.sourceUris ?? []) as string[];
    const lines = counter();
    for (const uri of uris) {
      const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
      if (!m || !options.gcsUrl) return send(res, 400, { error: { code: 400, message: `cannot read ${uri}`, errors: [{ reason: 'invalid' }] } });
      const response = await fetch(`${options.gcsUrl}/storage/v1/b/${encodeURIComponent(m[1]!)}/o/${encodeURIComponent(m[2]!)}?alt=media`);
      if (!response.ok || !response.body) return send(res, 400, { error: { code: 400, message: `Not found: URI ${uri}`, errors: [{ reason: 'notFound' }] } });
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) lines.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    const counted = lines.end();
    const dest = load.destinationTable as { datasetId: string; tableId: string };
    const t = tableOf(dest.datasetId, dest.tableId);
    if (load.writeDisposition === 'WRITE_TRUNCATE') t.rows = 0;
    t.rows += counted.lines;
    t.bytes += counted.bytes;
    t.invalid += counted.invalid;
    t.loads++;
    t.sourceUris += uris.length;
    const done = job(projectId, jobId, load, counted.lines);
    jobs.set(jobId, done);
    send(res, 200, done);
  }

  async function insertAll(req: IncomingMessage, res: ServerResponse, dataset: string, table: string): Promise<void> {
    const body = JSON.parse(await text(req)) as { rows?: Array<{ json?: Record<string, unknown> }> };
    const rows = body.rows ?? [];
    const t = tableOf(dataset, table);
    t.rows += rows.length;
    t.inserts++;
    for (let i = 0; i < rows.length; i += i < 200 ? 1 : 10_000) {
      const json = rows[i]?.json;
      if (!json || Object.keys(json).length !== options.fields) t.invalid++;
    }
    send(res, 200, { kind: 'bigquery#tableDataInsertAllResponse' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const path = url.pathname;
    let m: RegExpExecArray | null;
    const work = async (): Promise<void> => {
      if (req.method === 'POST' && (m = /^\/upload\/bigquery\/v2\/projects\/([^/]+)\/jobs$/.exec(path))) return upload(req, res, m[1]!);
      if (req.method === 'POST' && (m = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs$/.exec(path))) return insertJob(req, res, m[1]!);
      if (req.method === 'GET' && (m = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(path))) {
        const j = jobs.get(decodeURIComponent(m[2]!));
        return j ? send(res, 200, j) : send(res, 404, { error: { code: 404, message: `Not found: Job ${m[1]}:${m[2]}`, errors: [{ reason: 'notFound' }] } });
      }
      if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)$/.exec(path)) && req.method === 'GET') {
        // datasets.get: the transfer's preflight reads the dataset's location before any query runs.
        return send(res, 200, { kind: 'bigquery#dataset', datasetReference: { projectId: m[1], datasetId: decodeURIComponent(m[2]!) }, location: 'US' });
      }
      if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/.exec(path)) && req.method === 'POST') {
        return insertAll(req, res, decodeURIComponent(m[2]!), decodeURIComponent(m[3]!));
      }
      if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(path)) && req.method === 'GET') {
        const t = tables.get(key(decodeURIComponent(m[2]!), decodeURIComponent(m[3]!)));
        if (!t || t.schema === undefined) return send(res, 404, { error: { code: 404, message: `Not found: Table ${m[1]}:${m[2]}.${m[3]}`, errors: [{ reason: 'notFound' }] } });
        return send(res, 200, { kind: 'bigquery#table', tableReference: { projectId: m[1], datasetId: m[2], tableId: m[3] }, schema: t.schema, numRows: String(t.rows), type: 'TABLE' });
      }
      if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables$/.exec(path)) && req.method === 'POST') {
        const body = JSON.parse(await text(req)) as { tableReference: { tableId: string }; schema: unknown };
        const t = tableOf(decodeURIComponent(m[2]!), body.tableReference.tableId);
        if (t.schema !== undefined) return send(res, 409, { error: { code: 409, message: 'Already Exists', errors: [{ reason: 'duplicate' }] } });
        t.schema = body.schema;
        return send(res, 200, { kind: 'bigquery#table', tableReference: { projectId: m[1], datasetId: m[2], tableId: body.tableReference.tableId }, schema: body.schema });
      }
      req.resume();
      send(res, 404, { error: { code: 404, message: `bigquery-sink does not implement ${req.method} ${path}`, errors: [{ reason: 'notFound' }] } });
    };
    work().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 500, message: `bigquery-sink: ${String(error)}`, errors: [{ reason: 'internalError' }] } });
      else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    table: (dataset, table) => {
      const t = tables.get(key(dataset, table));
      return t ? { rows: t.rows, bytes: t.bytes, invalid: t.invalid, loads: t.loads, inserts: t.inserts, sourceUris: t.sourceUris } : undefined;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function text(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
