/**
 * Issue 3 end to end: every Athena type lands in BigQuery exactly, nested types included. The real function
 * (dist/, functions-framework) runs over HTTP; Athena is our wire fake (scripts bound by SQL shape: the LIMIT 0
 * probe, the typeof() probe, the CAST(… AS JSON) main query), STS comes from moto, BigQuery is
 * bigquery-emulator behind a recording proxy, so every test checks both what the function SENT (the load
 * job's metadata and NDJSON) and what the table holds afterwards.
 *
 * Where bigquery-emulator v0.8.1 stores something other than real BigQuery would (scripts/stack/COMPATIBILITY.md),
 * the test asserts the exact bytes sent and states the emulator's deviation next to the value it returns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startAthenaFake, type AthenaFake, type FakeCell, type FakeColumn, type FakeQueryScript } from '../emulators/athena-fake.ts';
import { startMetadataServer, type MetadataServer } from '../emulators/metadata-server.ts';
import { allTypesScripts, type AllTypesColumn } from '../fixtures/all-types-athena.ts';
import { allTypes, allTypesColumns } from '../fixtures/all-types.ts';
import { startFunction, type RunningFunction } from '../support/function.ts';
import { bigQueryClient, readTable, startStack, storageClient, type PlainRow, type PlainValue, type Stack } from '../support/index.ts';
import { multipartParts, startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.ts';
import { parseAthenaType, type BigQueryField } from '../../src/convert/index.ts';

const PROJECT = 'it-types';
const BUCKET = 'it-types-config';
const DATASET = 'types';

function config(query: string, table: string, bigqueryExtra = ''): string {
  return `aws: {account_id: "123456789012", region: us-east-1, iam_role_name: some-role}
athena: {workgroup: primary, catalog: AwsDataCatalog, database: default, query: ${JSON.stringify(query)}, poll_min_ms: 100, poll_max_ms: 200}
gcp: {project_id: ${PROJECT}}
bigquery: {dataset_id: ${DATASET}, table_id: ${table}${bigqueryExtra}}
`;
}

/** One load the function sent: the job configuration and the NDJSON bytes. */
interface SentLoad {
  load: Record<string, any>;
  ndjson: string;
  status: number;
}

/**
 * The three scripts of a probed run for a query mentioning `marker`, from full column types: the LIMIT 0
 * probe reports complex columns by bare kind, the typeof() probe their full types, the main query `json`.
 */
function probedScripts(marker: string, columns: readonly FakeColumn[], rows: readonly (readonly FakeCell[])[]): FakeQueryScript[] {
  const kind = (type: string): string => parseAthenaType(type).kind;
  const complex = columns.filter((c) => ['array', 'map', 'row'].includes(kind(c.type)));
  const scripts: FakeQueryScript[] = [
    { match: new RegExp(`${marker}[\\s\\S]*\\) LIMIT 0$`), columns: columns.map((c) => (complex.includes(c) ? { name: c.name, type: kind(c.type) } : c)), rows: [] },
    { match: new RegExp(`^SELECT (?!typeof)[\\s\\S]*${marker}[\\s\\S]*(?<!LIMIT 0)$`), columns: columns.map((c) => (complex.includes(c) ? { name: c.name, type: 'json' } : c)), rows },
  ];
  if (complex.length > 0) scripts.unshift({ match: new RegExp(`^SELECT typeof\\([\\s\\S]*${marker}`), columns: complex.map((c) => c.name), rows: [complex.map((c) => c.type)] });
  return scripts;
}

/**
 * Emulator gap (found here; not in COMPATIBILITY.md yet): bigquery-emulator v0.8.1 writes nested STRUCT field
 * names into its CREATE TABLE without backticks, so a reserved word as a field name fails table creation
 * ("Syntax error: Unexpected keyword INNER"); real BigQuery accepts any valid field name. The canonical row's
 * c_row has a nested field `inner`, so this run renames it `inner_row` everywhere (type, cell, field, NDJSON).
 * The original name is covered by the unit tests (athena-probe.test.ts, convert-all-types.test.ts).
 */
