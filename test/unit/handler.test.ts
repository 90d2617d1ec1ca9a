import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHandler, parseRunRequest, type HttpResponse } from '../../src/handler.ts';
import { deriveRunIds, resolveRunKey } from '../../src/runkey.ts';
import { estimateAthenaCostUsd, summarize, type JobReport } from '../../src/report.ts';
import { createLogger, redact } from '../../src/log.ts';
import { parseConfig } from '../../src/config/index.ts';
import type { TransferError } from '../../src/errors.ts';

const CONFIG = parseConfig(
  `aws: {account_id: "123456789012", region: us-east-1, iam_role_name: some-role}
athena: {workgroup: primary, catalog: AwsDataCatalog, database: default, query: "SELECT 1"}
gcp: {project_id: my-project}
bigquery: {dataset_id: my_dataset, table_id: my_table}
`,
  'test.yaml',
);

function response(): HttpResponse & { statusCode: number; headers: Record<string, string>; body: any } {
  const res = {
    statusCode: 0,
    headers: {} as Record<string, string>,
    body: undefined as any,
    status(code: number) { res.statusCode = code; return res; },
    set(name: string, value: string) { res.headers[name] = value; return res; },
    json(body: unknown) { res.body = body; return res; },
  };
  return res;
}

const okReport = (job: string, rows: number): JobReport => ({
  job, success: true, rows, runKey: 'k', table: 't', readPath: 'rows', athena: {}, bigquery: {}, badRecords: [], warnings: [], steps: [], durationMs: 1,
});

test('request bodies: empty and {job, run_key} are accepted; anything else is a 400 with a hint', () => {
  assert.deepEqual(parseRunRequest(undefined), {});
  assert.deepEqual(parseRunRequest(''), {});
  assert.deepEqual(parseRunRequest({}), {});
  assert.deepEqual(parseRunRequest({ job: 'a', run_key: '2026-12-03' }), { job: 'a', runKey: '2026-12-03' });
  for (const bad of [[], 'text', 42, { query: 'DROP TABLE x' }, { job: '' }, { job: 3 }, { job: 'x'.repeat(64) }, { job: 'Has Space' }, { run_key: 'has space' }, { run_key: 'k'.repeat(129) }]) {
    assert.throws(() => parseRunRequest(bad), (e: TransferError) => e.code === 'REQUEST_INVALID' && e.status === 400 && e.hint.length > 0, JSON.stringify(bad));
  }
});

test('run key: Scheduler time wins, then Idempotency-Key, then the body, else a fresh id', () => {
  assert.deepEqual(resolveRunKey({ scheduleTime: '2026-12-03T10:00:00Z', idempotencyKey: 'x', bodyKey: 'y' }), { value: 'scheduled-2026-12-03T10:00:00Z', source: 'scheduler' });
  assert.deepEqual(resolveRunKey({ idempotencyKey: 'x', bodyKey: 'y' }), { value: 'x', source: 'header' });
  assert.deepEqual(resolveRunKey({ bodyKey: 'y' }), { value: 'y', source: 'body' });
  assert.deepEqual(resolveRunKey({}, () => 'fresh'), { value: 'fresh', source: 'generated' });
});

test('run ids are stable per run key and change with the key or the SQL; tokens fit Athena and BigQuery limits', () => {
  const job = CONFIG.jobs[0]!;
  const a = deriveRunIds(job, 'k1');
  assert.deepEqual(deriveRunIds(job, 'k1'), a);
  assert.notEqual(deriveRunIds(job, 'k2').loadJobIdBase, a.loadJobIdBase);
  assert.notEqual(deriveRunIds({ ...job, athena: { ...job.athena, query: 'SELECT 2' } }, 'k1').clientRequestToken, a.clientRequestToken);
  assert.ok(a.clientRequestToken.length >= 32 && a.clientRequestToken.length <= 128);
  assert.match(a.loadJobIdBase, /^[A-Za-z0-9_-]{1,1000}$/);
});

test('Athena cost: rounded up to the MB, 10 MB minimum, $5 per TB; nothing scanned costs nothing', () => {
  assert.equal(estimateAthenaCostUsd(0), 0);
  assert.equal(estimateAthenaCostUsd(1), estimateAthenaCostUsd(10 * 1024 * 1024));
  assert.equal(estimateAthenaCostUsd(1024 ** 4), 5);
});

test('summary keeps the original message and sums rows over jobs', () => {
  const r = summarize([okReport('a', 3), okReport('b', 4)], 'k', new Date('2026-12-03T00:00:00Z'));
  assert.equal(r.success, true);
  assert.equal(r.message, 'Successfully transferred 7 rows from Athena to BigQuery');
  assert.equal(r.timestamp, '2026-12-03T00:00:00.000Z');
});

test('handler: 405 for GET with Allow: POST; a failed job answers with its status and error', async () => {
  const failing: JobReport = { ...okReport('default', 0), success: false, error: { code: 'ATHENA_QUERY_FAILED', message: 'boom', hint: 'fix', status: 502 } };
  const handler = createHandler({ loadConfig: async () => CONFIG, runJob: async () => failing, budgetMs: 1000 });
  const get = response();
  await handler({ method: 'GET', header: () => undefined }, get);
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.Allow, 'POST');
  assert.equal(get.body.error.code, 'METHOD_NOT_ALLOWED');
  const post = response();
  await handler({ method: 'POST', body: {}, header: () => undefined }, post);
  assert.equal(post.statusCode, 502);
  assert.equal(post.body.success, false);
  assert.equal(post.body.error.code, 'ATHENA_QUERY_FAILED');
});

test('handler: an Idempotency-Key that is not a valid run key is a 400, never echoed', async () => {
  const handler = createHandler({ loadConfig: async () => CONFIG, runJob: async (j) => okReport(j.name, 1), budgetMs: 1000 });
  for (const key of ['has space', 'k'.repeat(129)]) {
    const res = response();
    await handler({ method: 'POST', body: {}, header: (n) => (n === 'idempotency-key' ? key : undefined) }, res);
    assert.equal(res.statusCode, 400);
    assert.equal(res.body.error.code, 'REQUEST_INVALID');
    assert.ok(!JSON.stringify(res.body).includes(key));
  }
});

test('handler: an unknown job name is a 400 that lists the configured jobs', async () => {
  const handler = createHandler({ loadConfig: async () => CONFIG, runJob: async (j) => okReport(j.name, 1), budgetMs: 1000 });
  const res = response();
  await handler({ method: 'POST', body: { job: 'nope' }, header: () => undefined }, res);
  assert.equal(res.statusCode, 400);
  assert.match(JSON.stringify(res.body.error), /default/);
});

test('logs redact JWTs, AWS keys and secret-named fields wherever they appear', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
  const lines: string[] = [];
  createLogger({ write: (l) => lines.push(l) }).info(`token ${jwt}`, { sessionToken: 'abc', nested: { text: `key ASIAABCDEFGHIJKLMNOP and ${jwt}` }, clientRequestToken: 'keep-me' });
  const out = lines.join('\n');
  assert.ok(!out.includes(jwt));
  assert.ok(!out.includes('ASIAABCDEFGHIJKLMNOP'));
  assert.ok(!out.includes('"abc"'));
  assert.match(out, /keep-me/);
  assert.deepEqual(redact({ password: 'p' }), { password: '[REDACTED]' });
});
