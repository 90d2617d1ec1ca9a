/**
 * The real function over HTTP (functions-framework, built dist/) against the local stack: moto for STS
 * and Athena, fake-gcs-server for the config, bigquery-emulator for the target, our metadata server for
 * the Google identity. Athena states moto cannot produce (FAILED, CANCELLED) come from our wire-level
 * Athena fake. Every test reads BigQuery back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMetadataServer, type MetadataServer } from '../emulators/metadata-server.ts';
import { startAthenaFake, type AthenaFake } from '../emulators/athena-fake.ts';
import { startFunction, type RunningFunction } from '../support/function.ts';
import { bigQueryClient, queueAthenaResult, readTable, startStack, storageClient, type Stack } from '../support/index.ts';

const PROJECT = 'it-project';
const BUCKET = 'it-config';
const ACCOUNT = '123456789012';

function config(dataset: string, table: string, extra = ''): string {
  return `aws: {account_id: "${ACCOUNT}", region: us-east-1, iam_role_name: some-role}
athena: {workgroup: primary, catalog: AwsDataCatalog, database: default, query: "SELECT * FROM active_records_view"}
gcp: {project_id: ${PROJECT}}
bigquery: {dataset_id: ${dataset}, table_id: ${table}${extra}}
`;
}

const ORIGINAL_COLUMNS = [
  { name: 'int_col', type: 'integer' },
  { name: 'string_col', type: 'varchar' },
  { name: 'float_col', type: 'double' },
  { name: 'boolean_col', type: 'boolean' },
];
const ORIGINAL_ROWS = [
  ['1001', 'sample_data_1', '3.14159', 'true'],
  ['1003', 'test_string_3', '1.41421', 'true'],
  ['1005', 'demo_value_5', '2.23607', 'true'],
];
const EXPECTED_ROWS = [
  { int_col: '1001', string_col: 'sample_data_1', float_col: 3.14159, boolean_col: true },
  { int_col: '1003', string_col: 'test_string_3', float_col: 1.41421, boolean_col: true },
  { int_col: '1005', string_col: 'demo_value_5', float_col: 2.23607, boolean_col: true },
];

describe('athenaToBigQuery over HTTP', () => {
  let stack: Stack;
  let metadata: MetadataServer;
  let athenaFake: AthenaFake;
  const functions: RunningFunction[] = [];

  async function uploadConfig(name: string, text: string): Promise<string> {
    await storageClient(stack).bucket(BUCKET).file(name).save(text, { resumable: false });
    return `gs://${BUCKET}/${name}`;
  }

  /** A function process reading `configUri`; `athena: 'fake'` points its Athena client at the wire fake. */
  async function fn(configUri: string, athena: 'moto' | 'fake' = 'moto'): Promise<RunningFunction> {
    const env: Record<string, string> = { ...stack.env, GCE_METADATA_HOST: metadata.host, CONFIG_URI: configUri };
    if (athena === 'fake') env.AWS_ENDPOINT_URL_ATHENA = athenaFake.url;
    const running = await startFunction(env);
    functions.push(running);
    return running;
  }

  /** moto pops one queued result per query: first the type probe's `LIMIT 0` (names and types only), then the main query's. */
  const queueOriginal = async (): Promise<void> => {
    await queueAthenaResult(stack, { accountId: ACCOUNT, columns: ORIGINAL_COLUMNS, rows: [] });
    await queueAthenaResult(stack, { accountId: ACCOUNT, columns: ORIGINAL_COLUMNS, rows: ORIGINAL_ROWS });
  };

  async function tableRows(dataset: string, table: string): Promise<unknown[]> {
    const [exists] = await bigQueryClient(stack).dataset(dataset).table(table).exists();
    return exists ? readTable(stack, dataset, table, { orderBy: 'int_col' }) : [];
  }

  before(async () => {
    stack = await startStack({ projectId: PROJECT });
    metadata = await startMetadataServer({ projectId: PROJECT });
    athenaFake = await startAthenaFake();
    await storageClient(stack).createBucket(BUCKET);
    for (const ds of ['original', 'failures', 'retries']) await bigQueryClient(stack).createDataset(ds);
  });

  after(async () => {
    for (const f of functions) await f.stop();
    await athenaFake?.stop();
    await metadata?.stop();
    await stack?.stop();
  });

  test('the original 3 rows land with exact values and types; a second POST appends (6 rows)', async () => {
    const f = await fn(await uploadConfig('original.yaml', config('original', 'active_records')));
    await queueOriginal();
    const first = await f.post({});
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.success, true);
    assert.equal(first.body.message, 'Successfully transferred 3 rows from Athena to BigQuery');
    assert.match(first.body.timestamp, /^\d{4}-\d\d-\d\dT/);
    const job = first.body.jobs[0];
    assert.match(job.athena.queryExecutionId, /^[0-9a-f-]{36}$/);
    assert.match(job.bigquery.jobId, /^athena_to_bq_default_[0-9a-f]{32}_0$/);
    assert.equal(job.bigquery.tableCreated, true);
    assert.deepEqual(job.steps.map((s: { step: string }) => s.step), ['plan', 'aws_credentials', 'type_probe', 'athena_query', 'schema', 'load']);

    const [meta] = await bigQueryClient(stack).dataset('original').table('active_records').getMetadata();
    assert.deepEqual(
      meta.schema.fields.map((f: { name: string; type: string; mode?: string }) => [f.name, f.type, f.mode ?? 'NULLABLE']),
      [['int_col', 'INTEGER', 'NULLABLE'], ['string_col', 'STRING', 'NULLABLE'], ['float_col', 'FLOAT', 'NULLABLE'], ['boolean_col', 'BOOLEAN', 'NULLABLE']].map(([n, t, m]) => [n, normalizeType(t!, meta.schema.fields), m]),
    );
    assert.deepEqual(await tableRows('original', 'active_records'), EXPECTED_ROWS);

    await queueOriginal();
    const second = await f.post({});
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.rows, 3);
    const rows = await tableRows('original', 'active_records');
    assert.equal(rows.length, 6);
    assert.deepEqual(rows, [EXPECTED_ROWS[0], EXPECTED_ROWS[0], EXPECTED_ROWS[1], EXPECTED_ROWS[1], EXPECTED_ROWS[2], EXPECTED_ROWS[2]]);
    assert.ok(!f.logs.some((l) => /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(l)), 'no token in the logs');
  });

  test('B6: a retry of the same run (same Idempotency-Key) attaches to the finished load instead of loading again', async () => {
    const f = await fn(await uploadConfig('retries.yaml', config('retries', 'once')));
    await queueOriginal();
    const first = await f.post({}, { 'Idempotency-Key': 'run-2026-12-03' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retry = await f.post({}, { 'Idempotency-Key': 'run-2026-12-03' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.jobs[0].bigquery.attached, true);
    assert.equal(retry.body.jobs[0].bigquery.jobId, first.body.jobs[0].bigquery.jobId);
    assert.equal((await tableRows('retries', 'once')).length, 3, 'N rows, not 2N');
  });

  test('a FAILED query answers 502 ATHENA_QUERY_FAILED with Athena\'s reason and writes nothing', async () => {
    const f = await fn(await uploadConfig('failed.yaml', config('failures', 'failed')), 'fake');
    // The type probe's LIMIT 0 query fails first (free); the main query then runs unchanged and fails with the user's own SQL.
    athenaFake.enqueue({ match: /\) LIMIT 0$/, states: ['FAILED'], reason: "TABLE_NOT_FOUND: line 2:15: Table 'awsdatacatalog.default.active_records_view' does not exist" });
    athenaFake.enqueue({ states: ['QUEUED', 'RUNNING', 'FAILED'], reason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.active_records_view' does not exist" });
    const res = await f.post({});
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.success, false);
    assert.equal(res.body.error.code, 'ATHENA_QUERY_FAILED');
    assert.match(res.body.error.message, /TABLE_NOT_FOUND/);
    assert.ok(res.body.error.hint.length > 10);
    assert.equal(res.body.jobs[0].error.step, 'athena_query');
    assert.ok(res.body.jobs[0].athena.queryExecutionId, 'the failed query is named in the report');
    const [exists] = await bigQueryClient(stack).dataset('failures').table('failed').exists();
    assert.equal(exists, false);
  });

  test('A11: a CANCELLED query answers 502 ATHENA_QUERY_CANCELLED at once and writes nothing', async () => {
    const f = await fn(await uploadConfig('cancelled.yaml', config('failures', 'cancelled')), 'fake');
    athenaFake.enqueue({ states: ['RUNNING', 'CANCELLED'], reason: 'Query cancelled by user' });
    const started = Date.now();
    const res = await f.post({});
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'ATHENA_QUERY_CANCELLED');
    assert.ok(Date.now() - started < 15_000);
    const [exists] = await bigQueryClient(stack).dataset('failures').table('cancelled').exists();
    assert.equal(exists, false);
  });

  test('a bad config answers CONFIG_INVALID naming the key and the fix, and runs nothing', async () => {
    const bad = config('failures', 'bad_config').replace('iam_role_name', 'iam_rol_name');
    const f = await fn(await uploadConfig('bad.yaml', bad), 'fake');
    const before = athenaFake.executionsStarted;
    const res = await f.post({});
    assert.equal(res.status, 500, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'CONFIG_INVALID');
    assert.match(res.body.error.message, /aws\.iam_rol_name/);
    assert.match(res.body.error.hint, /iam_role_name/);
    assert.equal(athenaFake.executionsStarted, before);
    const [exists] = await bigQueryClient(stack).dataset('failures').table('bad_config').exists();
    assert.equal(exists, false);
  });

  test('a missing dataset fails before any Athena query runs (nothing is billed), naming the fix', async () => {
    const f = await fn(await uploadConfig('no-dataset.yaml', config('no_such_dataset', 't')), 'fake');
    const before = athenaFake.executionsStarted;
    const res = await f.post({});
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'BIGQUERY_ERROR');
    assert.match(res.body.error.message, /no_such_dataset/);
    assert.match(res.body.error.hint, /bq mk --dataset/);
    assert.equal(res.body.jobs[0].error.step, 'plan');
    assert.equal(athenaFake.executionsStarted, before, 'no Athena query was started');
  });

  test('a missing config object answers CONFIG_NOT_FOUND with the URI', async () => {
    const f = await fn(`gs://${BUCKET}/nope.yaml`, 'fake');
    const res = await f.post({});
    assert.equal(res.body.error.code, 'CONFIG_NOT_FOUND');
    assert.match(res.body.error.message, /gs:\/\/it-config\/nope\.yaml/);
  });

  test('GET answers 405 with a JSON body; an unknown body field answers 400', async () => {
    const f = await fn(`gs://${BUCKET}/original.yaml`, 'fake');
    const get = await fetch(f.url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const body = (await get.json()) as { success: boolean; error: { code: string } };
    assert.equal(body.success, false);
    assert.equal(body.error.code, 'METHOD_NOT_ALLOWED');
    const bad = await f.post({ query: 'DROP TABLE x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'REQUEST_INVALID');
  });
});

/** The emulator answers legacy type names (INTEGER, FLOAT, BOOLEAN) or standard ones; accept what it uses. */
function normalizeType(legacy: string, fields: { type: string }[]): string {
  const standard: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', STRING: 'STRING' };
  const usesStandard = fields.some((f) => ['INT64', 'FLOAT64', 'BOOL'].includes(f.type));
  return usesStandard ? standard[legacy]! : legacy;
}