function renameInner(c: AllTypesColumn): AllTypesColumn {
  if (c.info.Name !== 'c_row') return c;
  const swap = (text: string, from: string, to: string): string => {
    assert.ok(text.includes(from), `the fixture no longer has ${from}: update renameInner`);
    return text.replace(from, to);
  };
  const renameField = (f: BigQueryField): BigQueryField => ({ ...f, ...(f.name === 'inner' ? { name: 'inner_row' } : {}), ...(f.fields ? { fields: f.fields.map(renameField) } : {}) });
  return {
    ...c,
    typeHint: swap(c.typeHint!, 'inner row(', 'inner_row row('),
    column: { ...c.column, type: swap(c.column.type, 'inner row(', 'inner_row row(') },
    cell: swap(c.cell, '"inner":', '"inner_row":'),
    field: renameField(c.field),
    ndjson: swap(c.ndjson, '"inner":', '"inner_row":'),
  };
}
const EMULATOR_COLUMNS: readonly AllTypesColumn[] = allTypesColumns.map(renameInner);
const EXPECTED = {
  schema: EMULATOR_COLUMNS.map((c) => c.field),
  ndjson: `{${EMULATOR_COLUMNS.map((c) => c.ndjson).join(',')}}`,
  typeHints: Object.fromEntries(EMULATOR_COLUMNS.filter((c) => c.typeHint !== undefined).map((c) => [c.info.Name, c.typeHint!])),
  complex: EMULATOR_COLUMNS.filter((c) => c.typeHint !== undefined).map((c) => c.info.Name),
};

