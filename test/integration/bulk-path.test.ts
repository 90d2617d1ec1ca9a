/**
 * Issue 4, end to end: the real function (built dist/, functions-framework, HTTP) with Athena AND S3 served
 * by our wire-level Athena fake (paging like Athena; the result CSV over path-style S3 at its own URL), STS
 * from moto, GCS from fake-gcs-server and BigQuery from bigquery-emulator. Every test reads BigQuery back.
 *
 * The type probe (transfer.type_probe, another step) runs `SELECT * FROM (<query>) LIMIT 0` first; each
 * query here therefore gets a LIMIT 0 script (names and types, no rows) enqueued before its main script.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMetadataServer, type MetadataServer } from '../emulators/metadata-server.ts';
import { startAthenaFake, type AthenaFake, type FakeCell, type FakeColumn, type FakeQueryScript } from '../emulators/athena-fake.ts';
import { startFunction, type RunningFunction } from '../support/function.ts';
import { bigQueryClient, readTable, startStack, storageClient, type PlainRow, type Stack } from '../support/index.ts';

const PROJECT = 'bulk-project';
const CONFIG_BUCKET = 'bulk-config';
const STAGING_BUCKET = 'bulk-staging';
const DATASET = 'bulk';

const COLUMNS: FakeColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'note', type: 'varchar' },
  { name: 'amount', type: 'decimal(10,2)' },
  { name: 'flag', type: 'boolean' },
  { name: 'ts', type: 'timestamp(3)' },
  { name: 'd', type: 'date' },
];

/**
 * The awkward text values of public reports A5–A7, as Athena renders them: doubled quotes in the CSV, a
 * newline (and CRLF) inside a quoted value, a comma, an empty string next to NULL, a value that is only a quote.
 */
const NOTES: FakeCell[] = ['say "hi", ok', 'line1\nline2', '', null, 'a,b', '"', 'crlf\r\ninside', '  spaced  ', 'ünïcødé ✓', '""'];

function row(i: number): FakeCell[] {
  const ms = String(i % 1000).padStart(3, '0');
  return [
    String(i),
    NOTES[i % NOTES.length]!,
    i % 11 === 0 ? null : `${(i % 5000) - 2500}.${String(i % 100).padStart(2, '0')}`,
    i % 13 === 0 ? null : i % 2 === 0 ? 'true' : 'false',
    `2024-03-${String((i % 28) + 1).padStart(2, '0')} 10:11:12.${ms}`,
    i % 17 === 0 ? null : `2023-${String((i % 12) + 1).padStart(2, '0')}-15`,
  ];
}

/** What readTable gives back for `row(i)`. */
function expected(i: number): PlainRow {
  const [id, note, amount, flag, ts, d] = row(i);
  return {
    id: id!,
    note: note ?? null,
    amount: amount === null ? null : normalizeNumeric(amount!),
    flag: flag === null ? null : flag === 'true',
    ts: `${ts!.replace(' ', 'T')}000Z`,
    d: d ?? null,
  };
}

