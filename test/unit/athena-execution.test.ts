import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { runQuery, backoffDelay, acceptExecution, type QuerySpec } from '../../src/athena/index.ts';
import { generationToken } from '../../src/athena/execution.ts';
import type { TransferError } from '../../src/errors.ts';

const spec: QuerySpec = { sql: 'SELECT 1', workgroup: 'primary', catalog: 'AwsDataCatalog', database: 'db', clientRequestToken: 'x'.repeat(40) };

/** A fake clock: sleeping advances time instantly, so the tests never wait. */
function clock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; }, slept };
}

function setup(states: (QueryExecutionState | { state: QueryExecutionState; reason: string })[]) {
  const mock = mockClient(AthenaClient);
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  let b = mock.on(GetQueryExecutionCommand);
  for (const s of states) {
    const { state, reason } = typeof s === 'string' ? { state: s, reason: undefined } : s;
    b = b.resolvesOnce({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State: state, ...(reason ? { StateChangeReason: reason } : {}) }, Statistics: { DataScannedInBytes: 123 } } });
  }
  mock.on(StopQueryExecutionCommand).resolves({});
  return { mock, client: new AthenaClient({ region: 'us-east-1' }) };
}

test('QUEUED → RUNNING → QUEUED → SUCCEEDED succeeds, with the request token passed through', async () => {
  const { mock, client } = setup(['QUEUED', 'RUNNING', 'QUEUED', 'SUCCEEDED']);
  const c = clock();
  const execution = await runQuery(client, spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000, now: c.now, sleep: c.sleep, random: () => 0.5 });
  assert.equal(execution.state, 'SUCCEEDED');
  assert.equal(execution.dataScannedBytes, 123);
  assert.equal(mock.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.ClientRequestToken, spec.clientRequestToken);
  assert.equal(c.slept.length, 3);
  mock.restore();
});

test('FAILED ends the run with Athena\'s reason', async () => {
  const { mock, client } = setup(['RUNNING', { state: 'FAILED', reason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.nope' does not exist" }]);
  const c = clock();
  await assert.rejects(runQuery(client, spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000, now: c.now, sleep: c.sleep }), (e: TransferError) => {
    assert.equal(e.code, 'ATHENA_QUERY_FAILED');
    assert.match(e.message, /TABLE_NOT_FOUND/);
    assert.match(e.hint, /athena\.database/);
    assert.equal(e.details.queryExecutionId, 'q-1');
    return true;
  });
  assert.equal(mock.commandCalls(StopQueryExecutionCommand).length, 0);
  mock.restore();
});

test('A11: CANCELLED is terminal: the run ends at once instead of polling forever', async () => {
  const { mock, client } = setup(['RUNNING', { state: 'CANCELLED', reason: 'Query cancelled by user' }, 'RUNNING']);
  const c = clock();
  await assert.rejects(runQuery(client, spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000, now: c.now, sleep: c.sleep }), (e: TransferError) => e.code === 'ATHENA_QUERY_CANCELLED');
  assert.equal(mock.commandCalls(GetQueryExecutionCommand).length, 2);
  mock.restore();
});

test('a query still running at the deadline is stopped and reported as a timeout', async () => {
  const { mock, client } = setup(Array(100).fill('RUNNING'));
  const c = clock();
  await assert.rejects(runQuery(client, spec, { timeoutMs: 20_000, minDelayMs: 500, maxDelayMs: 5000, now: c.now, sleep: c.sleep }), (e: TransferError) => {
    assert.equal(e.code, 'ATHENA_TIMEOUT');
    assert.equal(e.details.stopped, true);
    return true;
  });
  assert.equal(mock.commandCalls(StopQueryExecutionCommand).length, 1);
  assert.ok(c.now() <= 20_000, 'never sleeps past the deadline');
  mock.restore();
});

test('backoff grows from min to max with jitter kept within [nominal/2, nominal]', () => {
  assert.equal(backoffDelay(0, 500, 5000, () => 0), 250);
  assert.equal(backoffDelay(0, 500, 5000, () => 1), 500);
  assert.equal(backoffDelay(3, 500, 5000, () => 1), 4000);
  assert.equal(backoffDelay(10, 500, 5000, () => 1), 5000);
});

test('acceptor: only SUCCEEDED succeeds; FAILED and CANCELLED fail; QUEUED and RUNNING retry', () => {
  const base = { id: 'q', dataScannedBytes: 0 };
  assert.equal(acceptExecution({ ...base, state: 'SUCCEEDED' }), 'success');
  assert.equal(acceptExecution({ ...base, state: 'FAILED' }), 'failure');
  assert.equal(acceptExecution({ ...base, state: 'CANCELLED' }), 'failure');
  assert.equal(acceptExecution({ ...base, state: 'QUEUED' }), 'retry');
  assert.equal(acceptExecution({ ...base, state: 'RUNNING' }), 'retry');
});

test('a retry whose request token re-attaches to an earlier attempt\'s FAILED query starts a fresh one', async () => {
  const mock = mockClient(AthenaClient);
  mock.on(StartQueryExecutionCommand, { ClientRequestToken: spec.clientRequestToken }).resolves({ QueryExecutionId: 'old' });
  mock.on(StartQueryExecutionCommand, { ClientRequestToken: generationToken(spec.clientRequestToken, 1) }).resolves({ QueryExecutionId: 'new' });
  const longAgo = new Date(Date.now() - 3600_000);
  mock.on(GetQueryExecutionCommand, { QueryExecutionId: 'old' }).resolves({ QueryExecution: { QueryExecutionId: 'old', Status: { State: 'FAILED', StateChangeReason: 'GENERIC_INTERNAL_ERROR', SubmissionDateTime: longAgo } } });
  mock.on(GetQueryExecutionCommand, { QueryExecutionId: 'new' }).resolves({ QueryExecution: { QueryExecutionId: 'new', Status: { State: 'SUCCEEDED', SubmissionDateTime: new Date() } } });
  const execution = await runQuery(new AthenaClient({ region: 'us-east-1' }), spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000 });
  assert.equal(execution.id, 'new');
  mock.restore();
});

test('a re-attached query that already SUCCEEDED is reused (no second scan), and a fresh failure is not retried', async () => {
  const mock = mockClient(AthenaClient);
  mock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'done' });
  mock.on(GetQueryExecutionCommand, { QueryExecutionId: 'done' }).resolves({ QueryExecution: { QueryExecutionId: 'done', Status: { State: 'SUCCEEDED', SubmissionDateTime: new Date(Date.now() - 3600_000) } } });
  const execution = await runQuery(new AthenaClient({ region: 'us-east-1' }), spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000 });
  assert.equal(execution.id, 'done');
  assert.equal(mock.commandCalls(StartQueryExecutionCommand).length, 1);
  mock.restore();
  const fresh = mockClient(AthenaClient);
  fresh.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q' });
  fresh.on(GetQueryExecutionCommand).resolves({ QueryExecution: { QueryExecutionId: 'q', Status: { State: 'FAILED', StateChangeReason: 'SYNTAX_ERROR', SubmissionDateTime: new Date() } } });
  await assert.rejects(runQuery(new AthenaClient({ region: 'us-east-1' }), spec, { timeoutMs: 60_000, minDelayMs: 500, maxDelayMs: 5000 }), /SYNTAX_ERROR/);
  assert.equal(fresh.commandCalls(StartQueryExecutionCommand).length, 1);
  fresh.restore();
});