describe('every Athena type lands in BigQuery exactly (issue 3)', () => {
  let stack: Stack;
  let metadata: MetadataServer;
  let athena: AthenaFake;
  let proxy: RecordingProxy;
  const functions: RunningFunction[] = [];

  before(async () => {
    stack = await startStack({ projectId: PROJECT });
    metadata = await startMetadataServer({ projectId: PROJECT });
    athena = await startAthenaFake();
    proxy = await startRecordingProxy(stack.bigqueryUrl);
    await storageClient(stack).createBucket(BUCKET);
    await bigQueryClient(stack).createDataset(DATASET);
  });

  after(async () => {
    for (const f of functions) await f.stop();
    await proxy?.stop();
    await athena?.stop();
    await metadata?.stop();
    await stack?.stop();
  });

  async function fn(name: string, text: string): Promise<RunningFunction> {
    await storageClient(stack).bucket(BUCKET).file(name).save(text, { resumable: false });
    const running = await startFunction({
      ...stack.env,
      GCE_METADATA_HOST: metadata.host,
      CONFIG_URI: `gs://${BUCKET}/${name}`,
      AWS_ENDPOINT_URL_ATHENA: athena.url,
      BIGQUERY_API_ENDPOINT: proxy.url,
    });
    functions.push(running);
    return running;
  }

  /** Loads into `table` the function sent through the proxy (multipart media uploads). */
  function sentLoads(table: string): SentLoad[] {
    return proxy.requests
      .filter((r) => r.method === 'POST' && r.url.startsWith('/upload/bigquery/v2/'))
      .map((r) => {
        const [meta, data] = multipartParts(r.body, r.headers['content-type']);
        const job = JSON.parse(meta?.body ?? '{}') as { configuration?: { load?: Record<string, any> } };
        return { load: job.configuration?.load ?? {}, ndjson: data?.body ?? '', status: r.status };
      })
      .filter((l) => l.load.destinationTable?.tableId === table);
  }

  async function tableState(table: string): Promise<{ exists: boolean; fields: any[]; rows: PlainRow[] }> {
    const t = bigQueryClient(stack).dataset(DATASET).table(table);
    const [exists] = await t.exists();
    if (!exists) return { exists, fields: [], rows: [] };
    const [meta] = await t.getMetadata();
    return { exists, fields: meta.schema?.fields ?? [], rows: await readTable(stack, DATASET, table) };
  }

  test('the all-types row (nested several levels) and an all-NULL row: exact NDJSON sent, schema and every field read back', async () => {
    for (const s of allTypesScripts('all_types_view', EMULATOR_COLUMNS)) athena.enqueue(s);
    const before = athena.executions().length;
    const f = await fn('all-types.yaml', config('SELECT * FROM all_types_view', 'all_types'));
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.message, 'Successfully transferred 2 rows from Athena to BigQuery');
    const job = res.body.jobs[0];

    // The probe: LIMIT 0, typeof() over the 7 complex columns only, then the main query with CAST … AS JSON.
    const queries = athena.executions().slice(before);
    assert.equal(queries.length, 3);
    assert.match(queries[0]!.query, /^SELECT \* FROM \(\nSELECT \* FROM all_types_view\n\) LIMIT 0$/);
    assert.match(queries[1]!.query, /^SELECT typeof\("a2bq_source"\."c_array_int"\) AS "c_array_int", /);
    assert.equal((queries[1]!.query.match(/typeof\(/g) ?? []).length, 7);
    for (const name of EXPECTED.complex) assert.ok(queries[2]!.query.includes(`CAST("${name}" AS JSON) AS "${name}"`), name);
    assert.equal((queries[2]!.query.match(/ AS JSON\)/g) ?? []).length, 7, 'scalar columns are not cast');
    assert.equal(new Set(queries.map((q) => q.clientRequestToken)).size, 3, 'one token per distinct SQL');
    assert.deepEqual(
      { source: job.probe.source, mode: job.probe.mode, purposes: job.probe.queries.map((q: any) => q.purpose), bytes: job.probe.dataScannedBytes, cost: job.probe.estimatedCostUsd, types: job.probe.types },
      { source: 'query', mode: 'auto', purposes: ['columns', 'types'], bytes: 0, cost: 0, types: EXPECTED.typeHints },
    );
    assert.deepEqual(job.probe.queries.map((q: any) => q.queryExecutionId), queries.slice(0, 2).map((q) => q.queryExecutionId));
    assert.equal(job.athena.queryExecutionId, queries[2]!.queryExecutionId);
    assert.equal(job.athena.dataScannedBytes, 123_456_789);
    const probeStep = job.steps.find((s: any) => s.step === 'type_probe');
    assert.deepEqual([probeStep.status, probeStep.facts.source, probeStep.facts.castColumns], ['ok', 'query', EXPECTED.complex]);
    assert.deepEqual(job.steps.map((s: any) => s.step), ['plan', 'aws_credentials', 'type_probe', 'athena_query', 'schema', 'load']);
    // No raw-STRING fallback. Notes: the nanosecond timestamp truncated to BigQuery's microseconds, and the
    // 5 NULL arrays of the all-NULL row stored as empty arrays (BigQuery has no NULL REPEATED field).
    assert.deepEqual(job.warnings, ['truncatedTimestamps: 1', 'nullArraysAsEmpty: 5']);

    // What was sent: one load job with the mapped schema and exactly the expected lines.
    const [load, ...more] = sentLoads('all_types');
    assert.equal(more.length, 0);
    assert.equal(load!.status, 200);
    assert.deepEqual(load!.load.schema.fields, EXPECTED.schema);
    assert.equal(load!.ndjson, `${EXPECTED.ndjson}\n${allTypes.expectedNullNdjson}\n`);

    // The table: schema as created, then every value of both rows, field by field.
    const bq = bigQueryClient(stack);
    const [meta] = await bq.dataset(DATASET).table('all_types').getMetadata();
    assert.deepEqual(normalizeFields(meta.schema.fields), EXPECTED.schema);
    // Emulator gaps (found here, see readAllTypes): elements of a REPEATED RECORD can come back with their
    // fields in the wrong order, and a TIMESTAMP inside a STRUCT ignores useInt64Timestamp. So the table is
    // read through two views (TO_JSON_STRING for those columns); every stored field is still compared.
    const rows = await readAllTypes(stack, 'all_types', EXPECTED.schema);
    assert.equal(rows.length, 2);
    const full = rows.find((r) => r.c_boolean === true)!;
    const empty = rows.find((r) => r.c_boolean === null)!;
    for (const c of READ_BACK) {
      const name = c.column;
      if (c.emulator !== undefined) {
        // The NDJSON above is what real BigQuery needs; here is what the emulator kept, and why it differs.
        assert.deepEqual(full[name], c.emulator.value, `${name}: emulator (${c.emulator.why}); real BigQuery: ${JSON.stringify(c.bigquery)}`);
      } else {
        assert.deepEqual(full[name], c.bigquery, name);
      }
      const isRepeated = EMULATOR_COLUMNS.find((x) => x.info.Name === name)!.field.mode === 'REPEATED';
      // A NULL array is stored as an empty one (BigQuery has no NULL REPEATED value).
      assert.deepEqual(empty[name], isRepeated ? [] : null, `${name} of the all-NULL row`);
    }
    assert.deepEqual(Object.keys(full).sort(), READ_BACK.map((c) => c.column).sort(), 'every column is checked');
  });

  const badCases: Array<{ name: string; table: string; rows: FakeCell[][]; row: number; column: string; value: string; reason: RegExp }> = [
    {
      name: 'NULL inside an array (B5)',
      table: 'bad_null_element',
      rows: [['1', '[1,2]', '2024-01-01'], ['2', '[3,null]', '2024-01-02'], ['3', '[4]', '2024-01-03']],
      row: 2,
      column: 'tags',
      value: '[3,null]',
      reason: /NULL element cannot be written to a BigQuery REPEATED field/,
    },
    {
      name: 'a date beyond 9999-12-31',
      table: 'bad_date',
      rows: [['1', '[1]', '2024-01-01'], ['2', '[2]', '2024-01-02'], ['3', '[3]', '+10000-01-01']],
      row: 3,
      column: 'd',
      value: '+10000-01-01',
      reason: /year > 9999 not representable in BigQuery DATE/,
    },
  ];
  const BAD_COLUMNS: FakeColumn[] = [{ name: 'id', type: 'integer' }, { name: 'tags', type: 'array(integer)' }, { name: 'd', type: 'date' }];

  for (const c of badCases) {
    test(`${c.name}: BAD_RECORDS naming row, column, value and the fix; nothing is written`, async () => {
      const marker = `${c.table}_view`;
      for (const s of probedScripts(marker, BAD_COLUMNS, c.rows)) athena.enqueue(s);
      const f = await fn(`${c.table}.yaml`, config(`SELECT * FROM ${marker}`, c.table));
      const res = await f.post({});
      assert.equal(res.status, 500, JSON.stringify(res.body));
      assert.equal(res.body.success, false);
      const error = res.body.error;
      assert.equal(error.code, 'BAD_RECORDS');
      assert.match(error.message, new RegExp(`^Row ${c.row}, column ${c.column}: `));
      assert.ok(error.message.includes(JSON.stringify(c.value)), error.message);
      assert.match(error.message, c.reason);
      assert.match(error.message, /nothing was written/);
      assert.match(error.hint, /bigquery\.max_bad_records/);
      assert.deepEqual(error.details.badRecord, { row: c.row, column: c.column, value: c.value, reason: error.details.badRecord.reason });
      assert.equal(res.body.jobs[0].error.step, 'load');
      assert.deepEqual(sentLoads(c.table).filter((l) => l.status === 200), [], 'no load completed');
      const state = await tableState(c.table);
      // The schema step created the missing table before the load started; the failed run drops it again.
      assert.equal(state.exists, false, 'no empty table is left behind');
      assert.ok(res.body.jobs[0].warnings.some((w: string) => /dropped again/.test(w)));
    });
  }

  test('with bigquery.max_bad_records: 1 the bad row is skipped and listed in the report; the others load', async () => {
    const rows: FakeCell[][] = [['1', '[1,2]', '2024-01-01'], ['2', '[2]', '+10000-01-01'], ['3', null, null]];
    for (const s of probedScripts('skip_one_view', BAD_COLUMNS, rows)) athena.enqueue(s);
    const f = await fn('skip-one.yaml', config('SELECT * FROM skip_one_view', 'skip_one', ', max_bad_records: 1'));
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = res.body.jobs[0];
    assert.equal(job.rows, 2);
    assert.equal(res.body.message, 'Successfully transferred 2 rows from Athena to BigQuery');
    assert.equal(job.badRecords.length, 1);
    assert.deepEqual({ ...job.badRecords[0], reason: undefined }, { row: 2, column: 'd', value: '+10000-01-01', reason: undefined });
    assert.match(job.badRecords[0].reason, /year > 9999/);
    const [load] = sentLoads('skip_one');
    assert.equal(load!.ndjson, '{"id":"1","tags":["1","2"],"d":"2024-01-01"}\n{"id":"3","d":null}\n');
    const state = await tableState('skip_one');
    assert.deepEqual(
      [...state.rows].sort((a, b) => String(a.id).localeCompare(String(b.id))),
      [{ id: '1', tags: ['1', '2'], d: '2024-01-01' }, { id: '3', tags: [], d: null }],
    );
  });

  const conflictCases: Array<{ name: string; table: string; existing: Array<{ name: string; type: string }>; columns: FakeColumn[]; rows: FakeCell[][]; message: RegExp; hint: RegExp }> = [
    {
      name: 'B4: decimal(38,18) into an existing NUMERIC column',
      table: 'conflict_numeric',
      existing: [{ name: 'id', type: 'INT64' }, { name: 'amount', type: 'NUMERIC' }],
      columns: [{ name: 'id', type: 'integer' }, { name: 'amount', type: 'decimal(38,18)' }],
      rows: [['1', '12345678901234567890.123456789012345678']],
      message: /amount is NUMERIC, the query gives BIGNUMERIC \(Athena decimal\(38,18\)\)/,
      hint: /decimal\(38,18\).*SET DATA TYPE BIGNUMERIC.*CAST\(amount AS decimal\(29,9\)\)/,
    },
    {
      name: 'a new column without allow_field_addition',
      table: 'conflict_new_column',
      existing: [{ name: 'id', type: 'INT64' }],
      columns: [{ name: 'id', type: 'integer' }, { name: 'note', type: 'varchar' }],
      rows: [['1', 'new']],
      message: /note/,
      hint: /allow_field_addition/,
    },
  ];
  for (const c of conflictCases) {
    test(`${c.name}: SCHEMA_CONFLICT and nothing is written`, async () => {
      await bigQueryClient(stack).dataset(DATASET).createTable(c.table, { schema: { fields: c.existing } });
      const marker = `${c.table}_view`;
      for (const s of probedScripts(marker, c.columns, c.rows)) athena.enqueue(s);
      const f = await fn(`${c.table}.yaml`, config(`SELECT * FROM ${marker}`, c.table));
      const res = await f.post({});
      assert.equal(res.status, 502, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'SCHEMA_CONFLICT');
      assert.match(res.body.error.message, c.message);
      assert.match(res.body.error.hint, c.hint);
      assert.equal(res.body.jobs[0].error.step, 'schema');
      assert.deepEqual(sentLoads(c.table), [], 'no load was started');
      const state = await tableState(c.table);
      assert.deepEqual(state.rows, []);
      assert.deepEqual(normalizeFields(state.fields).map((x) => [x.name, x.type]), c.existing.map((x) => [x.name, x.type]), 'schema unchanged');
    });
  }

  test('allow_field_addition: true adds the new column (ALLOW_FIELD_ADDITION with the full schema) and loads its values', async () => {
    await bigQueryClient(stack).dataset(DATASET).createTable('grow', { schema: { fields: [{ name: 'id', type: 'INT64' }] } });
    const columns: FakeColumn[] = [{ name: 'id', type: 'integer' }, { name: 'labels', type: 'array(row(k varchar, v double))' }];
    for (const s of probedScripts('grow_view', columns, [['7', '[{"k":"a","v":1.5},{"k":"b, c","v":null}]']])) athena.enqueue(s);
    const f = await fn('grow.yaml', config('SELECT * FROM grow_view', 'grow', ', allow_field_addition: true'));
    const res = await f.post({});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.jobs[0].bigquery.schemaChanges, ['add labels']);
    const [load] = sentLoads('grow');
    assert.deepEqual(load!.load.schemaUpdateOptions, ['ALLOW_FIELD_ADDITION']);
    assert.equal(load!.load.writeDisposition, 'WRITE_APPEND');
    assert.deepEqual(load!.load.schema.fields, [
      // The existing field exactly as tables.get reports it, then the addition.
      { name: 'id', type: 'INT64' },
      { name: 'labels', type: 'RECORD', mode: 'REPEATED', fields: [{ name: 'k', type: 'STRING', mode: 'NULLABLE' }, { name: 'v', type: 'FLOAT64', mode: 'NULLABLE' }] },
    ]);
    assert.equal(load!.ndjson, '{"id":"7","labels":[{"k":"a","v":1.5},{"k":"b, c","v":null}]}\n');
    const state = await tableState('grow');
    // Emulator gap (COMPATIBILITY.md): bigquery-emulator v0.8.1 ignores schemaUpdateOptions and silently drops
    // fields the table lacks, so the table keeps [id] and only id is stored. Real BigQuery adds `labels`
    // (REPEATED RECORD, as sent above) in the same atomic load job.
    assert.deepEqual(normalizeFields(state.fields).map((x) => x.name), ['id']);
    assert.deepEqual(state.rows, [{ id: '7' }]);
  });
});