/** BigQuery returns NUMERIC without trailing fraction zeros (`-2500.10` → `-2500.1`, `12.00` → `12`). */
function normalizeNumeric(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

describe('bulk path over HTTP (Athena fake for Athena + S3)', () => {
  let stack: Stack;
  let metadata: MetadataServer;
  let fake: AthenaFake;
  let denyS3: Server;
  let denyUrl: string;
  let denyHits = 0;
  const functions: RunningFunction[] = [];

  before(async () => {
    stack = await startStack({ projectId: PROJECT });
    metadata = await startMetadataServer({ projectId: PROJECT });
    fake = await startAthenaFake();
    // An S3 that denies everything, as a bucket policy without s3:GetObject for the role would.
    denyS3 = createServer((req, res) => {
      denyHits++;
      req.resume();
      const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>deny-1</RequestId></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
    });
    await new Promise<void>((r) => denyS3.listen(0, '127.0.0.1', r));
    denyUrl = `http://127.0.0.1:${(denyS3.address() as AddressInfo).port}`;
    const storage = storageClient(stack);
    await storage.createBucket(CONFIG_BUCKET);
    await storage.createBucket(STAGING_BUCKET);
    await bigQueryClient(stack).createDataset(DATASET);
  });

  after(async () => {
    for (const f of functions) await f.stop();
    await fake?.stop();
    if (denyS3) {
      denyS3.closeAllConnections();
      await new Promise((r) => denyS3.close(r));
    }
    await metadata?.stop();
    await stack?.stop();
  });

  /** A function process whose Athena and S3 endpoints are the fake (or S3 = the denying server). */
  async function fn(name: string, yaml: string, s3: 'fake' | 'deny' = 'fake'): Promise<RunningFunction> {
    await storageClient(stack).bucket(CONFIG_BUCKET).file(`${name}.yaml`).save(yaml, { resumable: false });
    const running = await startFunction({
      ...stack.env,
      GCE_METADATA_HOST: metadata.host,
      CONFIG_URI: `gs://${CONFIG_BUCKET}/${name}.yaml`,
      AWS_ENDPOINT_URL_ATHENA: fake.url,
      AWS_ENDPOINT_URL_S3: s3 === 'fake' ? fake.url : denyUrl,
    });
    functions.push(running);
    return running;
  }

  function config(view: string, table: string, extra: { bigquery?: string; transfer?: string } = {}): string {
    return `aws: {account_id: "123456789012", region: us-east-1, iam_role_name: some-role}
athena: {database: default, query: "SELECT * FROM ${view}"}
gcp: {project_id: ${PROJECT}}
bigquery: {dataset_id: ${DATASET}, table_id: ${table}${extra.bigquery ? `, ${extra.bigquery}` : ''}}
${extra.transfer ? `transfer: {${extra.transfer}}\n` : ''}`;
  }

  /** The probe's LIMIT 0 query (if the type probe runs) and the main query, each bound to this view only. */
  function enqueue(view: string, script: Omit<FakeQueryScript, 'match'>): void {
    fake.enqueue({ match: new RegExp(`FROM ${view}\\s*\\) LIMIT 0$`), columns: script.columns, rows: [], states: ['SUCCEEDED'] });
    fake.enqueue({ match: new RegExp(`^SELECT \\* FROM ${view}$`), ...script });
  }

  async function stagedObjects(): Promise<string[]> {
    const [files] = await storageClient(stack).bucket(STAGING_BUCKET).getFiles({ prefix: 'runs/' });
    return files.map((f) => f.name);
  }

  test('auto picks the S3 result file for a multi-page result; every value lands exactly (A5, A6)', async () => {
    const N = 2_500;
    enqueue('bulk_auto', { columns: COLUMNS, rowGenerator: row, rowCount: N });
    const f = await fn('auto', config('bulk_auto', 'auto_rows'));
    const before = fake.calls;
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = res.body.jobs[0];
    assert.equal(job.readPath, 's3_csv');
    assert.equal(job.rows, N);
    assert.equal(job.bigquery.staged, false);
    assert.deepEqual(job.warnings, []);
    assert.equal(fake.calls.S3GetObject - before.S3GetObject, 1, 'one GetObject for the whole result');
    // Page 1 only (column types) for the main query; the probe's LIMIT 0 query may add one.
    assert.ok(fake.calls.GetQueryResults - before.GetQueryResults <= 2, `${fake.calls.GetQueryResults - before.GetQueryResults} GetQueryResults calls`);
    const load = job.steps.find((s: { step: string }) => s.step === 'load');
    assert.equal(load.facts.readPath, 's3_csv');
    assert.match(load.facts.s3.source, /^s3:\/\/athena-results\/fake\/[0-9a-f-]{36}\.csv$/);
    const rows = await readTable(stack, DATASET, 'auto_rows', { orderBy: 'id' });
    assert.equal(rows.length, N);
    assert.deepEqual(rows, Array.from({ length: N }, (_, i) => expected(i)));
    assert.ok(f.logs.some((l) => /"message":"read path chosen".*"readPath":"s3_csv"/.test(l)), 'the chosen path is logged');
    assert.ok(f.logs.some((l) => /"message":"rows converted".*"stage":"s3_csv"/.test(l)), 'progress names the path');
  });

  test('A7: a one-column result with NULLs (empty CSV lines) and "" lands exactly through the CSV', async () => {
    const N = 1_800;
    const cell = (i: number): FakeCell => (i % 3 === 0 ? null : i % 3 === 1 ? '' : `v${i}`);
    enqueue('bulk_one_col', { columns: [{ name: 'only', type: 'varchar' }], rowGenerator: (i) => [cell(i)], rowCount: N });
    const f = await fn('onecol', config('bulk_one_col', 'one_col', { transfer: 'read_path: s3_csv' }));
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.jobs[0].readPath, 's3_csv');
    const rows = await readTable(stack, DATASET, 'one_col');
    const count = (v: FakeCell): number => rows.filter((r) => r.only === v).length;
    assert.equal(rows.length, N);
    assert.equal(count(null), N / 3, 'NULLs stay NULL');
    assert.equal(count(''), N / 3, 'empty strings stay empty strings');
    assert.deepEqual(
      rows.filter((r) => r.only !== null && r.only !== '').map((r) => r.only).sort(),
      Array.from({ length: N }, (_, i) => cell(i)).filter((v) => v !== null && v !== '').sort(),
    );
  });

  test('staged through GCS: all rows exactly once via one gs:// load job, staged objects deleted', async () => {
    const N = 3_000;
    enqueue('bulk_staged', { columns: COLUMNS, rowGenerator: row, rowCount: N });
    const f = await fn('staged', config('bulk_staged', 'staged_rows', { bigquery: `staging_uri: "gs://${STAGING_BUCKET}/runs/", staging_threshold_mb: 0` }));
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = res.body.jobs[0];
    assert.equal(job.readPath, 's3_csv');
    assert.equal(job.rows, N);
    assert.equal(job.bigquery.staged, true);
    assert.equal(job.bigquery.staging.objects, 1);
    assert.ok(job.bigquery.staging.bytes > N * 50, `${job.bigquery.staging.bytes} bytes staged`);
    assert.match(job.bigquery.staging.uri, new RegExp(`^gs://${STAGING_BUCKET}/runs/${job.bigquery.jobId}-[0-9a-f]{8}/$`));
    assert.equal(job.bigquery.staging.cleanedUp, true);
    assert.deepEqual(await stagedObjects(), [], 'nothing left under the staging prefix');
    const [meta] = await bigQueryClient(stack).job(job.bigquery.jobId).getMetadata();
    assert.equal(meta.configuration.load.sourceUris.length, 1, 'one load job from the staged URI');
    assert.match(meta.configuration.load.sourceUris[0], /^gs:\/\/bulk-staging\/runs\/.*\/part-00000\.ndjson$/);
    const rows = await readTable(stack, DATASET, 'staged_rows', { orderBy: 'id' });
    assert.equal(rows.length, N);
    assert.deepEqual(rows, Array.from({ length: N }, (_, i) => expected(i)));
    assert.ok(f.logs.some((l) => /staging NDJSON in GCS/.test(l)));
  });

  test('staged, then a bad value late in the result: nothing loaded, no staged object left', async () => {
    const N = 2_600;
    const bad = (i: number): FakeCell[] => (i === 2_400 ? [...row(i).slice(0, 5), '+10000-01-01'] : row(i));
    enqueue('bulk_staged_bad', { columns: COLUMNS, rowGenerator: bad, rowCount: N });
    const f = await fn('stagedbad', config('bulk_staged_bad', 'staged_bad', { bigquery: `staging_uri: "gs://${STAGING_BUCKET}/runs/", staging_threshold_mb: 0` }));
    const res = await f.post({});
    assert.equal(res.status, 500, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'BAD_RECORDS');
    assert.match(res.body.error.message, /Row 2401, column d/);
    assert.deepEqual(await stagedObjects(), []);
    const [exists] = await bigQueryClient(stack).dataset(DATASET).table('staged_bad').exists();
    assert.equal(exists, false, 'nothing was loaded, and the table this failed run created was dropped again');
  });

  test('S3 denies the result file: auto falls back to paging with a warning, all rows land', async () => {
    const N = 2_200;
    enqueue('bulk_denied', { columns: COLUMNS, rowGenerator: row, rowCount: N });
    const f = await fn('denied', config('bulk_denied', 'denied_rows'), 'deny');
    const hits = denyHits;
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = res.body.jobs[0];
    assert.equal(job.readPath, 'rows');
    assert.equal(job.rows, N);
    assert.ok(denyHits > hits, 'S3 was asked first');
    assert.equal(job.warnings.length, 1, JSON.stringify(job.warnings));
    assert.match(job.warnings[0], /denied.*fell back to paging GetQueryResults/);
    assert.match(job.warnings[0], /s3:GetObject/);
    const rows = await readTable(stack, DATASET, 'denied_rows', { orderBy: 'id' });
    assert.equal(rows.length, N);
    assert.deepEqual(rows, Array.from({ length: N }, (_, i) => expected(i)));
    assert.ok(f.logs.some((l) => /"severity":"WARNING".*falling back to GetQueryResults paging/.test(l)));
  });

  test('S3 denies and read_path is s3_csv: 502 S3_RESULT_READ_FAILED naming the fix, nothing loaded', async () => {
    enqueue('bulk_denied_forced', { columns: COLUMNS, rowGenerator: row, rowCount: 1_500 });
    const f = await fn('deniedforced', config('bulk_denied_forced', 'denied_forced', { transfer: 'read_path: s3_csv' }), 'deny');
    const res = await f.post({});
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'S3_RESULT_READ_FAILED');
    assert.match(res.body.error.hint, /s3:GetObject/);
    const [exists] = await bigQueryClient(stack).dataset(DATASET).table('denied_forced').exists();
    assert.equal(exists, false);
  });
});
