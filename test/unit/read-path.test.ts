/**
 * The read-path choice and the S3 result-file reader, against the wire-level Athena fake (paging like Athena,
 * result CSV over path-style S3) and small local S3 doubles for what the fake cannot do (deny, break a stream).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { describeQuery, startQuery, type Execution } from '../../src/athena/index.ts';
import { classifyS3Error, openResultFile, resultCsvLocation, resultFileRows } from '../../src/athena/s3-result.ts';
import { TransferError } from '../../src/errors.ts';
import { openResultSource, readAhead, type ResultSource } from '../../src/read-path.ts';
import { csvLine, startAthenaFake, type AthenaFake, type FakeCell, type FakeQueryScript } from '../emulators/athena-fake.ts';

const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
let fake: AthenaFake;
let athena: AthenaClient;
let s3: S3Client;
let n = 0;

before(async () => {
  fake = await startAthenaFake();
  athena = new AthenaClient({ endpoint: fake.url, region: 'us-east-1', credentials });
  s3 = new S3Client({ endpoint: fake.url, region: 'us-east-1', credentials, forcePathStyle: true });
});
after(async () => {
  athena.destroy();
  s3.destroy();
  await fake.stop();
});

const COLUMNS = [
  { name: 'id', type: 'integer' },
  { name: 'note', type: 'varchar' },
];
const row = (i: number): FakeCell[] => [String(i), i % 7 === 0 ? null : i % 5 === 0 ? '' : `n "${i}"\nline 2`];

/** Runs one scripted query to SUCCEEDED and returns its execution. */
async function succeeded(script: Omit<FakeQueryScript, 'match' | 'states'>): Promise<Execution> {
  const sql = `SELECT * FROM t${++n}`;
  fake.enqueue({ match: sql, states: ['SUCCEEDED'], ...script });
  const id = await startQuery(athena, { sql, workgroup: 'primary', catalog: 'AwsDataCatalog', database: 'db', clientRequestToken: `token-${n}-0123456789abcdef0123456789abcdef` });
  const execution = await describeQuery(athena, id);
  assert.equal(execution.state, 'SUCCEEDED');
  return execution;
}

async function drain(source: ResultSource): Promise<(string | null)[][]> {
  const rows = [...source.firstPage.rows];
  if (source.rest) {
    for (;;) {
      const r = await source.rest.next();
      if (r.done) break;
      rows.push(...r.value.rows);
    }
  }
  source.close();
  return rows;
}

/** An S3 endpoint that answers every request with one S3 error. */
async function s3ErrorServer(status: number, code: string): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message><RequestId>r1</RequestId></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => hits };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