/**
 * Read-back expectations per column of the all-types row: `bigquery` is what real BigQuery returns through
 * readTable (INT64/NUMERIC as exact text, FLOAT64 as numbers, TIMESTAMP as µs ISO, BYTES as base64,
 * REPEATED as arrays, maps as REPEATED key/value RECORDs); `emulator` is set only where bigquery-emulator
 * v0.8.1 stores something else, with the reason. The NDJSON sent is asserted exactly in the test itself.
 */
const READ_BACK: Array<{ column: string; bigquery: PlainValue; emulator?: { value: PlainValue; why: string } }> = [
  { column: 'c_boolean', bigquery: true },
  { column: 'c_tinyint', bigquery: '-128' },
  { column: 'c_smallint', bigquery: '32767' },
  { column: 'c_integer', bigquery: '-2147483648' },
  { column: 'c_bigint', bigquery: '9007199254740993' },
  { column: 'c_real', bigquery: 3.4028235e38 },
  { column: 'c_double', bigquery: -0, emulator: { value: 0, why: 'answers -0.0 as "0"' } },
  { column: 'c_double_nan', bigquery: 'NaN', emulator: { value: null, why: 'stores "NaN" as NULL' } },
  { column: 'c_decimal', bigquery: '-0.5' },
  { column: 'c_bigdecimal', bigquery: '12345678901234567890.123456789012345678' },
  { column: 'c_char', bigquery: 'ab   ' },
  { column: 'c_varchar', bigquery: 'He said "hi",\nnaïve 🚀\t\\N' },
  // Sent "AP8Q" (bytes 00 ff 10); the emulator stores the 4 ASCII bytes of the base64 text instead.
  { column: 'c_varbinary', bigquery: 'AP8Q', emulator: { value: Buffer.from('AP8Q').toString('base64'), why: 'does not decode base64 BYTES' } },
  { column: 'c_date', bigquery: '2024-02-29' },
  { column: 'c_time', bigquery: '23:59:59.999000', emulator: { value: '23:59:59.999', why: 'drops trailing zeros of the fraction' } },
  { column: 'c_time_tz', bigquery: '10:11:12.345-06:00' },
  { column: 'c_timestamp', bigquery: '2024-01-02T03:04:05.678000Z' },
  { column: 'c_timestamp9', bigquery: '1969-12-31T23:59:59.999999Z' },
  { column: 'c_timestamp_tz', bigquery: '2024-03-10T06:30:00.000000Z' },
  {
    column: 'c_json',
    bigquery: '{"a":[1,2.5,null],"big":12345678901234567890,"s":"xé"}',
    emulator: { value: '{"a":[1,2.50,null],"big":12345678901234567890,"s":"xé"}', why: 'keeps the JSON text as sent (2.50); BigQuery normalizes numbers' },
  },
  { column: 'c_uuid', bigquery: '12151fd2-7586-11e9-8f9e-2a86e4085a59' },
  { column: 'c_ipaddress', bigquery: '2001:db8::1' },
  { column: 'c_interval_ym', bigquery: '-1-6' },
  { column: 'c_interval_ds', bigquery: '2 03:04:05.678' },
  { column: 'c_geometry', bigquery: 'POINT (1 2)' },
  { column: 'c_array_int', bigquery: ['1', '2', '3'] },
  {
    column: 'c_map_native',
    bigquery: [{ key: '1', value: 1.5 }, { key: '2', value: 'NaN' }],
    // NaN inside a RECORD is kept by the emulator (only a top-level FLOAT64 NaN becomes NULL).
  },
  { column: 'c_array_varchar', bigquery: ['a', 'b, c', '[x]', ''] },
  {
    column: 'c_map_json',
    bigquery: [{ key: 'k=1', value: ['1.5', '-0.05'] }, { key: 'x, y', value: [] }],
    emulator: { value: [{ key: 'k=1', value: ['1.50', '-0.05'] }, { key: 'x, y', value: [] }], why: 'keeps NUMERIC text inside arrays as sent (1.50); BigQuery answers 1.5' },
  },
  {
    column: 'c_row',
    bigquery: {
      id: '9223372036854775807',
      name: 'né',
      tags: ['x', 'y'],
      attrs: [{ key: 'a', value: '1' }, { key: 'b', value: null }],
      inner_row: { ts: '2024-01-02T03:04:05.123456Z', d: '2024-01-02', deep: [{ element: ['1', '2'] }, { element: [] }, { element: ['3'] }], maybe: null },
    },
  },
  { column: 'c_row_anonymous', bigquery: { field0: 'a', field1: '1' } },
  { column: 'c_array_row', bigquery: [{ a: '1', b: 'x' }, { a: null, b: null }] },
];

