import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';

import { readResultCsv, type ResultRow } from '../../src/athena/csv-reader.ts';
import {
  fileResultWriter,
  startAthenaFake,
  type AthenaFake,
  type FakeCell,
  type FakeQueryScript,
  type ResultWriter,
} from '../emulators/athena-fake.ts';

const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
const TOKEN_A = 'run-key-0123456789abcdef0123456789abcdef';
const TOKEN_B = 'run-key-fedcba9876543210fedcba9876543210';

let fake: AthenaFake;
let athena: AthenaClient;
let s3: S3Client;

function client(maxAttempts?: number): AthenaClient {
  return new AthenaClient({ endpoint: fake.url, region: 'us-east-1', credentials, ...(maxAttempts ? { maxAttempts } : {}) });
}

async function start(sql = 'SELECT * FROM t', token?: string, extra: { OutputLocation?: string } = {}): Promise<string> {
  const out = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      ClientRequestToken: token,
      WorkGroup: 'primary',
      QueryExecutionContext: { Database: 'db', Catalog: 'AwsDataCatalog' },
      ...(extra.OutputLocation ? { ResultConfiguration: { OutputLocation: extra.OutputLocation } } : {}),
    }),
  );
  assert.ok(out.QueryExecutionId);
  return out.QueryExecutionId;
}

async function poll(id: string): Promise<QueryExecution> {
  const out = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
  assert.ok(out.QueryExecution);
  return out.QueryExecution;
}

async function pollUntilDone(id: string): Promise<{ states: string[]; execution: QueryExecution }> {
  const states: string[] = [];
  for (let k = 0; k < 20; k++) {
    const execution = await poll(id);
    const state = execution.Status?.State ?? 'MISSING';
    states.push(state);
    if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return { states, execution };
  }
  assert.fail(`query ${id} did not finish: ${states.join(', ')}`);
}

async function allPages(id: string, maxResults?: number): Promise<GetQueryResultsCommandOutput[]> {
  const pages: GetQueryResultsCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: maxResults }));
    pages.push(page);
    token = page.NextToken;
    // A paging bug must fail the test, not loop forever.
    assert.ok(pages.length <= 100, 'more than 100 pages');
  } while (token !== undefined);
  return pages;
}

const cells = (page: GetQueryResultsCommandOutput): FakeCell[][] =>
  (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => (d.VarCharValue === undefined ? null : d.VarCharValue)));

const numbered = (i: number): FakeCell[] => [String(i), i % 7 === 0 ? null : `row "${i}", ok\nü`];

async function errorOf(promise: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error as Error & { name: string };
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  fake = await startAthenaFake();
  athena = client();
  s3 = new S3Client({ endpoint: fake.url, region: 'us-east-1', credentials, forcePathStyle: true });
});
after(async () => {
  athena.destroy();
  s3.destroy();
  await fake.stop();
});
beforeEach(() => {
  assert.equal(fake.pendingScripts, 0, 'a previous test left a script unclaimed');
});

