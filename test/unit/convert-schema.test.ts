/** Athena type -> BigQuery field (DESIGN §5), column-name validation and the raw-text fallbacks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATHENA_TYPE_KINDS,
  ColumnNameInvalid,
  TYPE_TABLE,
  planBigQuerySchema,
  toBigQuerySchema,
  type BigQueryField,
  type Column,
} from '../../src/convert/index.ts';

const field = (type: string, mode: BigQueryField['mode'] = 'NULLABLE', fields?: BigQueryField[]): Omit<BigQueryField, 'name'> => ({
  type,
  mode,
  ...(fields ? { fields } : {}),
});
const sub = (name: string, type: string, mode: BigQueryField['mode'] = 'NULLABLE', fields?: BigQueryField[]): BigQueryField => ({ name, ...field(type, mode, fields) });

// [Athena type, encoding, expected field without its name]
const MAPPING: [string, Column['encoding'], Omit<BigQueryField, 'name'>][] = [
  ['boolean', undefined, field('BOOL')],
  ['tinyint', undefined, field('INT64')],
  ['smallint', undefined, field('INT64')],
  ['integer', undefined, field('INT64')],
  ['bigint', undefined, field('INT64')],
  ['real', undefined, field('FLOAT64')],
  ['float', undefined, field('FLOAT64')],
  ['double', undefined, field('FLOAT64')],
  ['decimal(10,2)', undefined, field('NUMERIC')],
  ['decimal(38,9)', undefined, field('NUMERIC')],
  ['decimal(29,0)', undefined, field('NUMERIC')],
  ['decimal(30,0)', undefined, field('BIGNUMERIC')],
  ['decimal(38,10)', undefined, field('BIGNUMERIC')],
  ['decimal(10,10)', undefined, field('BIGNUMERIC')],
  ['decimal(9,9)', undefined, field('NUMERIC')],
  ['decimal', undefined, field('BIGNUMERIC')],
  ['char(5)', undefined, field('STRING')],
  ['varchar', undefined, field('STRING')],
  ['varchar(10)', undefined, field('STRING')],
  ['string', undefined, field('STRING')],
  ['varbinary', undefined, field('BYTES')],
  ['date', undefined, field('DATE')],
  ['time(3)', undefined, field('TIME')],
  ['time(3) with time zone', undefined, field('STRING')],
  ['timestamp(3)', undefined, field('TIMESTAMP')],
  ['timestamp(9) with time zone', undefined, field('TIMESTAMP')],
  ['json', undefined, field('JSON')],
  ['uuid', undefined, field('STRING')],
  ['ipaddress', undefined, field('STRING')],
  ['interval year to month', undefined, field('STRING')],
  ['interval day to second', undefined, field('STRING')],
  ['unknown', undefined, field('STRING')],
  ['geometry', undefined, field('STRING')],
  ['qdigest(bigint)', undefined, field('STRING')],
  // Complex types with full element types.
  ['array(integer)', undefined, field('INT64', 'REPEATED')],
  ['array(varchar)', 'json', field('STRING', 'REPEATED')],
  ['array(array(integer))', undefined, field('RECORD', 'REPEATED', [sub('element', 'INT64', 'REPEATED')])],
  ['array(array(array(date)))', undefined, field('RECORD', 'REPEATED', [sub('element', 'RECORD', 'REPEATED', [sub('element', 'DATE', 'REPEATED')])])],
  ['array(map(varchar, integer))', 'json', field('RECORD', 'REPEATED', [sub('element', 'RECORD', 'REPEATED', [sub('key', 'STRING', 'REQUIRED'), sub('value', 'INT64')])])],
  ['map(integer, integer)', undefined, field('RECORD', 'REPEATED', [sub('key', 'INT64', 'REQUIRED'), sub('value', 'INT64')])],
  ['map(varchar, array(double))', 'json', field('RECORD', 'REPEATED', [sub('key', 'STRING', 'REQUIRED'), sub('value', 'FLOAT64', 'REPEATED')])],
  ['row(a integer, b varchar)', 'json', field('RECORD', 'NULLABLE', [sub('a', 'INT64'), sub('b', 'STRING')])],
  ['row(varchar, integer)', 'json', field('RECORD', 'NULLABLE', [sub('field0', 'STRING'), sub('field1', 'INT64')])],
  ['array(row(a integer, tags array(varchar)))', 'json', field('RECORD', 'REPEATED', [sub('a', 'INT64'), sub('tags', 'STRING', 'REPEATED')])],
  ['row(r row(s row(t timestamp(6))))', 'json', field('RECORD', 'NULLABLE', [sub('r', 'RECORD', 'NULLABLE', [sub('s', 'RECORD', 'NULLABLE', [sub('t', 'TIMESTAMP')])])])],
  // Fallbacks: no element types, or an ambiguous native rendering -> raw text; bare + JSON -> JSON.
  ['array', undefined, field('STRING')],
  ['map', undefined, field('STRING')],
  ['row', undefined, field('STRING')],
  ['array(array)', undefined, field('STRING')],
  ['array(varchar)', undefined, field('STRING')],
  ['map(varchar, integer)', undefined, field('STRING')],
  ['row(a integer, b varchar)', undefined, field('STRING')],
  ['array(json)', undefined, field('STRING')],
  ['array(varbinary)', undefined, field('STRING')],
  ['array', 'json', field('JSON')],
  ['map', 'json', field('JSON')],
];

describe('toBigQuerySchema: type mapping', () => {
  for (const [type, encoding, expected] of MAPPING) {
    it(`${type}${encoding ? ' (json)' : ''} -> ${expected.mode} ${expected.type}`, () => {
      assert.deepEqual(toBigQuerySchema([{ name: 'c', type, ...(encoding ? { encoding } : {}) }]), [{ name: 'c', ...expected }]);
    });
  }

  it('uses Column.precision/scale for a bare decimal (ColumnInfo)', () => {
    assert.deepEqual(toBigQuerySchema([{ name: 'd', type: 'decimal', precision: 10, scale: 2 }]), [{ name: 'd', type: 'NUMERIC', mode: 'NULLABLE' }]);
  });

  it('the dispatch table has one entry per kind, in the listed order', () => {
    assert.deepEqual(Object.keys(TYPE_TABLE), [...ATHENA_TYPE_KINDS]);
  });
});

describe('raw-text fallbacks are reported', () => {
  const WARN: [Column, RegExp][] = [
    [{ name: 'a', type: 'array' }, /no element types.*STRING/],
    [{ name: 'a', type: 'array(varchar)' }, /ambiguous/],
    [{ name: 'm', type: 'map' , encoding: 'json'}, /JSON column/],
  ];
  for (const [column, message] of WARN) {
    it(`${column.type}${column.encoding ? ' (json)' : ''}`, () => {
      const { warnings } = planBigQuerySchema([column]);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.column, column.name);
      assert.match(warnings[0]!.message, message);
      assert.match(warnings[0]!.hint, /typeof|CAST/);
    });
  }
  it('no warning for types loaded exactly', () => {
    assert.deepEqual(planBigQuerySchema([{ name: 'a', type: 'array(integer)' }, { name: 'b', type: 'array(varchar)', encoding: 'json' }]).warnings, []);
  });
});

describe('column names', () => {
  const VALID = ['a', '_col0', 'A_1', 'x'.repeat(300), 'table_name'];
  for (const name of VALID) {
    it(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…` : name)}`, () => {
      assert.equal(toBigQuerySchema([{ name, type: 'integer' }])[0]!.name, name);
    });
  }

  const INVALID: [string[], string, RegExp, RegExp][] = [
    [['my col'], 'my col', /only letters, digits and underscores/, /SELECT "my col" AS my_col/],
    [['1st'], '1st', /first character cannot be a digit/, /AS c_1st/],
    [['count(*)'], 'count(*)', /only letters/, /AS count/],
    [['x'.repeat(301)], 'x'.repeat(301), /longer than 300/, /Alias the column/],
    [['_PARTITIONTIME'], '_PARTITIONTIME', /reserved by BigQuery/, /Alias the column/],
    [['_table_suffix'], '_table_suffix', /reserved/, /Alias/],
    [['Id', 'id'], 'id', /repeats "Id" \(BigQuery column names ignore case\)/, /id_2/],
    [[''], '', /empty/, /SELECT expr AS some_name/],
  ];
  for (const [names, column, reason, hint] of INVALID) {
    it(`rejects ${JSON.stringify(names)} with a hint to alias it`, () => {
      assert.throws(
        () => toBigQuerySchema(names.map((name) => ({ name, type: 'integer' }))),
        (e: unknown) => e instanceof ColumnNameInvalid && e.column === column && reason.test(e.message) && hint.test(e.hint) && e.code === 'SCHEMA_CONFLICT',
      );
    });
  }

  it('rejects a row field name BigQuery cannot take, with its path', () => {
    assert.throws(
      () => toBigQuerySchema([{ name: 'r', type: 'row("a b" integer)', encoding: 'json' }]),
      (e: unknown) => e instanceof ColumnNameInvalid && e.column === 'r.a b' && /CAST\(col AS row/.test(e.hint),
    );
  });
});
