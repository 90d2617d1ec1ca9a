/**
 * The type probe (src/athena/probe.ts): the SQL it builds (quoting, nesting, what is and is not probed),
 * applying probed types to result columns, and the runner against the Athena wire fake (probe queries,
 * fallbacks, idempotent re-runs) and, for Glue metadata, aws-sdk-client-mock.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AthenaClient, GetTableMetadataCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import {
  applyProbedTypes,
  columnsProbeSql,
  derivedRequestToken,
  isComplexTypeText,
  mainQuerySql,
  probeTypes,
  resultPages,
  runQuery,
  subquerySql,
  typesProbeSql,
  type ProbeTypesOptions,
  type QuerySpec,
} from '../../src/athena/index.ts';
import { columnFromColumnInfo, compileRowConverter, type Column } from '../../src/convert/index.ts';
import { TransferError } from '../../src/errors.ts';
import { startAthenaFake, type AthenaFake } from '../emulators/athena-fake.ts';
import { allTypesScripts, limitZeroColumns, typeofColumns, typeofRow } from '../fixtures/all-types-athena.ts';
import { allTypes, allTypesColumns } from '../fixtures/all-types.ts';

const BASE_TOKEN = `a2bq-${'0123456789abcdef'.repeat(4)}`;
const spec = (sql: string, token = BASE_TOKEN): QuerySpec => ({ sql, workgroup: 'primary', catalog: 'AwsDataCatalog', database: 'sales', clientRequestToken: token });

describe('probe SQL builders', () => {
  const cases: Array<{ name: string; sql: () => string; expected: string }> = [
    {
      name: 'LIMIT 0 wraps the query on lines of its own, trailing semicolons and blanks dropped',
      sql: () => columnsProbeSql('  SELECT * FROM orders ;; \n'),
      expected: 'SELECT * FROM (\nSELECT * FROM orders\n) LIMIT 0',
    },
    {
      name: 'a trailing line comment cannot swallow the closing parenthesis',
      sql: () => columnsProbeSql('SELECT a FROM t -- latest only'),
      expected: 'SELECT * FROM (\nSELECT a FROM t -- latest only\n) LIMIT 0',
    },
    {
      name: 'typeof() probe (scan-free): one VALUES row outer-joined with the LIMIT 0 result, only the complex columns',
      sql: () => typesProbeSql('SELECT * FROM t', ['id', 'tags', 'attrs'], ['tags', 'attrs']),
      expected:
        'SELECT typeof("a2bq_source"."tags") AS "tags", typeof("a2bq_source"."attrs") AS "attrs"\n' +
        'FROM (VALUES 0) AS "a2bq_one"("a2bq_x")\n' +
        'LEFT JOIN (SELECT * FROM (\nSELECT * FROM t\n) LIMIT 0) AS "a2bq_source"("id", "tags", "attrs") ON true',
    },
    {
      name: 'typeof() probe, LIMIT 1 form',
      sql: () => typesProbeSql('SELECT * FROM t;', ['id', 'tags'], ['tags'], 'limit_1'),
      expected: 'SELECT typeof("tags") AS "tags"\nFROM (\nSELECT * FROM t\n) AS "a2bq_source"("id", "tags")\nLIMIT 1',
    },
    {
      name: 'names needing quotes: double quote doubled, spaces, case, unicode, unnamed _col0',
      sql: () => typesProbeSql('SELECT 1, ARRAY[2]', ['_col0', 'we"ird name', 'Ünï', 'MiXed'], ['we"ird name', 'MiXed'], 'limit_1'),
      expected: 'SELECT typeof("we""ird name") AS "we""ird name", typeof("MiXed") AS "MiXed"\nFROM (\nSELECT 1, ARRAY[2]\n) AS "a2bq_source"("_col0", "we""ird name", "Ünï", "MiXed")\nLIMIT 1',
    },
    {
      name: 'main query over a query: scalars by name, complex columns as CAST(… AS JSON) keeping their names',
      sql: () => mainQuerySql({ query: 'SELECT * FROM t;' }, ['id', 'tags', 'we"ird'], ['tags', 'we"ird']),
      expected:
        'SELECT "id", CAST("tags" AS JSON) AS "tags", CAST("we""ird" AS JSON) AS "we""ird"\n' +
        'FROM (\nSELECT * FROM t\n) AS "a2bq_source"("id", "tags", "we""ird")',
    },
    {
      name: 'main query over an athena.table: the table\'s columns, catalog/database/table quoted',
      sql: () => mainQuerySql({ table: { catalog: 's3tablescatalog/my-bucket', database: 'odd"db', table: 'orders' } }, ['id', 'items', 'dt'], ['items']),
      expected: 'SELECT "id", CAST("items" AS JSON) AS "items", "dt"\nFROM "s3tablescatalog/my-bucket"."odd""db"."orders"',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(c.sql(), c.expected));
  }

  it('refuses a typeof() probe without columns and a cast of an unknown column', () => {
    assert.throws(() => typesProbeSql('SELECT 1', ['a'], []), RangeError);
    assert.throws(() => mainQuerySql({ query: 'SELECT 1' }, ['a'], ['b']), RangeError);
  });

  it('subquerySql keeps inner semicolons and text, strips only the end', () => {
    assert.equal(subquerySql("SELECT ';' AS s ;"), "SELECT ';' AS s");
  });

  const complexCases: Array<[string, boolean]> = [
    ['array', true],
    ['map', true],
    ['row', true],
    ['array(row(a integer, "b c" varchar(3)))', true],
    ['map(varchar, array(decimal(10,2)))', true],
    ['struct<a:int,b:array<string>>', true],
    ['array<struct<x:timestamp>>', true],
    ['varchar', false],
    ['json', false],
    ['decimal(38,18)', false],
    ['timestamp(3) with time zone', false],
    ['geometry', false],
    ['', false],
    ['array(', false],
  ];
  for (const [text, expected] of complexCases) {
    it(`isComplexTypeText(${JSON.stringify(text)}) is ${expected}`, () => assert.equal(isComplexTypeText(text), expected));
  }

  it('derived request tokens: 32–128 characters, stable, distinct per purpose and per SQL', () => {
    const a = derivedRequestToken(BASE_TOKEN, 'columns', 'SELECT 1');
    assert.ok(a.length >= 32 && a.length <= 128, `${a.length}`);
    assert.match(a, /^[A-Za-z0-9-]+$/);
    assert.equal(derivedRequestToken(BASE_TOKEN, 'columns', 'SELECT 1'), a);
    const others = [
      derivedRequestToken(BASE_TOKEN, 'types', 'SELECT 1'),
      derivedRequestToken(BASE_TOKEN, 'columns', 'SELECT 2'),
      derivedRequestToken(`${BASE_TOKEN}x`, 'columns', 'SELECT 1'),
      derivedRequestToken(BASE_TOKEN, 'main', 'SELECT 1'),
    ];
    assert.equal(new Set([a, ...others]).size, 5);
    for (const t of others) assert.ok(t.length <= 128);
  });
});

describe('applyProbedTypes', () => {
  const cases: Array<{ name: string; columns: Column[]; types: Record<string, string>; expected: Column[]; warnings: RegExp[] }> = [
    {
      name: 'a json (CAST) column becomes its complex type with encoding json; others are untouched',
      columns: [{ name: 'id', type: 'bigint' }, { name: 'tags', type: 'json' }],
      types: { tags: 'array(varchar)' },
      expected: [{ name: 'id', type: 'bigint' }, { name: 'tags', type: 'array(varchar)', encoding: 'json' }],
      warnings: [],
    },
    {
      name: 'Hive spelling from Glue is normalized, names match case-insensitively',
      columns: [{ name: 'Items', type: 'json' }],
      types: { items: 'array<struct<sku:string,qty:int>>' },
      expected: [{ name: 'Items', type: 'array(row(sku varchar, qty integer))', encoding: 'json' }],
      warnings: [],
    },
    {
      name: 'a bare array from ColumnInfo (not cast) gets its element type, native encoding kept',
      columns: [{ name: 'a', type: 'array' }],
      types: { a: 'array(integer)' },
      expected: [{ name: 'a', type: 'array(integer)' }],
      warnings: [],
    },
    {
      name: 'a type that no longer matches the result is not applied, and says so',
      columns: [{ name: 'a', type: 'varchar' }],
      types: { a: 'array(integer)' },
      expected: [{ name: 'a', type: 'varchar' }],
      warnings: [/a: the probed type array\(integer\) does not match the result's varchar/],
    },
    {
      name: 'a column named like an Object property is not confused with one',
      columns: [{ name: 'constructor', type: 'varchar' }, { name: 'toString', type: 'json' }],
      types: {},
      expected: [{ name: 'constructor', type: 'varchar' }, { name: 'toString', type: 'json' }],
      warnings: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = applyProbedTypes(c.columns, c.types);
      assert.deepEqual(out.columns, c.expected);
      assert.equal(out.warnings.length, c.warnings.length, out.warnings.join('\n'));
      c.warnings.forEach((re, i) => assert.match(out.warnings[i]!, re));
    });
  }
});

describe('probeTypes against the Athena wire fake', () => {
  let fake: AthenaFake;
  let client: AthenaClient;
  before(async () => {
    fake = await startAthenaFake();
    client = new AthenaClient({ endpoint: fake.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  });
  after(async () => {
    client?.destroy();
    await fake?.stop();
  });
  beforeEach(() => assert.equal(fake.pendingScripts, 0, 'a previous test left scripts unclaimed'));

  const options = (sql: string, extra: Partial<ProbeTypesOptions> = {}): ProbeTypesOptions => ({
    mode: 'auto',
    spec: spec(sql),
    timeoutMs: 10_000,
    minDelayMs: 1,
    maxDelayMs: 2,
    ...extra,
  });
  const queriesSince = (before: number): string[] => fake.executions().slice(before).map((e) => e.query);

  it('no complex column: one LIMIT 0 probe that scans nothing; the main query and its token stay as configured', async () => {
    const before = fake.executions().length;
    fake.enqueue({ match: /plain_view[\s\S]*\) LIMIT 0$/, columns: [{ name: 'id', type: 'bigint' }, { name: 'amount', type: 'decimal(10,2)' }], rows: [], dataScannedBytes: 0 });
    const probe = await probeTypes(client, options('SELECT * FROM plain_view'));
    assert.equal(probe.source, 'query');
    assert.equal(probe.sql, 'SELECT * FROM plain_view');
    assert.equal(probe.clientRequestToken, BASE_TOKEN);
    assert.deepEqual(probe.types, {});
    assert.deepEqual(probe.warnings, []);
    assert.deepEqual(queriesSince(before), ['SELECT * FROM (\nSELECT * FROM plain_view\n) LIMIT 0']);
    assert.deepEqual(probe.queries.map((q) => [q.purpose, q.state, q.dataScannedBytes]), [['columns', 'SUCCEEDED', 0]]);
    assert.match(probe.queries[0]!.queryExecutionId, /^[0-9a-f-]{36}$/);
  });

  it('the all-types query: LIMIT 0, then typeof() for the 7 complex columns only, then the main query converts to the exact row', async () => {
    const before = fake.executions().length;
    for (const s of allTypesScripts('all_types_view')) fake.enqueue(s);
    const seen: string[] = [];
    const probe = await probeTypes(client, options('SELECT * FROM all_types_view', { onQuery: (q) => seen.push(`${q.purpose}:${q.queryExecutionId}`) }));
    assert.equal(probe.source, 'query');
    assert.deepEqual(probe.warnings, []);
    assert.deepEqual(probe.types, Object.fromEntries(typeofColumns.map((name, i) => [name, typeofRow[i]])));
    const names = limitZeroColumns.map((c) => c.name);
    assert.equal(probe.sql, mainQuerySql({ query: 'SELECT * FROM all_types_view' }, names, typeofColumns));
    assert.equal(probe.clientRequestToken, derivedRequestToken(BASE_TOKEN, 'main', probe.sql));
    assert.deepEqual(queriesSince(before), [columnsProbeSql('SELECT * FROM all_types_view'), typesProbeSql('SELECT * FROM all_types_view', names, typeofColumns)]);
    assert.deepEqual(seen, probe.queries.map((q) => `${q.purpose}:${q.queryExecutionId}`));
    assert.deepEqual(probe.queries.map((q) => q.dataScannedBytes), [0, 0]);

    // The main query as transfer.ts runs it: ColumnInfo -> columns -> probed types -> converter.
    const execution = await runQuery(client, { ...spec(probe.sql, probe.clientRequestToken) }, { timeoutMs: 10_000, minDelayMs: 1, maxDelayMs: 2 });
    const lines: string[] = [];
    let columns: Column[] = [];
    for await (const page of resultPages(client, execution)) {
      const raw = page.columns.map((c) => columnFromColumnInfo({ Name: c.name, Type: c.type, ...(c.precision !== undefined ? { Precision: c.precision } : {}), ...(c.scale !== undefined ? { Scale: c.scale } : {}) }));
      const typed = applyProbedTypes(raw, probe.types);
      assert.deepEqual(typed.warnings, []);
      columns = typed.columns;
      const converter = compileRowConverter(columns);
      assert.deepEqual(converter.warnings, [], 'no raw-STRING fallback once the types are probed');
      assert.deepEqual(converter.fields, allTypes.expectedSchema);
      for (const row of page.rows) lines.push(converter.convert(row) as string);
    }
    assert.deepEqual(columns, allTypesColumns.map((c) => (c.column.encoding === undefined && c.typeHint !== undefined ? { ...c.column, encoding: 'json' } : c.column)));
    assert.deepEqual(lines, [allTypes.expectedNdjson, allTypes.expectedNullNdjson]);
  });

  it('a retried run re-attaches to its probe queries (same tokens): nothing is started or scanned twice', async () => {
    for (const s of allTypesScripts('retried_view')) fake.enqueue(s);
    const first = await probeTypes(client, options('SELECT * FROM retried_view'));
    assert.equal(fake.pendingScripts, 1, 'only the main query\'s script is left');
    const started = fake.executionsStarted;
    const again = await probeTypes(client, options('SELECT * FROM retried_view'));
    assert.equal(fake.executionsStarted, started);
    assert.deepEqual(again.queries.map((q) => q.queryExecutionId), first.queries.map((q) => q.queryExecutionId));
    assert.equal(again.sql, first.sql);
    assert.equal(again.clientRequestToken, first.clientRequestToken);
    // Run the main query too, so the next test starts with no script left.
    await runQuery(client, spec(first.sql, first.clientRequestToken), { timeoutMs: 10_000, minDelayMs: 1, maxDelayMs: 2 });
  });

  it('Athena refuses the scan-free typeof() form: the LIMIT 1 form is used instead', async () => {
    fake.enqueue({ match: /^SELECT typeof[\s\S]*LEFT JOIN/, states: ['FAILED'], reason: 'SYNTAX_ERROR: pretend engine v2' });
    fake.enqueue({ match: /^SELECT typeof[\s\S]*LIMIT 1$/, columns: ['tags'], rows: [['array(varchar)']] });
    fake.enqueue({ match: /\) LIMIT 0$/, columns: [{ name: 'id', type: 'integer' }, { name: 'tags', type: 'array' }], rows: [] });
    const probe = await probeTypes(client, options('SELECT id, tags FROM fallback_view'));
    assert.deepEqual(probe.types, { tags: 'array(varchar)' });
    assert.deepEqual(probe.queries.map((q) => [q.purpose, q.state]), [['columns', 'SUCCEEDED'], ['types', 'FAILED'], ['types', 'SUCCEEDED']]);
    assert.deepEqual(probe.warnings, []);
    assert.match(probe.sql, /CAST\("tags" AS JSON\) AS "tags"/);
  });

  it('zero rows (LIMIT 1 form answers nothing): complex columns stay raw STRING, with a warning; never NULL, never a crash', async () => {
    fake.enqueue({ match: /^SELECT typeof[\s\S]*LEFT JOIN/, states: ['FAILED'], reason: 'NOT_SUPPORTED' });
    fake.enqueue({ match: /^SELECT typeof[\s\S]*LIMIT 1$/, columns: ['tags'], rows: [] });
    fake.enqueue({ match: /\) LIMIT 0$/, columns: [{ name: 'id', type: 'integer' }, { name: 'tags', type: 'array' }], rows: [] });
    const probe = await probeTypes(client, options('SELECT id, tags FROM empty_view WHERE false'));
    assert.equal(probe.sql, 'SELECT id, tags FROM empty_view WHERE false');
    assert.equal(probe.clientRequestToken, BASE_TOKEN);
    assert.deepEqual(probe.types, {});
    assert.equal(probe.warnings.length, 1);
    assert.match(probe.warnings[0]!, /returned no rows, so the element types of tags are unknown; they load as raw STRING/);
    // What the transfer then does with the bare column: STRING with the raw text.
    const converter = compileRowConverter([{ name: 'tags', type: 'array' }]);
    assert.deepEqual(converter.fields, [{ name: 'tags', type: 'STRING', mode: 'NULLABLE' }]);
    assert.equal(converter.convert(['[a, b]']), '{"tags":"[a, b]"}');
  });

  it('typeof() answers something that is not a complex type: only that column falls back', async () => {
    fake.enqueue({ match: /^SELECT typeof/, columns: ['a', 'b'], rows: [['array(integer)', 'unknown']] });
    fake.enqueue({ match: /\) LIMIT 0$/, columns: [{ name: 'a', type: 'array' }, { name: 'b', type: 'row' }], rows: [] });
    const probe = await probeTypes(client, options('SELECT a, b FROM odd_view'));
    assert.deepEqual(probe.types, { a: 'array(integer)' });
    assert.match(probe.sql, /^SELECT CAST\("a" AS JSON\) AS "a", "b"\n/);
    assert.equal(probe.warnings.length, 1);
    assert.match(probe.warnings[0]!, /typeof\(b\) answered "unknown"/);
  });

  it('the LIMIT 0 probe FAILS (a query that cannot be a subquery, or a real SQL error): the main query runs unchanged', async () => {
    fake.enqueue({ match: /SHOW PARTITIONS[\s\S]*\) LIMIT 0$/, states: ['RUNNING', 'FAILED'], reason: "line 2:1: mismatched input 'SHOW'" });
    const probe = await probeTypes(client, options('SHOW PARTITIONS orders'));
    assert.equal(probe.source, 'none');
    assert.equal(probe.sql, 'SHOW PARTITIONS orders');
    assert.equal(probe.clientRequestToken, BASE_TOKEN);
    assert.deepEqual(probe.queries.map((q) => [q.purpose, q.state]), [['columns', 'FAILED']]);
    assert.match(probe.warnings[0] ?? '', /could not run the query as a subquery \(line 2:1: mismatched input 'SHOW'\); it runs unchanged/);
  });

  it('a probe that is CANCELLED stops the run with that error (it would stop the main query too)', async () => {
    fake.enqueue({ match: /cancelled_view[\s\S]*\) LIMIT 0$/, states: ['RUNNING', 'CANCELLED'], reason: 'Query cancelled by user' });
    const seen: string[] = [];
    await assert.rejects(
      probeTypes(client, options('SELECT * FROM cancelled_view', { onQuery: (q) => seen.push(q.queryExecutionId) })),
      (error: unknown) => error instanceof TransferError && error.code === 'ATHENA_QUERY_CANCELLED',
    );
    assert.equal(seen.length, 1, 'the probe id was reported before it failed');
  });

  it('duplicate column names: no rewrite (an alias list needs unique names), with a warning', async () => {
    fake.enqueue({ match: /dup_view[\s\S]*\) LIMIT 0$/, columns: [{ name: 'id', type: 'integer' }, { name: 'ID', type: 'integer' }, { name: 'tags', type: 'array' }], rows: [] });
    const probe = await probeTypes(client, options('SELECT a.id, b.id, tags FROM dup_view'));
    assert.equal(probe.sql, 'SELECT a.id, b.id, tags FROM dup_view');
    assert.match(probe.warnings[0] ?? '', /duplicate column names \(ID\)/);
    assert.equal(probe.queries.length, 1, 'no typeof() probe');
  });

  it('type_probe off: no Athena call at all', async () => {
    const calls = fake.requests.length;
    const probe = await probeTypes(client, options('SELECT * FROM anything', { mode: 'off' }));
    assert.deepEqual({ source: probe.source, sql: probe.sql, token: probe.clientRequestToken, queries: probe.queries, warnings: probe.warnings }, { source: 'none', sql: 'SELECT * FROM anything', token: BASE_TOKEN, queries: [], warnings: [] });
    assert.equal(fake.requests.length, calls);
  });

  it('athena.table whose GetTableMetadata is refused (the fake does not implement it): probed with queries instead, and the report says why', async () => {
    fake.enqueue({ match: /^SELECT typeof/, columns: ['items'], rows: [['array(row(sku varchar, qty integer))']] });
    fake.enqueue({ match: /"orders"\n\) LIMIT 0$/, columns: [{ name: 'id', type: 'bigint' }, { name: 'items', type: 'array' }], rows: [] });
    const sql = 'SELECT * FROM "AwsDataCatalog"."sales"."orders"';
    const probe = await probeTypes(client, options(sql, { table: { catalog: 'AwsDataCatalog', database: 'sales', table: 'orders' } }));
    assert.equal(probe.source, 'query');
    assert.deepEqual(probe.types, { items: 'array(row(sku varchar, qty integer))' });
    assert.match(probe.warnings[0] ?? '', /GetTableMetadata for orders failed \(UnknownOperationException\); probed with queries instead/);
  });
});

describe('probeTypes with Glue table metadata (aws-sdk-client-mock)', () => {
  const table = { catalog: 'AwsDataCatalog', database: 'sales', table: 'orders' };
  const sql = 'SELECT * FROM "AwsDataCatalog"."sales"."orders"';

  it('reads Columns + PartitionKeys (Hive spelling), runs no query, and casts only the complex ones', async () => {
    const mock = mockClient(AthenaClient);
    try {
      mock.on(GetTableMetadataCommand, { CatalogName: 'AwsDataCatalog', DatabaseName: 'sales', TableName: 'orders', WorkGroup: 'primary' }).resolves({
        TableMetadata: {
          Name: 'orders',
          Columns: [
            { Name: 'id', Type: 'bigint' },
            { Name: 'items', Type: 'array<struct<sku:string,qty:int,price:decimal(10,2)>>' },
            { Name: 'attrs', Type: 'map<string,array<string>>' },
            { Name: 'note', Type: 'string' },
          ],
          PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        },
      });
      const probe = await probeTypes(new AthenaClient({ region: 'us-east-1' }), { mode: 'auto', spec: spec(sql), table, timeoutMs: 1000, minDelayMs: 1, maxDelayMs: 1 });
      assert.equal(probe.source, 'glue');
      assert.equal(mock.commandCalls(StartQueryExecutionCommand).length, 0);
      assert.deepEqual(probe.queries, []);
      assert.deepEqual(probe.types, { items: 'array<struct<sku:string,qty:int,price:decimal(10,2)>>', attrs: 'map<string,array<string>>' });
      assert.equal(probe.sql, 'SELECT "id", CAST("items" AS JSON) AS "items", CAST("attrs" AS JSON) AS "attrs", "note", "dt"\nFROM "AwsDataCatalog"."sales"."orders"');
      assert.equal(probe.clientRequestToken, derivedRequestToken(BASE_TOKEN, 'main', probe.sql));
      const typed = applyProbedTypes([{ name: 'items', type: 'json' }], probe.types);
      assert.deepEqual(typed.columns, [{ name: 'items', type: 'array(row(sku varchar, qty integer, price decimal(10,2)))', encoding: 'json' }]);
    } finally {
      mock.restore();
    }
  });

  it('a table without complex columns keeps SELECT * and the run\'s token', async () => {
    const mock = mockClient(AthenaClient);
    try {
      mock.on(GetTableMetadataCommand).resolves({ TableMetadata: { Name: 'orders', Columns: [{ Name: 'id', Type: 'int' }, { Name: 'ts', Type: 'timestamp' }] } });
      const probe = await probeTypes(new AthenaClient({ region: 'us-east-1' }), { mode: 'auto', spec: spec(sql), table, timeoutMs: 1000, minDelayMs: 1, maxDelayMs: 1 });
      assert.deepEqual([probe.source, probe.sql, probe.clientRequestToken, probe.warnings], ['glue', sql, BASE_TOKEN, []]);
      assert.equal(mock.commandCalls(StartQueryExecutionCommand).length, 0);
    } finally {
      mock.restore();
    }
  });
});
