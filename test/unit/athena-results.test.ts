import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AthenaClient, GetQueryResultsCommand, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { resultPages, pageCells, hasHeaderRow, toResultColumns, type Execution } from '../../src/athena/index.ts';

interface Case {
  id: string;
  statementType: string;
  responses: GetQueryResultsOutput[];
  expected: unknown;
  extraScenario?: { response: GetQueryResultsOutput; expected: unknown[] };
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/athena-results.json', import.meta.url), 'utf8')) as Case[];
const byId = (id: string): Case => cases.find((c) => c.id === id)!;

const select: Execution = { id: 'q-1', state: 'SUCCEEDED', dataScannedBytes: 0, statementType: 'DML', substatementType: 'SELECT' };

async function collect(responses: GetQueryResultsOutput[], execution: Execution): Promise<{ rows: (string | null)[][]; tokens: (string | undefined)[] }> {
  const mock = mockClient(AthenaClient);
  let behaviour = mock.on(GetQueryResultsCommand);
  for (const response of responses) behaviour = behaviour.resolvesOnce(response);
  const client = new AthenaClient({ region: 'us-east-1' });
  const rows: (string | null)[][] = [];
  for await (const page of resultPages(client, execution, { pageSize: 3 })) rows.push(...page.rows);
  const tokens = mock.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.NextToken);
  mock.restore();
  return { rows, tokens };
}

test('c15 / A2: the header is dropped on page 1 only; a page-2 row equal to the header is data', async () => {
  const c = byId('c15_paging_and_header');
  const { rows, tokens } = await collect(c.responses, select);
  assert.deepEqual(rows, [['a', 'Alpha'], ['b', 'Beta'], ['code', 'label'], ['c', ''], [null, 'Gamma']]);
  assert.deepEqual(tokens, [undefined, 'AaBbCcExampleNextToken1']);
});

test('c15: an empty SELECT (header only, no NextToken) gives no rows', async () => {
  const c = byId('c15_paging_and_header');
  const { rows } = await collect([c.extraScenario!.response], select);
  assert.deepEqual(rows, []);
});

test('c16 / A1: UTILITY results have no header row; DESCRIBE rows packed with tabs are split', async () => {
  const c = byId('c16_utility_no_header');
  const utility: Execution = { ...select, statementType: 'UTILITY', substatementType: 'SHOW_TABLES' };
  assert.equal(hasHeaderRow(utility), false);
  const show = await collect([c.responses[0]!], utility);
  assert.deepEqual(show.rows, [['tab_name'], ['orders']]);
  const describe = await collect([c.responses[1]!], { ...utility, substatementType: 'DESCRIBE_TABLE' });
  assert.deepEqual(describe.rows, [['id', 'int', ''], ['name', 'string', 'customer name']]);
});

test('A3 / A4: a cell without VarCharValue is NULL, "" stays an empty string', () => {
  const columns = toResultColumns([{ Name: 'v', Type: 'varchar' }]);
  const rows = pageCells([{ Data: [{ VarCharValue: '' }] }, { Data: [{}] }, { Data: [{ VarCharValue: '0' }] }], { dropHeader: false, columns });
  assert.deepEqual(rows, [[''], [null], ['0']]);
});

test('a repeated NextToken stops the run instead of looping forever', async () => {
  const page: GetQueryResultsOutput = {
    ResultSet: { Rows: [{ Data: [{ VarCharValue: 'x' }] }, { Data: [{ VarCharValue: '1' }] }], ResultSetMetadata: { ColumnInfo: [{ Name: 'x', Type: 'integer' }] } },
    NextToken: 'same',
  };
  const again: GetQueryResultsOutput = { ResultSet: { Rows: [{ Data: [{ VarCharValue: '2' }] }], ResultSetMetadata: page.ResultSet!.ResultSetMetadata! }, NextToken: 'same' };
  await assert.rejects(collect([page, again], select), (e: { code?: string }) => e.code === 'ATHENA_ERROR');
});

test('page 1 of a SELECT whose row 0 is not the header fails instead of dropping a data row', async () => {
  const page: GetQueryResultsOutput = {
    ResultSet: { Rows: [{ Data: [{ VarCharValue: '42' }] }], ResultSetMetadata: { ColumnInfo: [{ Name: 'x', Type: 'integer' }] } },
  };
  await assert.rejects(collect([page], select), /does not start with the header row/);
});

test('every page is read across 1000-row pages (MaxResults counts the header)', async () => {
  const columns = [{ Name: 'n', Type: 'integer' }];
  const responses: GetQueryResultsOutput[] = [];
  let n = 0;
  for (let p = 0; p < 3; p++) {
    const rows = p === 0 ? [{ Data: [{ VarCharValue: 'n' }] }] : [];
    while (rows.length < 1000 && n < 2500) rows.push({ Data: [{ VarCharValue: String(++n) }] });
    responses.push({ ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: columns } }, ...(n < 2500 ? { NextToken: `t${p}` } : {}) });
  }
  const { rows } = await collect(responses, select);
  assert.equal(rows.length, 2500);
  assert.deepEqual(rows[998], ['999']);
  assert.deepEqual(rows[2499], ['2500']);
});
