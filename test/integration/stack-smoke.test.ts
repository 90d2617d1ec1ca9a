/**
 * Proves the local emulator stack answers through the official SDKs, the way the function will call it:
 * STS web identity on moto, an Athena round trip with queued rows (and its S3 result CSV), a GCS object
 * with a create-only precondition on fake-gcs-server, and a BigQuery NDJSON load job read back exactly.
 * Needs `bash scripts/stack/install.sh` once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { queueAthenaResult, setAthenaTransition } from '../support/athena.ts';
import { loadNdjson, readTable } from '../support/bigquery.ts';
import { athenaClient, bigQueryClient, s3Client, storageClient, stsClient } from '../support/clients.ts';
import type { AwsTestCredentials } from '../support/clients.ts';
import { startStack } from '../support/stack.ts';
import type { Stack } from '../support/stack.ts';

const roleAccount = '210987654321';
const roleArn = `arn:aws:iam::${roleAccount}:role/athena-reader`;
let stack: Stack;
let credentials: AwsTestCredentials;

before(async () => {
  stack = await startStack({ projectId: 'smoke-project' });
  // moto validates no token: any JWT-shaped text is accepted (DESIGN §8).
  const out = await stsClient(stack).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn,
      RoleSessionName: 'stack-smoke',
      WebIdentityToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMDAifQ.c2ln',
      DurationSeconds: 900,
    }),
  );
  const c = out.Credentials;
  assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken, 'STS returned credentials');
  credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
});

after(async () => {
  await stack?.stop();
});

describe('moto: STS', () => {
  test('assumed-role credentials belong to the role ARN account', async () => {
    const who = await stsClient(stack, credentials).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, roleAccount);
    assert.equal(who.Arn, `arn:aws:sts::${roleAccount}:assumed-role/athena-reader/stack-smoke`);
  });
});

describe('moto: Athena', () => {
  const columns = [
    { name: 'int_col', type: 'integer' },
    { name: 'string_col', type: 'varchar' },
    { name: 'float_col', type: 'double' },
    { name: 'boolean_col', type: 'boolean' },
  ];
  const rows = [
    ['1001', 'sample_data_1', '3.14159', 'true'],
    ['1003', null, '1.41421', 'true'],
    ['1005', '', 'NaN', null],
  ];

  test('queued rows come back from GetQueryResults and the S3 result CSV', async () => {
    await s3Client(stack, credentials).send(new CreateBucketCommand({ Bucket: 'smoke-results' }));
    await queueAthenaResult(stack, { accountId: roleAccount, columns, rows });
    const athena = athenaClient(stack, credentials);
    const { QueryExecutionId: id } = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: 'SELECT * FROM active_records_view',
        WorkGroup: 'primary',
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'demo' },
        ResultConfiguration: { OutputLocation: 's3://smoke-results/athena' },
      }),
    );
    assert.ok(id);
    const execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    assert.equal(execution?.Status?.State, 'SUCCEEDED');
    assert.equal(execution?.ResultConfiguration?.OutputLocation, `s3://smoke-results/athena/${id}.csv`);
    assert.equal(execution?.Statistics?.DataScannedInBytes, 0);

    const result = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    const cells = (result.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
    assert.deepEqual(cells, [columns.map((c) => c.name), ...rows]);
    assert.deepEqual(
      result.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => [c.Name, c.Type, c.Precision, c.Nullable]),
      [['int_col', 'integer', 10, 'UNKNOWN'], ['string_col', 'varchar', 2147483647, 'UNKNOWN'],
        ['float_col', 'double', 17, 'UNKNOWN'], ['boolean_col', 'boolean', 0, 'UNKNOWN']],
    );
    assert.equal(result.NextToken, undefined);

    const object = await s3Client(stack, credentials).send(
      new GetObjectCommand({ Bucket: 'smoke-results', Key: `athena/${id}.csv` }),
    );
    assert.equal(
      await object.Body?.transformToString(),
      '"int_col","string_col","float_col","boolean_col"\n' +
        '"1001","sample_data_1","3.14159","true"\n"1003",,"1.41421","true"\n"1005","","NaN",\n',
    );
  });

  test('a query held RUNNING by a manual transition ends CANCELLED after StopQueryExecution', async (t) => {
    t.after(() => setAthenaTransition(stack, null));
    const athena = athenaClient(stack, credentials);
    const state = async (id: string): Promise<string | undefined> =>
      (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State;
    await setAthenaTransition(stack, { progression: 'manual', times: 1 });
    const { QueryExecutionId: id } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }));
    assert.ok(id);
    assert.equal(await state(id), 'RUNNING');
    await setAthenaTransition(stack, { progression: 'manual', times: 1e9 });
    assert.equal(await state(id), 'RUNNING');
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    assert.equal(await state(id), 'CANCELLED');
  });
});

describe('fake-gcs-server: GCS', () => {
  test('object round trip, and ifGenerationMatch: 0 refuses to overwrite', async () => {
    const bucket = storageClient(stack).bucket('smoke-bucket');
    await bucket.create();
    const file = bucket.file('locks/run.json');
    await file.save('{"owner":"a"}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [body] = await file.download();
    assert.equal(body.toString('utf8'), '{"owner":"a"}');
    await assert.rejects(
      file.save('{"owner":"b"}', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      (error: { code?: number }) => error.code === 412,
    );
  });
});

describe('bigquery-emulator: BigQuery', () => {
  const cases: Array<{ column: string; type: string; mode?: string; sent: unknown; readBack: unknown }> = [
    { column: 'i', type: 'INT64', sent: '9223372036854775807', readBack: '9223372036854775807' },
    { column: 'n', type: 'NUMERIC', sent: '-12345678901234567890123456789.123456789', readBack: '-12345678901234567890123456789.123456789' },
    { column: 'bn', type: 'BIGNUMERIC', sent: '0.00000000000000000000000000000000000001', readBack: '0.00000000000000000000000000000000000001' },
    { column: 'f', type: 'FLOAT64', sent: '-Infinity', readBack: '-Infinity' },
    { column: 'b', type: 'BOOL', sent: true, readBack: true },
    { column: 's', type: 'STRING', sent: 'sample_data_1 "é"\n', readBack: 'sample_data_1 "é"\n' },
    { column: 'd', type: 'DATE', sent: '2024-02-29', readBack: '2024-02-29' },
    { column: 't', type: 'TIME', sent: '23:59:59.999999', readBack: '23:59:59.999999' },
    { column: 'ts', type: 'TIMESTAMP', sent: '2024-01-02T03:04:05.123456Z', readBack: '2024-01-02T03:04:05.123456Z' },
    { column: 'j', type: 'JSON', sent: '{"a":[1,null]}', readBack: '{"a":[1,null]}' },
    { column: 'ri', type: 'INT64', mode: 'REPEATED', sent: ['1', '-9223372036854775808'], readBack: ['1', '-9223372036854775808'] },
  ];

  test('an NDJSON load job with a deterministic id reads back exactly', async () => {
    const bigquery = bigQueryClient(stack);
    const [dataset] = await bigquery.createDataset('smoke_dataset');
    await dataset.createTable('all_types', {
      schema: { fields: cases.map((c) => ({ name: c.column, type: c.type, mode: c.mode ?? 'NULLABLE' })) },
    });
    const row = Object.fromEntries(cases.map((c) => [c.column, c.sent]));
    const job = await loadNdjson(stack, 'smoke_dataset', 'all_types', `${JSON.stringify(row)}\n`, {
      writeDisposition: 'WRITE_APPEND',
      jobId: 'smoke-load-1',
    });
    assert.deepEqual(job.jobReference, { jobId: 'smoke-load-1', projectId: 'smoke-project' });
    assert.deepEqual(job.status, { state: 'DONE' });

    const rows = await readTable(stack, 'smoke_dataset', 'all_types');
    assert.equal(rows.length, 1);
    for (const c of cases) assert.deepEqual(rows[0]?.[c.column], c.readBack, `column ${c.column} (${c.type})`);
  });
});