describe('GetQueryResults paging', () => {
  const cases: { name: string; rows: number; maxResults?: number; pageSizes: number[] }[] = [
    { name: '2500 rows, default MaxResults 1000: header counts on page 1', rows: 2500, pageSizes: [1000, 1000, 501] },
    { name: '999 rows fit page 1 with the header exactly', rows: 999, pageSizes: [1000] },
    { name: '1000 rows need a second page of one row', rows: 1000, pageSizes: [1000, 1] },
    { name: '25 rows with MaxResults 10', rows: 25, maxResults: 10, pageSizes: [10, 10, 6] },
    { name: 'MaxResults 1: page 1 is only the header', rows: 2, maxResults: 1, pageSizes: [1, 1, 1] },
    { name: 'zero rows: the header alone', rows: 0, pageSizes: [1] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      fake.enqueue({ columns: ['n', 'text'], rowGenerator: numbered, rowCount: c.rows, states: ['SUCCEEDED'] });
      const id = await start();
      await pollUntilDone(id);
      const pages = await allPages(id, c.maxResults);
      assert.deepEqual(pages.map((p) => p.ResultSet?.Rows?.length), c.pageSizes);
      // NextToken on every page but the last; ColumnInfo on every page.
      assert.deepEqual(pages.map((p) => p.NextToken !== undefined), c.pageSizes.map((_, k) => k < c.pageSizes.length - 1));
      for (const p of pages) assert.deepEqual(p.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((ci) => ci.Name), ['n', 'text']);
      const rows = pages.flatMap(cells);
      assert.deepEqual(rows[0], ['n', 'text'], 'page 1 starts with the header');
      assert.deepEqual(rows.slice(1), Array.from({ length: c.rows }, (_, i) => numbered(i)), 'no header on later pages');
    });
  }

  it('a UTILITY statement has no header row (A1)', async () => {
    fake.enqueue({ columns: ['tab_name'], rows: [['orders'], ['customers']], states: ['SUCCEEDED'], statementType: 'UTILITY', substatementType: 'SHOW_TABLES' });
    const id = await start('SHOW TABLES');
    const { execution } = await pollUntilDone(id);
    assert.equal(execution.StatementType, 'UTILITY');
    assert.equal(execution.SubstatementType, 'SHOW_TABLES');
    assert.match(execution.ResultConfiguration?.OutputLocation ?? '', /\.txt$/);
    assert.deepEqual((await allPages(id)).flatMap(cells), [['orders'], ['customers']]);
  });

  it('NULL is a Datum without VarCharValue, "" has VarCharValue "" (A3, A4)', async () => {
    fake.enqueue({ columns: ['s'], rows: [[''], [null]], states: ['SUCCEEDED'] });
    const id = await start();
    await pollUntilDone(id);
    const [page] = await allPages(id);
    assert.deepEqual(page?.ResultSet?.Rows?.slice(1), [{ Data: [{ VarCharValue: '' }] }, { Data: [{}] }]);
  });

  it('ColumnInfo: bare type names, decimal precision/scale, Nullable UNKNOWN', async () => {
    fake.enqueue({
      columns: [
        { name: 'd', type: 'decimal(10,2)' },
        { name: 'a', type: 'array(row(x integer))' },
        { name: 'ts', type: 'timestamp(6)' },
        { name: 'tz', type: 'timestamp(3) with time zone' },
        { name: 'b', type: 'bigint' },
        'v',
      ],
      rows: [],
      states: ['SUCCEEDED'],
    });
    const id = await start();
    await pollUntilDone(id);
    const [page] = await allPages(id);
    const info = page?.ResultSet?.ResultSetMetadata?.ColumnInfo?.map((c) => [c.Name, c.Type, c.Precision, c.Scale, c.Nullable, c.CaseSensitive]);
    assert.deepEqual(info, [
      ['d', 'decimal', 10, 2, 'UNKNOWN', false],
      ['a', 'array', 0, 0, 'UNKNOWN', false],
      ['ts', 'timestamp', 6, 0, 'UNKNOWN', false],
      ['tz', 'timestamp with time zone', 3, 0, 'UNKNOWN', false],
      ['b', 'bigint', 19, 0, 'UNKNOWN', false],
      ['v', 'varchar', 2147483647, 0, 'UNKNOWN', true],
    ]);
  });

  const badRequests: { name: string; input: (id: string) => { MaxResults?: number; NextToken?: string }; message: RegExp }[] = [
    { name: 'MaxResults 1001', input: () => ({ MaxResults: 1001 }), message: /maxResults.*between 1 and 1000/ },
    { name: 'MaxResults 0', input: () => ({ MaxResults: 0 }), message: /maxResults/ },
    { name: 'a forged NextToken', input: () => ({ NextToken: 'bm90LWEtdG9rZW4' }), message: /NextToken is invalid/ },
  ];
  for (const c of badRequests) {
    it(`${c.name} is an InvalidRequestException`, async () => {
      fake.enqueue({ columns: ['n'], rows: [['1']], states: ['SUCCEEDED'] });
      const id = await start();
      await pollUntilDone(id);
      const error = await errorOf(athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, ...c.input(id) })));
      assert.ok(error instanceof InvalidRequestException, String(error));
      assert.match(error.message, c.message);
    });
  }

  it('a NextToken of another execution is rejected', async () => {
    fake.enqueue({ columns: ['n'], rowGenerator: (i) => [String(i)], rowCount: 5, states: ['SUCCEEDED'] });
    fake.enqueue({ columns: ['n'], rowGenerator: (i) => [String(i)], rowCount: 5, states: ['SUCCEEDED'] });
    const [a, b] = [await start(), await start()];
    await pollUntilDone(a);
    await pollUntilDone(b);
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: a, MaxResults: 2 }));
    assert.ok(page.NextToken);
    const error = await errorOf(athena.send(new GetQueryResultsCommand({ QueryExecutionId: b, NextToken: page.NextToken })));
    assert.ok(error instanceof InvalidRequestException);
  });
});