describe('openResultSource: which path runs', () => {
  it('auto: a result that fits page 1 is read from that page, no S3 request', async () => {
    const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 998 });
    const before = fake.calls;
    const source = await openResultSource(execution, 'auto', { athena, s3 });
    assert.equal(source.path, 'rows');
    assert.equal(source.rest, undefined);
    const rows = await drain(source);
    assert.equal(rows.length, 998);
    assert.equal(fake.calls.GetQueryResults - before.GetQueryResults, 1);
    assert.equal(fake.calls.S3GetObject - before.S3GetObject, 0);
  });

  it('auto: a multi-page result is read from the S3 CSV, page 1 only for the column types', async () => {
    const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 5000 });
    const before = fake.calls;
    const source = await openResultSource(execution, 'auto', { athena, s3 });
    assert.equal(source.path, 's3_csv');
    assert.equal(source.file?.ref.uri, execution.outputLocation);
    const rows = await drain(source);
    assert.equal(rows.length, 5000);
    assert.deepEqual(rows.slice(0, 8), [0, 1, 2, 3, 4, 5, 6, 7].map(row), 'NULL, "" and quoted newlines survive');
    assert.deepEqual(rows[4999], row(4999));
    assert.equal(fake.calls.GetQueryResults - before.GetQueryResults, 1);
    assert.equal(fake.calls.S3GetObject - before.S3GetObject, 1);
  });

  it('rows: pages every row in order, with one page read ahead', async () => {
    const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 2500 });
    const source = await openResultSource(execution, 'rows', { athena, s3 });
    assert.equal(source.path, 'rows');
    const rows = await drain(source);
    assert.deepEqual(rows, Array.from({ length: 2500 }, (_, i) => row(i)));
  });

  it('s3_csv: even a one-page result is read from S3', async () => {
    const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 3 });
    const source = await openResultSource(execution, 's3_csv', { athena, s3 });
    assert.equal(source.path, 's3_csv');
    assert.deepEqual(await drain(source), [0, 1, 2].map(row));
  });

  const fallbacks = [
    { status: 403, code: 'AccessDenied', failure: 'denied' },
    { status: 404, code: 'NoSuchKey', failure: 'not_found' },
  ];
  for (const f of fallbacks) {
    it(`auto: S3 ${f.code} falls back to paging from page 2 with a warning, every row exactly once`, async () => {
      const deny = await s3ErrorServer(f.status, f.code);
      const denied = new S3Client({ endpoint: deny.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
      try {
        const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 2100 });
        const before = fake.calls.GetQueryResults;
        const source = await openResultSource(execution, 'auto', { athena, s3: denied });
        assert.equal(source.path, 'rows');
        assert.match(source.reason, new RegExp(f.failure));
        assert.equal(source.warnings.length, 1);
        assert.match(source.warnings[0]!, /fell back to paging/);
        const rows = await drain(source);
        assert.deepEqual(rows, Array.from({ length: 2100 }, (_, i) => row(i)));
        assert.equal(fake.calls.GetQueryResults - before, 3, 'page 1 is not fetched twice');
        assert.equal(deny.hits(), 1);
      } finally {
        denied.destroy();
        await close(deny.server);
      }
    });
  }

  it('s3_csv: S3 AccessDenied fails the run with S3_RESULT_READ_FAILED and a hint naming the fix', async () => {
    const deny = await s3ErrorServer(403, 'AccessDenied');
    const denied = new S3Client({ endpoint: deny.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 10 });
      await assert.rejects(openResultSource(execution, 's3_csv', { athena, s3: denied }), (e: unknown) => {
        assert.ok(e instanceof TransferError);
        assert.equal(e.code, 'S3_RESULT_READ_FAILED');
        assert.equal(e.details.s3Failure, 'denied');
        assert.match(e.hint, /s3:GetObject/);
        assert.match(e.hint, /read_path/);
        return true;
      });
    } finally {
      denied.destroy();
      await close(deny.server);
    }
  });

  it('auto: an S3 error other than denied/missing is not papered over by a fallback', async () => {
    const broken = await s3ErrorServer(500, 'InternalError');
    const client = new S3Client({ endpoint: broken.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 1500 });
      await assert.rejects(openResultSource(execution, 'auto', { athena, s3: client }), { code: 'S3_RESULT_READ_FAILED' });
    } finally {
      client.destroy();
      await close(broken.server);
    }
  });

  it('s3_csv on a statement without a result CSV (UTILITY) pages instead, with a warning', async () => {
    const execution = await succeeded({ columns: ['col_name'], rows: Array.from({ length: 1200 }, (_, i) => [`c${i}`]), statementType: 'UTILITY' });
    const source = await openResultSource(execution, 's3_csv', { athena, s3 });
    assert.equal(source.path, 'rows');
    assert.match(source.warnings[0] ?? '', /writes no result CSV/);
    assert.equal((await drain(source)).length, 1200);
  });

  it('auto without an S3 client pages', async () => {
    const execution = await succeeded({ columns: COLUMNS, rowGenerator: row, rowCount: 1500 });
    const source = await openResultSource(execution, 'auto', { athena });
    assert.equal(source.path, 'rows');
    assert.equal((await drain(source)).length, 1500);
  });
});

describe('resultCsvLocation', () => {
  const cases: Array<{ name: string; outputLocation: string | undefined; expected: string | undefined }> = [
    { name: 'Athena names the file itself', outputLocation: 's3://res/p/q-1.csv', expected: 's3://res/p/q-1.csv' },
    { name: 'moto echoes the folder (with slash)', outputLocation: 's3://res/p/', expected: 's3://res/p/q-1.csv' },
    { name: 'moto echoes the folder (without slash)', outputLocation: 's3://res/p', expected: 's3://res/p/q-1.csv' },
    { name: 'a bucket only', outputLocation: 's3://res', expected: 's3://res/q-1.csv' },
    { name: 'no location', outputLocation: undefined, expected: undefined },
    { name: 'not s3', outputLocation: 'gs://x/y', expected: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ref = resultCsvLocation({ id: 'q-1', ...(c.outputLocation ? { outputLocation: c.outputLocation } : {}) });
      assert.equal(ref?.uri, c.expected);
      if (ref) assert.equal(`s3://${ref.bucket}/${ref.key}`, c.expected);
    });
  }
});

describe('classifyS3Error', () => {
  const cases: Array<[unknown, string]> = [
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'denied'],
    [{ name: 'Forbidden', $metadata: { httpStatusCode: 403 } }, 'denied'],
    [{ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 'not_found'],
    [{ name: 'NoSuchBucket' }, 'not_found'],
    [{ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } }, 'changed'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'failed'],
    [{ name: 'TimeoutError' }, 'failed'],
    [undefined, 'failed'],
  ];
  for (const [error, expected] of cases) {
    it(`${JSON.stringify(error) ?? 'undefined'} → ${expected}`, () => assert.equal(classifyS3Error(error), expected));
  }
});