/**
 * Reads the all-types table back as readTable would on real BigQuery (one plain object per row), working
 * around bigquery-emulator v0.8.1 gaps found by this test:
 * - elements of a REPEATED RECORD are stored with their fields in an arbitrary order (TO_JSON_STRING shows
 *   `{"value":…,"key":…}` for some elements), and reading them back decodes by position: `SELECT *` fails
 *   at random ("failed to scan rows: strconv.ParseInt: parsing \"1.5\""), even with the fields named in
 *   ARRAY(SELECT AS STRUCT …). TO_JSON_STRING renders them by name, reliably, with scalar values as text:
 *   those columns are read that way and decoded by the expected field types (the same conventions as readTable);
 * - a TIMESTAMP inside a STRUCT ignores formatOptions.useInt64Timestamp, and TO_JSON_STRING writes it unquoted
 *   (invalid JSON): c_row is read field by field.
 */
async function readAllTypes(stack: Stack, table: string, schema: readonly BigQueryField[]): Promise<PlainRow[]> {
  const bq = bigQueryClient(stack);
  const t = `\`${PROJECT}.${DATASET}.${table}\``;
  const byName = (name: string): BigQueryField => schema.find((f) => f.name === name)!;
  const rowField = (name: string): BigQueryField => byName('c_row').fields!.find((f) => f.name === name)!;
  await bq.query(`CREATE VIEW \`${PROJECT}.${DATASET}.${table}_flat\` AS SELECT * EXCEPT(c_map_native, c_map_json, c_array_row, c_row) FROM ${t}`);
  await bq.query(
    `CREATE VIEW \`${PROJECT}.${DATASET}.${table}_nested\` AS SELECT c_boolean, TO_JSON_STRING(c_map_native) AS c_map_native, ` +
      'TO_JSON_STRING(c_map_json) AS c_map_json, TO_JSON_STRING(c_array_row) AS c_array_row, c_row IS NULL AS row_is_null, ' +
      'c_row.id AS id, c_row.name AS name, c_row.tags AS tags, TO_JSON_STRING(c_row.attrs) AS attrs, ' +
      `c_row.inner_row.ts AS ts, c_row.inner_row.d AS d, c_row.inner_row.deep AS deep, c_row.inner_row.maybe AS maybe FROM ${t}`,
  );
  const flat = await readTable(stack, DATASET, `${table}_flat`);
  const nested = await readTable(stack, DATASET, `${table}_nested`);
  const json = (field: BigQueryField, text: PlainValue | undefined): PlainValue => fromJsonText(field, JSON.parse(text as string));
  return flat.map((row) => {
    const n = nested.find((x) => x.c_boolean === row.c_boolean)!;
    const c_row: PlainValue = n.row_is_null
      ? null
      : { id: n.id!, name: n.name!, tags: n.tags!, attrs: json(rowField('attrs'), n.attrs), inner_row: { ts: n.ts!, d: n.d!, deep: n.deep!, maybe: n.maybe! } };
    return {
      ...row,
      c_map_native: json(byName('c_map_native'), n.c_map_native),
      c_map_json: json(byName('c_map_json'), n.c_map_json),
      c_array_row: json(byName('c_array_row'), n.c_array_row),
      c_row,
    };
  });
}