describe('query lifecycle', () => {
  it('states advance one per GetQueryExecution; results only once SUCCEEDED', async () => {
    fake.enqueue({ columns: ['n'], rows: [['1']], dataScannedBytes: 10_485_760, engineExecutionTimeMs: 2000, queueTimeMs: 300 });
    const id = await start('SELECT n FROM t', undefined, { OutputLocation: 's3://results-bucket/athena/' });
    const early = await errorOf(athena.send(new GetQueryResultsCommand({ QueryExecutionId: id })));
    assert.ok(early instanceof InvalidRequestException);
    assert.equal(early.message, 'Query has not yet finished. Current state: QUEUED');
    assert.equal(early.$metadata?.httpStatusCode, 400);
    const { states, execution } = await pollUntilDone(id);
    assert.deepEqual(states, ['QUEUED', 'RUNNING', 'SUCCEEDED']);
    assert.equal(execution.ResultConfiguration?.OutputLocation, `s3://results-bucket/athena/${id}.csv`);
    assert.equal(execution.StatementType, 'DML');
    assert.equal(execution.SubstatementType, 'SELECT');
    assert.equal(execution.Query, 'SELECT n FROM t');
    assert.equal(execution.WorkGroup, 'primary');
    assert.deepEqual(execution.QueryExecutionContext, { Database: 'db', Catalog: 'AwsDataCatalog' });
    assert.ok(execution.Status?.SubmissionDateTime instanceof Date);
    assert.ok(execution.Status?.CompletionDateTime instanceof Date);
    assert.equal(execution.Statistics?.DataScannedInBytes, 10_485_760);
    assert.equal(execution.Statistics?.EngineExecutionTimeInMillis, 2000);
    assert.equal(execution.Statistics?.QueryQueueTimeInMillis, 300);
    assert.equal(execution.Statistics?.TotalExecutionTimeInMillis, 2350);
    assert.deepEqual((await allPages(id)).flatMap(cells), [['n'], ['1']]);
  });

  it('RUNNING can go back to QUEUED', async () => {
    fake.enqueue({ columns: ['n'], rows: [], states: ['QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'SUCCEEDED'] });
    const { states } = await pollUntilDone(await start());
    assert.deepEqual(states, ['QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'SUCCEEDED']);
  });

  it('FAILED carries StateChangeReason and AthenaError; results are refused', async () => {
    const reason = "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved";
    fake.enqueue({
      columns: ['x'],
      states: ['QUEUED', 'FAILED'],
      reason,
      athenaError: { errorCategory: 2, errorType: 1006, retryable: false },
    });
    const id = await start('SELECT x FROM t');
    const { states, execution } = await pollUntilDone(id);
    assert.deepEqual(states, ['QUEUED', 'FAILED']);
    assert.equal(execution.Status?.StateChangeReason, reason);
    assert.deepEqual(execution.Status?.AthenaError, { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: reason });
    const error = await errorOf(athena.send(new GetQueryResultsCommand({ QueryExecutionId: id })));
    assert.ok(error instanceof InvalidRequestException);
    assert.match(error.message, /FAILED/);
  });

  it('FAILED without an explicit AthenaError gets USER / 1000', async () => {
    fake.enqueue({ states: ['FAILED'], reason: 'boom' });
    const { execution } = await pollUntilDone(await start());
    assert.deepEqual(execution.Status?.AthenaError, { ErrorCategory: 2, ErrorType: 1000, Retryable: false, ErrorMessage: 'boom' });
  });

  it('StopQueryExecution cancels a running query; stopping again is a no-op', async () => {
    fake.enqueue({ columns: ['n'], rows: [['1']], states: ['QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED'], dataScannedBytes: 42 });
    const id = await start();
    assert.equal((await poll(id)).Status?.State, 'QUEUED');
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    const execution = await poll(id);
    assert.equal(execution.Status?.State, 'CANCELLED');
    assert.equal(execution.Statistics?.DataScannedInBytes, 42, 'cancelled queries are billed for what they scanned');
    assert.equal((await poll(id)).Status?.State, 'CANCELLED', 'CANCELLED sticks');
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    assert.equal(fake.execution(id)?.state, 'CANCELLED');
    const error = await errorOf(athena.send(new GetQueryResultsCommand({ QueryExecutionId: id })));
    assert.ok(error instanceof InvalidRequestException);
  });

  it('stopping a SUCCEEDED query changes nothing', async () => {
    fake.enqueue({ columns: ['n'], rows: [['1']], states: ['SUCCEEDED'] });
    const id = await start();
    await pollUntilDone(id);
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    assert.equal((await poll(id)).Status?.State, 'SUCCEEDED');
  });

  it('a script can end in CANCELLED, and setState cancels from outside (A11)', async () => {
    fake.enqueue({ states: ['RUNNING', 'CANCELLED'], reason: 'Query was cancelled by the user' });
    const scripted = await pollUntilDone(await start());
    assert.deepEqual(scripted.states, ['RUNNING', 'CANCELLED']);
    assert.equal(scripted.execution.Status?.StateChangeReason, 'Query was cancelled by the user');

    fake.enqueue({ columns: ['n'], rows: [] });
    const id = await start();
    assert.equal((await poll(id)).Status?.State, 'QUEUED');
    fake.setState(id, 'CANCELLED');
    assert.equal((await poll(id)).Status?.State, 'CANCELLED');
  });

  it('an unknown QueryExecutionId is an InvalidRequestException', async () => {
    const error = await errorOf(athena.send(new GetQueryExecutionCommand({ QueryExecutionId: 'no-such-id' })));
    assert.ok(error instanceof InvalidRequestException);
    assert.equal(error.message, 'QueryExecution no-such-id was not found');
  });

  it('a query without a script fails loudly', async () => {
    const error = await errorOf(athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' })));
    assert.ok(error instanceof InvalidRequestException);
    assert.match(error.message, /no script for query "SELECT 1"/);
  });

  it('scripts are claimed by SQL match first, then in order', async () => {
    fake.enqueue({ columns: ['which'], rows: [['first']], states: ['SUCCEEDED'] });
    fake.enqueue({ match: /FROM orders/, columns: ['which'], rows: [['orders']], states: ['SUCCEEDED'] });
    fake.enqueue({ columns: ['which'], rows: [['second']], states: ['SUCCEEDED'] });
    const ids = [await start('SELECT * FROM other'), await start('SELECT * FROM orders'), await start('SELECT * FROM x')];
    const seen: FakeCell[][] = [];
    for (const id of ids) {
      await pollUntilDone(id);
      seen.push(...(await allPages(id)).flatMap(cells).slice(1));
    }
    assert.deepEqual(seen, [['first'], ['orders'], ['second']]);
  });

  it('a workgroup-enforced outputLocation overrides the request', async () => {
    fake.enqueue({ columns: ['n'], rows: [], states: ['SUCCEEDED'], outputLocation: 's3://wg-bucket/enforced' });
    const id = await start('SELECT 1', undefined, { OutputLocation: 's3://mine/' });
    assert.equal((await poll(id)).ResultConfiguration?.OutputLocation, `s3://wg-bucket/enforced/${id}.csv`);
  });

  it('rejects inconsistent scripts', () => {
    const bad: FakeQueryScript[] = [
      { states: ['QUEUED'] },
      { states: ['SUCCEEDED', 'RUNNING', 'SUCCEEDED'] },
      { columns: ['a', 'b'], rows: [['1']] },
      { rowGenerator: () => [] },
      { rows: [], rowGenerator: () => [], rowCount: 0 },
    ];
    for (const script of bad) assert.throws(() => fake.enqueue(script), /athena-fake:/, JSON.stringify(script.states));
    assert.equal(fake.pendingScripts, 0);
  });
});

describe('ClientRequestToken idempotency', () => {
  it('the same token returns the same execution and starts nothing new', async () => {
    fake.enqueue({ columns: ['n'], rows: [['1']] });
    fake.enqueue({ columns: ['n'], rows: [['2']] });
    const startedBefore = fake.executionsStarted;
    const first = await start('SELECT n FROM t', TOKEN_A);
    const again = await start('SELECT n FROM t', TOKEN_A);
    assert.equal(again, first);
    assert.equal(fake.executionsStarted, startedBefore + 1);
    assert.equal(fake.pendingScripts, 1, 'the replay did not consume a script');
    const other = await start('SELECT n FROM t', TOKEN_B);
    assert.notEqual(other, first);
    assert.equal(fake.executionsStarted, startedBefore + 2);
    assert.equal(fake.execution(first)?.clientRequestToken, TOKEN_A);
  });

  it('the same token with another query string is refused', async () => {
    fake.enqueue({ columns: ['n'], rows: [] });
    const token = 'run-key-11111111111111111111111111111111';
    await start('SELECT n FROM t', token);
    const error = await errorOf(start('SELECT other FROM t', token));
    assert.ok(error instanceof InvalidRequestException);
    assert.match(error.message, /ClientRequestToken was already used/);
  });

  it('a token shorter than 32 characters is refused', async () => {
    const error = await errorOf(start('SELECT 1', 'too-short'));
    assert.ok(error instanceof InvalidRequestException);
  });
});

describe('throttling', () => {
  it('ThrottlingException reaches a client without retries, with the SDK error shape', async () => {
    const noRetry = client(1);
    try {
      fake.enqueue({ columns: ['n'], rows: [], throttleFirst: { StartQueryExecution: 1, GetQueryExecution: 1 } });
      const error = await errorOf(noRetry.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: TOKEN_A + 'x' })));
      assert.equal(error.name, 'ThrottlingException');
      assert.equal(error.message, 'Rate exceeded');
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.equal(fake.pendingScripts, 1, 'a throttled start does not consume the script');
      const id = (await noRetry.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: TOKEN_A + 'x' }))).QueryExecutionId!;
      const pollError = await errorOf(noRetry.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      assert.equal(pollError.name, 'ThrottlingException');
      assert.equal((await noRetry.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State, 'QUEUED');
    } finally {
      noRetry.destroy();
    }
  });

  it('TooManyRequestsException is the modelled Athena error with its Reason', async () => {
    const noRetry = client(1);
    try {
      fake.enqueue({ columns: ['n'], rows: [], throttleFirst: { StartQueryExecution: 1 }, throttleError: 'TooManyRequestsException' });
      const error = await errorOf(noRetry.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' })));
      assert.ok(error instanceof TooManyRequestsException);
      assert.equal(error.Reason, 'CONCURRENT_QUERY_LIMIT_EXCEEDED');
      await noRetry.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }));
    } finally {
      noRetry.destroy();
    }
  });

  it('the SDK retry classifier sees THROTTLING; retried calls succeed and start one execution', async () => {
    // A retry strategy without backoff (the SDK's standard one waits ~0.5 s per throttled attempt);
    // which errors are retried is still decided by the SDK's own classifier (errorInfo.errorType).
    const errorTypes: string[] = [];
    const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
    const fast = new AthenaClient({
      endpoint: fake.url,
      region: 'us-east-1',
      credentials,
      retryStrategy: {
        acquireInitialRetryToken: async () => token(0),
        refreshRetryTokenForRetry: async (previous, info) => {
          errorTypes.push(info.errorType);
          if (info.errorType !== 'THROTTLING' || previous.getRetryCount() >= 2) throw new Error('no retry');
          return token(previous.getRetryCount() + 1);
        },
        recordSuccess: () => {},
      },
    });
    try {
      fake.enqueue({ columns: ['n'], rows: [['1'], ['2']], states: ['SUCCEEDED'], throttleFirst: 2 });
      const before = fake.calls;
      const startedBefore = fake.executionsStarted;
      const id = (await fast.send(new StartQueryExecutionCommand({ QueryString: 'SELECT n', ClientRequestToken: TOKEN_A + 'retry' })))
        .QueryExecutionId!;
      assert.equal((await fast.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State, 'SUCCEEDED');
      const page = await fast.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
      assert.deepEqual(cells(page), [['n'], ['1'], ['2']]);
      await fast.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      const calls = fake.calls;
      assert.equal(calls.StartQueryExecution - before.StartQueryExecution, 3);
      assert.equal(calls.GetQueryExecution - before.GetQueryExecution, 3);
      assert.equal(calls.GetQueryResults - before.GetQueryResults, 3);
      assert.equal(calls.StopQueryExecution - before.StopQueryExecution, 3);
      assert.deepEqual(errorTypes, Array(8).fill('THROTTLING'));
      assert.equal(fake.executionsStarted, startedBefore + 1);
    } finally {
      fast.destroy();
    }
  });

  it("the SDK's default retry strategy rides out a throttled StartQueryExecution", async () => {
    fake.enqueue({ columns: ['n'], rows: [], states: ['SUCCEEDED'], throttleFirst: { StartQueryExecution: 1 } });
    const before = fake.calls.StartQueryExecution;
    const id = await start('SELECT n', TOKEN_B + 'retry');
    assert.equal(fake.calls.StartQueryExecution - before, 2);
    assert.equal(fake.execution(id)?.clientRequestToken, TOKEN_B + 'retry', 'the retry reused the token');
  });
});

describe('latency', () => {
  it('latencyMs delays every answer about the query', async () => {
    fake.enqueue({ columns: ['n'], rows: [], states: ['SUCCEEDED'], latencyMs: 60 });
    const t0 = performance.now();
    const id = await start();
    await poll(id);
    assert.ok(performance.now() - t0 >= 110, 'two calls, each at least 60 ms');
  });
});

describe('result file in S3', () => {
  const columns = ['id', 'text'];
  const tricky: FakeCell[][] = [
    ['1', 'He said "hi"'],
    ['2', 'first line\nsecond, line'],
    ['3', ''],
    ['4', null],
    [null, '😀 ü'],
  ];

  async function s3Rows(uri: string): Promise<ResultRow[]> {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
    const out = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
    const rows: ResultRow[] = [];
    for await (const batch of readResultCsv(out.Body as AsyncIterable<Uint8Array>, { columns, sourceName: uri })) rows.push(...batch);
    return rows;
  }

  it('GetObject through @aws-sdk/client-s3: the exact Athena CSV, parsed back equal to the served rows', async () => {
    fake.enqueue({ columns, rows: tricky, states: ['RUNNING', 'SUCCEEDED'] });
    const id = await start('SELECT id, text FROM t', undefined, { OutputLocation: 's3://results/prefix/' });
    const uri = `s3://results/prefix/${id}.csv`;
    const [, , bucket, ...key] = uri.split('/');
    const missing = await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') })));
    assert.ok(missing instanceof NoSuchKey, 'no file before SUCCEEDED');
    await pollUntilDone(id);
    const raw = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }))).Body!.transformToString();
    assert.equal(raw, '"id","text"\n"1","He said ""hi"""\n"2","first line\nsecond, line"\n"3",""\n"4",\n,"😀 ü"\n');
    const served = (await allPages(id)).flatMap(cells).slice(1);
    assert.deepEqual(await s3Rows(uri), served);
    assert.deepEqual(served, tricky);
  });

  it('HeadObject and ranged GetObject agree with the body', async () => {
    fake.enqueue({ columns, rows: tricky, states: ['SUCCEEDED'] });
    const id = await start();
    await pollUntilDone(id);
    const key = `fake/${id}.csv`;
    const full = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'athena-results', Key: key }))).Body!.transformToByteArray());
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'athena-results', Key: key }));
    assert.equal(head.ContentLength, full.byteLength);
    const part = await s3.send(new GetObjectCommand({ Bucket: 'athena-results', Key: key, Range: 'bytes=5-20' }));
    assert.equal(part.ContentRange, `bytes 5-20/${full.byteLength}`);
    assert.deepEqual(Buffer.from(await part.Body!.transformToByteArray()), full.subarray(5, 21));
  });

  it('resultWriter receives the same file, complete before SUCCEEDED is reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'athena-fake-'));
    let writerDone = false;
    const toFile = fileResultWriter(dir);
    const slowWriter: ResultWriter = async (target, body) => {
      await toFile(target, body);
      await new Promise((resolve) => setTimeout(resolve, 100));
      writerDone = true;
    };
    const writing = await startAthenaFake({ resultWriter: slowWriter, outputLocation: 's3://wg/out/' });
    const c = new AthenaClient({ endpoint: writing.url, region: 'us-east-1', credentials });
    try {
      writing.enqueue({ columns, rowGenerator: (i) => tricky[i % tricky.length]!, rowCount: 5000, states: ['SUCCEEDED'] });
      const id = (await c.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }))).QueryExecutionId!;
      const state = (await c.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State;
      assert.equal(state, 'SUCCEEDED');
      assert.equal(writerDone, true, 'SUCCEEDED was reported before the writer finished');
      const path = join(dir, 'wg', 'out', `${id}.csv`);
      const rows: ResultRow[] = [];
      for await (const batch of readResultCsv(createReadStream(path), { columns })) rows.push(...batch);
      assert.equal(rows.length, 5000);
      assert.deepEqual(rows.slice(0, 5), tricky);
      const parts: Uint8Array[] = [];
      for await (const part of writing.resultCsv(id)) parts.push(part);
      assert.deepEqual(await readFile(path), Buffer.concat(parts));
    } finally {
      c.destroy();
      await writing.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing resultWriter turns the query FAILED (error type 401)', async () => {
    const failing = await startAthenaFake({ resultWriter: async () => Promise.reject(new Error('disk full')) });
    const c = new AthenaClient({ endpoint: failing.url, region: 'us-east-1', credentials });
    try {
      failing.enqueue({ columns, rows: tricky, states: ['SUCCEEDED'] });
      const id = (await c.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }))).QueryExecutionId!;
      const status = (await c.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status;
      assert.equal(status?.State, 'FAILED');
      assert.equal(status?.AthenaError?.ErrorType, 401);
    } finally {
      c.destroy();
      await failing.stop();
    }
  });

  it('1,000,000 generated rows stream through S3 and the reader with bounded memory', async () => {
    const rowCount = 1_000_000;
    const gen = (i: number): FakeCell[] => [String(i), i % 1000 === 0 ? null : `v${i % 97},"q"`];
    fake.enqueue({ columns, rowGenerator: gen, rowCount, states: ['SUCCEEDED'] });
    const id = await start();
    await pollUntilDone(id);
    // GetQueryResults pages straight from the generator: page 1 and a deep page via its NextToken.
    const page1 = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    assert.equal(page1.ResultSet?.Rows?.length, 1000);
    const page2 = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: page1.NextToken }));
    assert.deepEqual(cells(page2)[0], gen(999));
    const heapBefore = process.memoryUsage().heapUsed;
    let count = 0;
    let maxHeap = heapBefore;
    let nulls = 0;
    const out = await s3.send(new GetObjectCommand({ Bucket: 'athena-results', Key: `fake/${id}.csv` }));
    for await (const batch of readResultCsv(out.Body as AsyncIterable<Uint8Array>, { columns })) {
      for (const row of batch) {
        if (row[0] !== String(count)) assert.deepEqual(row, gen(count));
        if (row[1] === null) nulls++;
        count++;
      }
      if (count % 100_000 < batch.length) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    }
    assert.equal(count, rowCount);
    assert.equal(nulls, rowCount / 1000);
    // The file is ~25 MB; holding it (as UTF-16 strings and row arrays) would take several times that.
    assert.ok(maxHeap - heapBefore < 60 * 1024 * 1024, `heap grew by ${Math.round((maxHeap - heapBefore) / 1e6)} MB`);
  });
});

describe('counters', () => {
  it('counts calls per operation and executions started', async () => {
    const before = fake.calls;
    const startedBefore = fake.executionsStarted;
    fake.enqueue({ columns: ['n'], rows: [['1']], states: ['SUCCEEDED'] });
    const id = await start();
    await poll(id);
    await allPages(id);
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    const calls = fake.calls;
    assert.deepEqual(
      {
        start: calls.StartQueryExecution - before.StartQueryExecution,
        get: calls.GetQueryExecution - before.GetQueryExecution,
        results: calls.GetQueryResults - before.GetQueryResults,
        stop: calls.StopQueryExecution - before.StopQueryExecution,
      },
      { start: 1, get: 1, results: 1, stop: 1 },
    );
    assert.equal(fake.executionsStarted, startedBefore + 1);
    const last = fake.requests.at(-1);
    assert.deepEqual(last, { operation: 'StopQueryExecution', input: { QueryExecutionId: id } });
  });
});
