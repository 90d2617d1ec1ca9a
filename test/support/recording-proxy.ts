/**
 * A pass-through HTTP proxy that records every request body, for asserting what a process SENT to an
 * emulator where the emulator's own storage deviates from the real service (scripts/stack/COMPATIBILITY.md:
 * bigquery-emulator drops NaN, stores BYTES undecoded, ignores schemaUpdateOptions…). Point the function's
 * endpoint (e.g. BIGQUERY_API_ENDPOINT) at `url`; requests go on to `target` unchanged. 127.0.0.1 only.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/upload/bigquery/v2/projects/p/jobs?uploadType=multipart`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The target's answer status (0 when forwarding failed). */
  status: number;
}

export interface RecordingProxy {
  url: string;
  readonly requests: readonly RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const record: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, status: 0 };
      requests.push(record);
      const headers = { ...req.headers, host: to.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const out = httpRequest({ hostname: to.hostname, port: to.port, method: record.method, path: record.url, headers }, (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording-proxy: ${String(error)}`);
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** The parts of a `multipart/related` body (a BigQuery media upload: job metadata JSON, then the data). */
export function multipartParts(body: Buffer, contentType: string | undefined): { headers: Record<string, string>; body: string }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) throw new Error(`not a multipart body (content-type ${String(contentType)})`);
  const text = body.toString('utf8');
  const parts: { headers: Record<string, string>; body: string }[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^\r?\n/, '');
    const split = part.search(/\r?\n\r?\n/);
    const head = split < 0 ? '' : part.slice(0, split);
    const rest = split < 0 ? part : part.slice(split).replace(/^\r?\n\r?\n/, '');
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: rest.replace(/\r?\n$/, '') });
  }
  return parts;
}
