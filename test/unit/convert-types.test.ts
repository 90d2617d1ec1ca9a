/** The Athena/Trino type grammar, ColumnInfo -> Column, and type hints. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AthenaTypeInvalid,
  applyTypeHint,
  columnFromColumnInfo,
  formatAthenaType,
  parseAthenaType,
  type AthenaType,
  type Column,
  type ColumnInfoLike,
} from '../../src/convert/index.ts';

const I: AthenaType = { kind: 'integer' };
const V: AthenaType = { kind: 'varchar' };

// [text, parsed, canonical text]
const PARSE: [string, AthenaType, string][] = [
  ['boolean', { kind: 'boolean' }, 'boolean'],
  ['tinyint', { kind: 'tinyint' }, 'tinyint'],
  ['smallint', { kind: 'smallint' }, 'smallint'],
  ['integer', I, 'integer'],
  ['INT', I, 'integer'],
  ['bigint', { kind: 'bigint' }, 'bigint'],
  ['real', { kind: 'real' }, 'real'],
  ['float', { kind: 'real' }, 'real'],
  ['double', { kind: 'double' }, 'double'],
  ['double precision', { kind: 'double' }, 'double'],
  ['decimal', { kind: 'decimal' }, 'decimal'],
  ['decimal(10,2)', { kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'],
  ['DECIMAL( 38 , 18 )', { kind: 'decimal', precision: 38, scale: 18 }, 'decimal(38,18)'],
  ['decimal(7)', { kind: 'decimal', precision: 7, scale: 0 }, 'decimal(7,0)'],
  ['char(5)', { kind: 'char', length: 5 }, 'char(5)'],
  ['varchar', V, 'varchar'],
  ['varchar(10)', { kind: 'varchar', length: 10 }, 'varchar(10)'],
  ['string', V, 'varchar'],
  ['varbinary', { kind: 'varbinary' }, 'varbinary'],
  ['date', { kind: 'date' }, 'date'],
  ['time', { kind: 'time' }, 'time'],
  ['time(6)', { kind: 'time', precision: 6 }, 'time(6)'],
  ['time with time zone', { kind: 'time_tz' }, 'time with time zone'],
  ['time(3) with time zone', { kind: 'time_tz', precision: 3 }, 'time(3) with time zone'],
  ['timestamp', { kind: 'timestamp' }, 'timestamp'],
  ['timestamp(9)', { kind: 'timestamp', precision: 9 }, 'timestamp(9)'],
  ['timestamp(3) without time zone', { kind: 'timestamp', precision: 3 }, 'timestamp(3)'],
  ['timestamp with time zone', { kind: 'timestamp_tz' }, 'timestamp with time zone'],
  ['timestamp(6) WITH TIME ZONE', { kind: 'timestamp_tz', precision: 6 }, 'timestamp(6) with time zone'],
  ['json', { kind: 'json' }, 'json'],
  ['uuid', { kind: 'uuid' }, 'uuid'],
  ['ipaddress', { kind: 'ipaddress' }, 'ipaddress'],
  ['interval year to month', { kind: 'interval_ym' }, 'interval year to month'],
  ['interval day to second', { kind: 'interval_ds' }, 'interval day to second'],
  ['array', { kind: 'array' }, 'array'],
  ['map', { kind: 'map' }, 'map'],
  ['row', { kind: 'row' }, 'row'],
  ['array(integer)', { kind: 'array', element: I }, 'array(integer)'],
  ['array(array(array(integer)))', { kind: 'array', element: { kind: 'array', element: { kind: 'array', element: I } } }, 'array(array(array(integer)))'],
  ['map(varchar, integer)', { kind: 'map', key: V, value: I }, 'map(varchar, integer)'],
  [
    'map(varchar,array(decimal(10,2)))',
    { kind: 'map', key: V, value: { kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2 } } },
    'map(varchar, array(decimal(10,2)))',
  ],
  ['row(a integer, b varchar)', { kind: 'row', fields: [{ name: 'a', type: I }, { name: 'b', type: V }] }, 'row(a integer, b varchar)'],
  ['row(varchar, integer)', { kind: 'row', fields: [{ type: V }, { type: I }] }, 'row(varchar, integer)'],
  ['row("a b" integer, "x""y" varchar)', { kind: 'row', fields: [{ name: 'a b', type: I }, { name: 'x"y', type: V }] }, 'row("a b" integer, "x""y" varchar)'],
  [
    'row(date date, a double precision, ts timestamp(3) with time zone)',
    { kind: 'row', fields: [{ name: 'date', type: { kind: 'date' } }, { name: 'a', type: { kind: 'double' } }, { name: 'ts', type: { kind: 'timestamp_tz', precision: 3 } }] },
    'row("date" date, a double, ts timestamp(3) with time zone)',
  ],
  ['row(map map(varchar, integer))', { kind: 'row', fields: [{ name: 'map', type: { kind: 'map', key: V, value: I } }] }, 'row("map" map(varchar, integer))'],
  ['row(array(integer))', { kind: 'row', fields: [{ type: { kind: 'array', element: I } }] }, 'row(array(integer))'],
  [
    'array(row(id bigint, tags array(varchar), inner row(x map(varchar, array(row(y double))))))',
    {
      kind: 'array',
      element: {
        kind: 'row',
        fields: [
          { name: 'id', type: { kind: 'bigint' } },
          { name: 'tags', type: { kind: 'array', element: V } },
          {
            name: 'inner',
            type: {
              kind: 'row',
              fields: [{ name: 'x', type: { kind: 'map', key: V, value: { kind: 'array', element: { kind: 'row', fields: [{ name: 'y', type: { kind: 'double' } }] } } } }],
            },
          },
        ],
      },
    },
    'array(row(id bigint, tags array(varchar), inner row(x map(varchar, array(row(y double))))))',
  ],
  ['struct<a:int,b:array<string>>', { kind: 'row', fields: [{ name: 'a', type: I }, { name: 'b', type: { kind: 'array', element: V } }] }, 'row(a integer, b array(varchar))'],
  ['map<string,struct<`x y`:bigint>>', { kind: 'map', key: V, value: { kind: 'row', fields: [{ name: 'x y', type: { kind: 'bigint' } }] } }, 'map(varchar, row("x y" bigint))'],
  // Unknown and future types keep their raw text.
  ['geometry', { kind: 'unknown', text: 'geometry' }, 'geometry'],
  ['unknown', { kind: 'unknown', text: 'unknown' }, 'unknown'],
  ['HyperLogLog', { kind: 'unknown', text: 'HyperLogLog' }, 'HyperLogLog'],
  ['qdigest(bigint)', { kind: 'unknown', text: 'qdigest(bigint)' }, 'qdigest(bigint)'],
  ['timestamp with local time zone', { kind: 'unknown', text: 'timestamp with local time zone' }, 'timestamp with local time zone'],
  ['varchar(x)', { kind: 'unknown', text: 'varchar(x)' }, 'varchar(x)'],
  ['array(geometry)', { kind: 'array', element: { kind: 'unknown', text: 'geometry' } }, 'array(geometry)'],
  ['row(geometry)', { kind: 'row', fields: [{ type: { kind: 'unknown', text: 'geometry' } }] }, 'row(geometry)'],
  ['row(g SphericalGeography, n setdigest(bigint))', { kind: 'row', fields: [{ name: 'g', type: { kind: 'unknown', text: 'SphericalGeography' } }, { name: 'n', type: { kind: 'unknown', text: 'setdigest(bigint)' } }] }, 'row(g SphericalGeography, n setdigest(bigint))'],
];

const MALFORMED: [string, RegExp][] = [
  ['', /expected a type/],
  ['   ', /expected a type/],
  ['array(integer', /missing \)/],
  ['array(integer))', /unexpected text after the type/],
  ['map(integer)', /map needs a key type and a value type/],
  ['row()', /expected a row field/],
  ['row(a integer,)', /expected a row field/],
  ['row("a integer)', /unterminated quoted name/],
  ['array<integer)', /expected >/],
  ['qdigest(bigint', /missing \)/],
  ['(integer)', /expected a type name/],
  ['integer, varchar', /unexpected text after the type/],
];

describe('parseAthenaType', () => {
  for (const [text, parsed, canonical] of PARSE) {
    it(`parses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseAthenaType(text), parsed);
      assert.equal(formatAthenaType(parsed), canonical);
      // The canonical text parses back to the same type.
      assert.deepEqual(parseAthenaType(canonical), parsed);
    });
  }
  for (const [text, message] of MALFORMED) {
    it(`rejects malformed ${JSON.stringify(text)} with a clear error`, () => {
      assert.throws(
        () => parseAthenaType(text),
        (e: unknown) => e instanceof AthenaTypeInvalid && message.test(e.message) && e.code === 'ATHENA_ERROR' && e.hint.length > 0,
      );
    });
  }
});

describe('columnFromColumnInfo', () => {
  const CASES: [ColumnInfoLike, Column][] = [
    [{ Name: 'd', Type: 'decimal', Precision: 38, Scale: 18 }, { name: 'd', type: 'decimal(38,18)', precision: 38, scale: 18 }],
    [{ Name: 'd', Type: 'decimal', Precision: 10, Scale: 0 }, { name: 'd', type: 'decimal(10,0)', precision: 10, scale: 0 }],
    [{ Name: 't', Type: 'timestamp', Precision: 3, Scale: 0 }, { name: 't', type: 'timestamp(3)' }],
    [{ Name: 't', Type: 'timestamp', Precision: 0, Scale: 0 }, { name: 't', type: 'timestamp(0)' }],
    [{ Name: 't', Type: 'timestamp with time zone', Precision: 3 }, { name: 't', type: 'timestamp(3) with time zone' }],
    [{ Name: 't', Type: 'time', Precision: 9 }, { name: 't', type: 'time(9)' }],
    [{ Name: 't', Type: 'timestamp' }, { name: 't', type: 'timestamp' }],
    [{ Name: 's', Type: 'varchar', Precision: 2147483647 }, { name: 's', type: 'varchar' }],
    [{ Name: 's', Type: 'varchar', Precision: 10 }, { name: 's', type: 'varchar(10)' }],
    [{ Name: 's', Type: 'string', Precision: 0 }, { name: 's', type: 'string' }],
    [{ Name: 'c', Type: 'char', Precision: 5 }, { name: 'c', type: 'char(5)' }],
    [{ Name: 'a', Type: 'array', Precision: 0 }, { name: 'a', type: 'array' }],
    [{ Name: 'i', Type: 'integer', Precision: 10 }, { name: 'i', type: 'integer' }],
    [{ Name: 'g', Type: 'geometry' }, { name: 'g', type: 'geometry' }],
    [{ Name: '', Type: 'integer' }, { name: '', type: 'integer' }],
  ];
  for (const [info, column] of CASES) {
    it(`${JSON.stringify(info)} -> ${column.type}`, () => {
      assert.deepEqual(columnFromColumnInfo(info), column);
    });
  }
  it('refuses a ColumnInfo without Name or Type', () => {
    assert.throws(() => columnFromColumnInfo({ Type: 'integer' }), /without a Name/);
    assert.throws(() => columnFromColumnInfo({ Name: 'x' }), /without a Type/);
  });
});

describe('applyTypeHint', () => {
  it('completes a bare complex type (native text rendering)', () => {
    assert.deepEqual(applyTypeHint({ name: 'a', type: 'array' }, 'array(integer)'), { name: 'a', type: 'array(integer)' });
  });
  it('marks a json column holding CAST(complex AS JSON) as json-encoded', () => {
    assert.deepEqual(applyTypeHint({ name: 'r', type: 'json' }, 'row(a integer)'), { name: 'r', type: 'row(a integer)', encoding: 'json' });
  });
  it('rejects a hint of another kind', () => {
    assert.throws(() => applyTypeHint({ name: 'm', type: 'map' }, 'array(integer)'), /does not match column "m"/);
  });
});