describe('openResultFile: a broken body stream is resumed with Range + If-Match', () => {
  const csv = csvLine(['id', 'note']) + Array.from({ length: 3000 }, (_, i) => csvLine(row(i))).join('');
  const bytes = Buffer.from(csv, 'utf8');
  const ETAG = '"abc123"';

  async function flakyServer(breaks: number, etag = ETAG): Promise<{ url: string; server: Server; requests: IncomingMessage['headers'][] }> {
    const requests: IncomingMessage['headers'][] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push(req.headers);
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      if (req.headers['if-match'] !== undefined && req.headers['if-match'] !== etag) {
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
        return;
      }
      const body = bytes.subarray(start);
      res.writeHead(range ? 206 : 200, {
        'content-length': body.length,
        etag: ETAG,
        ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
      });
      if (requests.length <= breaks) {
        // Send a third of what is left, then drop the connection mid-body.
        res.write(body.subarray(0, Math.floor(body.length / 3)), () => setTimeout(() => res.destroy(), 20));
      } else {
        res.end(body);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
  }

  it('two breaks: every row arrives once, in order, and the re-requests are ranged and conditional', async () => {
    const flaky = await flakyServer(2);
    const client = new S3Client({ endpoint: flaky.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const file = await openResultFile(client, { bucket: 'b', key: 'q.csv', uri: 's3://b/q.csv' });
      const rows: (string | null)[][] = [];
      for await (const batch of resultFileRows(file, ['id', 'note'])) rows.push(...batch);
      assert.deepEqual(rows, Array.from({ length: 3000 }, (_, i) => row(i)));
      assert.equal(file.resumes, 2);
      assert.equal(file.bytesRead, bytes.length);
      assert.equal(flaky.requests.length, 3);
      assert.equal(flaky.requests[0]!.range, undefined);
      assert.match(flaky.requests[1]!.range ?? '', /^bytes=\d+-$/);
      assert.equal(flaky.requests[1]!['if-match'], ETAG);
    } finally {
      client.destroy();
      await close(flaky.server);
    }
  });

  it('more breaks than allowed: S3_RESULT_READ_FAILED with the bytes read so far', async () => {
    const flaky = await flakyServer(10);
    const client = new S3Client({ endpoint: flaky.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const file = await openResultFile(client, { bucket: 'b', key: 'q.csv', uri: 's3://b/q.csv' }, { maxResumes: 1 });
      await assert.rejects(
        (async () => {
          for await (const batch of resultFileRows(file, ['id', 'note'])) void batch;
        })(),
        (e: unknown) => {
          assert.ok(e instanceof TransferError);
          assert.equal(e.code, 'S3_RESULT_READ_FAILED');
          assert.equal(e.details.phase, 'read');
          assert.ok(Number(e.details.bytesRead) > 0);
          return true;
        },
      );
      assert.equal(flaky.requests.length, 2);
    } finally {
      client.destroy();
      await close(flaky.server);
    }
  });

  it('an object replaced between the requests is not stitched together (If-Match → 412 → changed)', async () => {
    const flaky = await flakyServer(1, '"other"');
    const client = new S3Client({ endpoint: flaky.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    try {
      const file = await openResultFile(client, { bucket: 'b', key: 'q.csv', uri: 's3://b/q.csv' });
      await assert.rejects(
        (async () => {
          for await (const batch of resultFileRows(file, ['id', 'note'])) void batch;
        })(),
        (e: unknown) => e instanceof TransferError && e.details.s3Failure === 'changed',
      );
    } finally {
      client.destroy();
      await close(flaky.server);
    }
  });
});

describe('readAhead', () => {
  async function* numbers(count: number, log: string[], failAt?: number): AsyncGenerator<number> {
    for (let i = 0; i < count; i++) {
      log.push(`fetch ${i}`);
      if (i === failAt) throw new Error(`boom at ${i}`);
      yield i;
    }
  }

  it('fetches the next item before the caller asks for it, and yields every item once in order', async () => {
    const log: string[] = [];
    const it = readAhead(numbers(3, log));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['fetch 0'], 'the first fetch starts at once');
    const seen: number[] = [];
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      seen.push(r.value);
      await new Promise((res) => setImmediate(res));
      assert.equal(log.at(-1), `fetch ${Math.min(r.value + 1, 2)}`, 'the next one is already being fetched');
    }
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it('a failed fetch surfaces at the item that failed, not earlier, and ends the iterator', async () => {
    const log: string[] = [];
    const it = readAhead(numbers(5, log, 2));
    assert.deepEqual(await it.next(), { done: false, value: 0 });
    assert.deepEqual(await it.next(), { done: false, value: 1 });
    await assert.rejects(it.next(), /boom at 2/);
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  it('return() closes the source', async () => {
    const log: string[] = [];
    let closed = false;
    async function* src(): AsyncGenerator<number> {
      try {
        yield* numbers(10, log);
      } finally {
        closed = true;
      }
    }
    const it = readAhead(src());
    await it.next();
    await it.return?.();
    assert.equal(closed, true);
  });
});