/** A TO_JSON_STRING value (the emulator's: scalars often as text) → readTable's conventions for `field`. */
function fromJsonText(field: BigQueryField, value: unknown): PlainValue {
  if (field.mode === 'REPEATED') {
    if (value === null || value === undefined) return []; // a NULL array reads back as empty
    assert.ok(Array.isArray(value), `${field.name}: expected an array, got ${JSON.stringify(value)}`);
    return value.map((v) => fromJsonText({ ...field, mode: 'NULLABLE' }, v));
  }
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'RECORD':
      return Object.fromEntries(field.fields!.map((f) => [f.name, fromJsonText(f, (value as Record<string, unknown>)[f.name])]));
    case 'FLOAT64':
      return typeof value === 'string' && !['NaN', 'Infinity', '-Infinity'].includes(value) ? Number(value) : (value as PlainValue);
    case 'INT64':
    case 'NUMERIC':
    case 'BIGNUMERIC':
      assert.ok(typeof value === 'string' || Number.isSafeInteger(value), `${field.name}: ${String(value)} would lose digits as a JSON number`);
      return String(value);
    case 'BOOL':
      return value === true || value === 'true';
    default:
      return value as PlainValue;
  }
}

/** Table metadata fields in the fixture's spelling: standard type names, mode always present. */
function normalizeFields(fields: any[]): any[] {
  const standard: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', STRUCT: 'RECORD' };
  return fields.map((f) => ({
    name: f.name,
    type: standard[f.type] ?? f.type,
    mode: f.mode ?? 'NULLABLE',
    ...(f.fields ? { fields: normalizeFields(f.fields) } : {}),
  }));
}
