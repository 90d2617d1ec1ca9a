/**
 * Value conversion as tables: the public failure reports (A3, A4, A8, A9, A10, B1-B5, B8 of
 * test/fixtures/public-reports.md) and the edge cases behind DESIGN §5. Lines are compared as exact NDJSON
 * text, so a digit lost through JS Number fails the test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRowConverter, SchemaConflict, type BigQueryField, type Column, type ConvertStats } from '../../src/convert/index.ts';

interface Case {
  name: string;
  type: string;
  encoding?: 'json';
  cell: string | null;
  /** The exact NDJSON line, or a rejection. */
  line?: string;
  reject?: RegExp;
  target?: BigQueryField;
  stats?: Partial<ConvertStats>;
}

function run(c: Case) {
  const column: Column = { name: 'v', type: c.type, ...(c.encoding ? { encoding: c.encoding } : {}) };
  const converter = compileRowConverter([column], c.target ? { target: [c.target] } : {});
  return { out: converter.convert([c.cell]), stats: converter.stats };
}

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        const { out, stats } = run(c);
        if (c.line !== undefined) assert.equal(out, c.line);
        else {
          assert.equal(typeof out, 'object', `expected a rejection, got ${String(out)}`);
          const rejected = out as Exclude<typeof out, string>;
          assert.equal(rejected.column, 'v');
          assert.equal(rejected.value, c.cell ?? 'NULL');
          assert.match(rejected.reason, c.reject!);
        }
        for (const [k, v] of Object.entries(c.stats ?? {})) assert.equal(stats[k as keyof ConvertStats], v, `stats.${k}`);
      });
    }
  });
}

table('public reports', [
  // A3: empty string is not NULL.
  { name: 'A3 varchar "" stays ""', type: 'varchar', cell: '', line: '{"v":""}' },
  { name: 'A3 varchar NULL is null', type: 'varchar', cell: null, line: '{"v":null}' },
  // A4: NULL is not "", 0 or false.
  { name: 'A4 integer NULL is null', type: 'integer', cell: null, line: '{"v":null}' },
  { name: 'A4 boolean NULL is null', type: 'boolean', cell: null, line: '{"v":null}' },
  { name: 'A4 integer "" is not 0 (rejected)', type: 'integer', cell: '', reject: /not an integer/ },
  // A8: bigint beyond 2^53, digit for digit.
  { name: 'A8 bigint 5177825985796768123', type: 'bigint', cell: '5177825985796768123', line: '{"v":"5177825985796768123"}' },
  // A9: timestamp shapes.
  { name: 'A9 timestamp without fraction', type: 'timestamp(0)', cell: '2023-08-01 14:14:33', line: '{"v":"2023-08-01T14:14:33.000000Z"}' },
  { name: 'A9 timestamp(6)', type: 'timestamp(6)', cell: '2023-04-11 20:58:43.130000', line: '{"v":"2023-04-11T20:58:43.130000Z"}' },
  {
    name: 'A9 timestamp(9) truncated and counted',
    type: 'timestamp(9)',
    cell: '2024-01-02 03:04:05.123456789',
    line: '{"v":"2024-01-02T03:04:05.123456Z"}',
    stats: { truncatedTimestamps: 1 },
  },
  { name: 'A9 tz offset +02:00', type: 'timestamp(3) with time zone', cell: '2026-09-01 12:00:00.000 +02:00', line: '{"v":"2026-09-01T10:00:00.000000Z"}' },
  {
    name: 'A9 tz America/New_York before the spring-forward gap',
    type: 'timestamp(3) with time zone',
    cell: '2024-03-10 01:30:00.000 America/New_York',
    line: '{"v":"2024-03-10T06:30:00.000000Z"}',
    stats: { ambiguousLocalTimes: 0, nonexistentLocalTimes: 0 },
  },
  // A10: wide ranges and unknown types.
  { name: 'A10 date 3900-01-01', type: 'date', cell: '3900-01-01', line: '{"v":"3900-01-01"}' },
  { name: 'A10 time 13:24:11.000', type: 'time(3)', cell: '13:24:11.000', line: '{"v":"13:24:11.000000"}' },
  { name: 'A10 real 0.5', type: 'real', cell: '0.5', line: '{"v":0.5}' },
  { name: 'A10 unknown type geometry -> raw text', type: 'geometry', cell: 'POLYGON ((0 0, 1 0, 1 1, 0 0))', line: '{"v":"POLYGON ((0 0, 1 0, 1 1, 0 0))"}' },
  // B1: NUMERIC as text.
  { name: 'B1 decimal(16,9) exact', type: 'decimal(16,9)', cell: '1255139.628052805', line: '{"v":"1255139.628052805"}' },
  // B2: NaN and infinities as strings.
  { name: 'B2 NaN', type: 'double', cell: 'NaN', line: '{"v":"NaN"}' },
  { name: 'B2 Infinity', type: 'double', cell: 'Infinity', line: '{"v":"Infinity"}' },
  { name: 'B2 -Infinity', type: 'double', cell: '-Infinity', line: '{"v":"-Infinity"}' },
  // B3: INT64 extremes.
  { name: 'B3 bigint max', type: 'bigint', cell: '9223372036854775807', line: '{"v":"9223372036854775807"}' },
  { name: 'B3 bigint min', type: 'bigint', cell: '-9223372036854775808', line: '{"v":"-9223372036854775808"}' },
  // B4: precision beyond NUMERIC -> BIGNUMERIC, exact (the NUMERIC-column conflict is in convert-schema/schema-diff tests).
  { name: 'B4 decimal(38,18) exact', type: 'decimal(38,18)', cell: '12345678901234567890.123456789012345678', line: '{"v":"12345678901234567890.123456789012345678"}' },
  // B5: NULL in arrays: never dropped silently; a NULL array is stored as empty (key omitted).
  { name: 'B5 array(integer) [1, null, 2] rejected', type: 'array(integer)', cell: '[1, null, 2]', reject: /^\[1\]: NULL element cannot be written to a BigQuery REPEATED field/ },
  { name: 'B5 JSON-encoded [1,null,2] rejected', type: 'array(integer)', encoding: 'json', cell: '[1,null,2]', reject: /^\[1\]: NULL element/ },
  { name: 'B5 NULL array omitted (BigQuery stores [])', type: 'array(integer)', cell: null, line: '{}', stats: { nullArraysAsEmpty: 1 } },
  { name: 'B5 empty array', type: 'array(integer)', cell: '[]', line: '{"v":[]}' },
  // B8: boolean into an existing STRING column -> 'true'.
  { name: 'B8 boolean true into STRING', type: 'boolean', cell: 'true', target: { name: 'v', type: 'STRING', mode: 'NULLABLE' }, line: '{"v":"true"}' },
]);

table('scalars', [
  { name: 'boolean false', type: 'boolean', cell: 'false', line: '{"v":false}' },
  { name: 'boolean TRUE is not a boolean rendering', type: 'boolean', cell: 'TRUE', reject: /not an Athena boolean/ },
  { name: 'boolean "" is not false', type: 'boolean', cell: '', reject: /not an Athena boolean/ },
  { name: 'integer with a quote cannot break the line', type: 'integer', cell: '1"', reject: /not an integer/ },
  { name: 'double -0.0 keeps its sign', type: 'double', cell: '-0.0', line: '{"v":-0.0}' },
  { name: 'double 1.0E10 passes through', type: 'double', cell: '1.0E10', line: '{"v":1.0E10}' },
  { name: 'double 4.9E-324', type: 'double', cell: '4.9E-324', line: '{"v":4.9E-324}' },
  { name: 'real 0.1 is not widened through float32', type: 'real', cell: '0.1', line: '{"v":0.1}' },
  { name: 'double garbage rejected', type: 'double', cell: '1,5', reject: /not a floating-point number/ },
  { name: 'decimal keeps trailing zeros', type: 'decimal(10,2)', cell: '-0.50', line: '{"v":"-0.50"}' },
  { name: 'decimal bare type (precision unknown) is BIGNUMERIC and exact', type: 'decimal', cell: '99999999999999999999999999999999999999', line: '{"v":"99999999999999999999999999999999999999"}' },
  { name: 'char padding kept', type: 'char(5)', cell: 'ab   ', line: '{"v":"ab   "}' },
  { name: 'varchar control characters escaped', type: 'varchar', cell: 'a\nb\u2028c\u0000', line: '{"v":"a\\nb\u2028c\\u0000"}' },
  { name: 'varbinary spaced hex', type: 'varbinary', cell: '31 32 33', line: '{"v":"MTIz"}' },
  { name: 'varbinary grouped with line break', type: 'varbinary', cell: '00 01 02 03 04 05 06 07   08 09\n0a', line: '{"v":"AAECAwQFBgcICQo="}' },
  { name: 'varbinary empty', type: 'varbinary', cell: '', line: '{"v":""}' },
  { name: 'varbinary odd number of hex digits rejected', type: 'varbinary', cell: '0 1 2', reject: /not hex-encoded/ },
  { name: 'varbinary non-hex rejected', type: 'varbinary', cell: 'zz', reject: /not hex-encoded/ },
  { name: 'date year 0001', type: 'date', cell: '0001-01-01', line: '{"v":"0001-01-01"}' },
  { name: 'date year 0 rejected', type: 'date', cell: '0000-12-31', reject: /year < 1/ },
  { name: 'date signed year rejected', type: 'date', cell: '-0001-12-31', reject: /^year < 1 not representable in BigQuery DATE$/ },
  { name: 'date 5-digit year rejected', type: 'date', cell: '+10000-01-01', reject: /^year > 9999 not representable in BigQuery DATE$/ },
  { name: 'time(0)', type: 'time(0)', cell: '00:00:00', line: '{"v":"00:00:00.000000"}' },
  { name: 'time(9) truncated and counted', type: 'time(9)', cell: '01:02:03.123456789', line: '{"v":"01:02:03.123456"}', stats: { truncatedTimes: 1 } },
  { name: 'time(9) zero digits dropped without counting', type: 'time(9)', cell: '01:02:03.123456000', line: '{"v":"01:02:03.123456"}', stats: { truncatedTimes: 0 } },
  { name: 'time with time zone -> raw text', type: 'time(3) with time zone', cell: '10:11:12.345-06:00', line: '{"v":"10:11:12.345-06:00"}' },
  { name: 'timestamp truncation never rounds up', type: 'timestamp(9)', cell: '1999-12-31 23:59:59.999999999', line: '{"v":"1999-12-31T23:59:59.999999Z"}' },
  { name: 'timestamp year 0001', type: 'timestamp(3)', cell: '0001-01-01 00:00:00.000', line: '{"v":"0001-01-01T00:00:00.000000Z"}' },
  { name: 'timestamp beyond 9999 rejected', type: 'timestamp(3)', cell: '+10000-01-01 00:00:00.000', reject: /year > 9999 not representable in BigQuery TIMESTAMP/ },
  { name: 'timestamp into an existing DATETIME column', type: 'timestamp(3)', cell: '2024-01-02 03:04:05.678', target: { name: 'v', type: 'DATETIME', mode: 'NULLABLE' }, line: '{"v":"2024-01-02T03:04:05.678000"}' },
  { name: 'json object raw, big number digit for digit', type: 'json', cell: '{"n":12345678901234567890,"x":1.10}', line: '{"v":{"n":12345678901234567890,"x":1.10}}' },
  { name: 'json string scalar keeps its quotes', type: 'json', cell: '"Hello Athena"', line: '{"v":"Hello Athena"}' },
  { name: 'json null collapses to SQL NULL, counted', type: 'json', cell: 'null', line: '{"v":null}', stats: { jsonNullsCollapsed: 1 } },
  { name: 'json with line breaks stays on one line', type: 'json', cell: '{\n  "a": "x\\ny",\n  "b": [1, 2]\n}', line: '{"v":{"a":"x\\ny","b":[1,2]}}' },
  { name: 'json that is not JSON is rejected (no injection)', type: 'json', cell: '1,"x":2', reject: /not valid JSON/ },
  { name: 'json with a raw newline inside a string is rejected', type: 'json', cell: '"a\nb"', reject: /not valid JSON \(control character/ },
  { name: 'uuid raw', type: 'uuid', cell: '00000000-0000-0000-0000-000000000000', line: '{"v":"00000000-0000-0000-0000-000000000000"}' },
  { name: 'interval day to second raw', type: 'interval day to second', cell: '-1 02:00:00.000', line: '{"v":"-1 02:00:00.000"}' },
]);

table('timestamp with time zone (DST as Trino/java.time resolves it)', [
  { name: 'UTC', type: 'timestamp(3) with time zone', cell: '2024-01-02 03:04:05.678 UTC', line: '{"v":"2024-01-02T03:04:05.678000Z"}' },
  { name: 'offset +05:30', type: 'timestamp(3) with time zone', cell: '2024-06-30 12:00:00.000 +05:30', line: '{"v":"2024-06-30T06:30:00.000000Z"}' },
  { name: 'offset -14:00 across a date line', type: 'timestamp(3) with time zone', cell: '2024-12-31 23:00:00.000 -14:00', line: '{"v":"2025-01-01T13:00:00.000000Z"}' },
  {
    name: 'overlap (fall back): earlier offset EDT, counted',
    type: 'timestamp(3) with time zone',
    cell: '2024-11-03 01:30:00.000 America/New_York',
    line: '{"v":"2024-11-03T05:30:00.000000Z"}',
    stats: { ambiguousLocalTimes: 1 },
  },
  {
    name: 'gap (spring forward): moved later by the gap, counted',
    type: 'timestamp(3) with time zone',
    cell: '2024-03-10 02:30:00.000 America/New_York',
    line: '{"v":"2024-03-10T07:30:00.000000Z"}',
    stats: { nonexistentLocalTimes: 1 },
  },
  { name: 'just after the gap', type: 'timestamp(3) with time zone', cell: '2024-03-10 03:00:00.000 America/New_York', line: '{"v":"2024-03-10T07:00:00.000000Z"}' },
  { name: 'just after the overlap', type: 'timestamp(3) with time zone', cell: '2024-11-03 02:00:00.000 America/New_York', line: '{"v":"2024-11-03T07:00:00.000000Z"}' },
  { name: 'southern hemisphere DST (Sydney, January)', type: 'timestamp(3) with time zone', cell: '2024-01-15 10:00:00.000 Australia/Sydney', line: '{"v":"2024-01-14T23:00:00.000000Z"}' },
  { name: 'half-hour DST (Lord Howe)', type: 'timestamp(3) with time zone', cell: '2024-01-15 10:00:00.000 Australia/Lord_Howe', line: '{"v":"2024-01-14T23:00:00.000000Z"}' },
  { name: 'pre-1883 local mean time (New York -4:56:02)', type: 'timestamp(3) with time zone', cell: '1850-01-01 00:00:00.000 America/New_York', line: '{"v":"1850-01-01T04:56:02.000000Z"}' },
  { name: 'Kolkata +05:30', type: 'timestamp(3) with time zone', cell: '2024-06-01 00:00:00.000 Asia/Kolkata', line: '{"v":"2024-05-31T18:30:00.000000Z"}' },
  { name: 'nanoseconds truncated', type: 'timestamp(9) with time zone', cell: '2024-01-02 03:04:05.123456789 Europe/Paris', line: '{"v":"2024-01-02T02:04:05.123456Z"}', stats: { truncatedTimestamps: 1 } },
  { name: 'unknown zone rejected', type: 'timestamp(3) with time zone', cell: '2024-01-02 03:04:05.000 Mars/Olympus', reject: /unknown time zone "Mars\/Olympus"/ },
  { name: 'before year 1 after conversion rejected', type: 'timestamp(3) with time zone', cell: '0001-01-01 00:30:00.000 +01:00', reject: /year < 1 .*after conversion to UTC/ },
  { name: 'year 0 wall time that lands in year 1 is kept', type: 'timestamp(3) with time zone', cell: '0000-12-31 23:00:00.000 -02:00', line: '{"v":"0001-01-01T01:00:00.000000Z"}' },
]);

table('complex values, native rendering (unambiguous leaves only)', [
  { name: 'array(date)', type: 'array(date)', cell: '[2024-01-01, 1969-12-31]', line: '{"v":["2024-01-01","1969-12-31"]}' },
  { name: 'array(double) with NaN', type: 'array(double)', cell: '[1.5, NaN, -Infinity]', line: '{"v":[1.5,"NaN","-Infinity"]}' },
  { name: 'array(array(integer)) -> REPEATED RECORD element', type: 'array(array(integer))', cell: '[[1, 2], [], null, [3]]', line: '{"v":[{"element":["1","2"]},{"element":[]},{},{"element":["3"]}]}', stats: { nullArraysAsEmpty: 1 } },
  { name: 'map(integer,integer) with NULL value', type: 'map(integer, integer)', cell: '{5=null, 6=7}', line: '{"v":[{"key":"5","value":null},{"key":"6","value":"7"}]}' },
  { name: 'row with names', type: 'row(a integer, b timestamp(3))', cell: '{a=1, b=2024-01-02 03:04:05.678}', line: '{"v":{"a":"1","b":"2024-01-02T03:04:05.678000Z"}}' },
  { name: 'row without names', type: 'row(integer, boolean)', cell: '{1, true}', line: '{"v":{"field0":"1","field1":true}}' },
  { name: 'array(row) nested', type: 'array(row(a integer, b array(bigint)))', cell: '[{a=1, b=[2, 3]}, {a=null, b=null}]', line: '{"v":[{"a":"1","b":["2","3"]},{"a":null}]}' },
  { name: 'map key with = is malformed for integer keys', type: 'map(integer, integer)', cell: '{1=2=3}', reject: /not an integer|expected ','/ },
  { name: 'array text with trailing garbage rejected', type: 'array(integer)', cell: '[1, 2] x', reject: /unexpected text/ },
  { name: 'array(varchar) native is ambiguous -> STRING raw text', type: 'array(varchar)', cell: '[a, b, c, [x]]', line: '{"v":"[a, b, c, [x]]"}' },
  { name: 'bare array (no element type) -> STRING raw text', type: 'array', cell: '[1, 2]', line: '{"v":"[1, 2]"}' },
]);

table('complex values, CAST(… AS JSON) text', [
  { name: 'array(varchar) keeps ambiguous strings exact', type: 'array(varchar)', encoding: 'json', cell: '["a","b, c","[x]","null",""]', line: '{"v":["a","b, c","[x]","null",""]}' },
  { name: 'array(bigint) big values exact', type: 'array(bigint)', encoding: 'json', cell: '[9223372036854775807,-1]', line: '{"v":["9223372036854775807","-1"]}' },
  { name: 'array(decimal(38,10)) exact, exponent form rewritten', type: 'array(decimal(38,10))', encoding: 'json', cell: '[1.5000000000,1E-10,-2.5E+3]', line: '{"v":["1.5000000000","0.0000000001","-2500"]}' },
  { name: 'array(double) NaN as Jackson string', type: 'array(double)', encoding: 'json', cell: '[1.0E10,"NaN",-0.0]', line: '{"v":[1.0E10,"NaN",-0.0]}' },
  { name: 'map(varchar, integer) object', type: 'map(varchar, integer)', encoding: 'json', cell: '{"k=1":1,"x, y":null}', line: '{"v":[{"key":"k=1","value":"1"},{"key":"x, y","value":null}]}' },
  { name: 'map(integer, varchar): keys arrive as strings', type: 'map(integer, varchar)', encoding: 'json', cell: '{"1":"a","2":"b"}', line: '{"v":[{"key":"1","value":"a"},{"key":"2","value":"b"}]}' },
  { name: 'row as JSON object (Trino), quoted field name', type: 'row(a integer, "B" varchar)', encoding: 'json', cell: '{"a":1,"B":"x"}', line: '{"v":{"a":"1","B":"x"}}' },
  { name: 'row as JSON object, fields in any order', type: 'row(a integer, b varchar)', encoding: 'json', cell: '{"b":"x","a":1}', line: '{"v":{"a":"1","b":"x"}}' },
  { name: 'row as JSON array (legacy/Presto)', type: 'row(a integer, b varchar)', encoding: 'json', cell: '[1,"x"]', line: '{"v":{"a":"1","b":"x"}}' },
  { name: 'anonymous row fields "" matched by position', type: 'row(integer, varchar)', encoding: 'json', cell: '{"":1,"":"x"}', line: '{"v":{"field0":"1","field1":"x"}}' },
  { name: 'row with date/timestamp strings', type: 'row(d date, t timestamp(3))', encoding: 'json', cell: '{"d":"2024-01-01","t":"2024-01-02 03:04:05.678"}', line: '{"v":{"d":"2024-01-01","t":"2024-01-02T03:04:05.678000Z"}}' },
  { name: 'row with a json field', type: 'row(j json)', encoding: 'json', cell: '{"j":{"x":[1,2]}}', line: '{"v":{"j":{"x":[1,2]}}}' },
  { name: 'row with an unknown field type keeps its JSON text as STRING', type: 'row(g geometry)', encoding: 'json', cell: '{"g":{"type":"Point"}}', line: '{"v":{"g":"{\\"type\\":\\"Point\\"}"}}' },
  { name: 'row with too many positional values rejected', type: 'row(a integer)', encoding: 'json', cell: '[1,2]', reject: /more than the 1 fields/ },
  { name: 'unknown field name rejected', type: 'row(a integer)', encoding: 'json', cell: '{"z":1}', reject: /unexpected row field "z"/ },
  { name: 'array of rows with a NULL row rejected', type: 'array(row(a integer))', encoding: 'json', cell: '[{"a":1},null]', reject: /^\[1\]: NULL element/ },
  { name: 'nested error names the path', type: 'row(a array(date))', encoding: 'json', cell: '{"a":["2024-01-01","+10000-01-01"]}', reject: /^field a: \[1\]: year > 9999/ },
  { name: 'broken JSON rejected', type: 'array(integer)', encoding: 'json', cell: '[1,2', reject: /expected ',' or ']'|found the end/ },
  { name: 'JSON-encoded scalar column', type: 'bigint', encoding: 'json', cell: '12345678901234567890', line: '{"v":"12345678901234567890"}' },
  { name: 'bare row with JSON encoding -> JSON column', type: 'row', encoding: 'json', cell: '{"a":1}', line: '{"v":{"a":1}}' },
]);

table('existing target columns', [
  { name: 'array(integer) into REPEATED STRING: elements as text', type: 'array(integer)', cell: '[1, 2]', target: { name: 'v', type: 'STRING', mode: 'REPEATED' }, line: '{"v":["1","2"]}' },
  { name: 'array into STRING: the whole text', type: 'array(integer)', cell: '[1, 2]', target: { name: 'v', type: 'STRING', mode: 'NULLABLE' }, line: '{"v":"[1, 2]"}' },
  { name: 'JSON-encoded row into STRING: its JSON text', type: 'row(a integer)', encoding: 'json', cell: '{"a":1}', target: { name: 'v', type: 'STRING', mode: 'NULLABLE' }, line: '{"v":"{\\"a\\":1}"}' },
  { name: 'double into STRING: Athena text', type: 'double', cell: '1.0E10', target: { name: 'v', type: 'STRING', mode: 'NULLABLE' }, line: '{"v":"1.0E10"}' },
  { name: 'bigint into NUMERIC', type: 'bigint', cell: '9223372036854775807', target: { name: 'v', type: 'NUMERIC', mode: 'NULLABLE' }, line: '{"v":"9223372036854775807"}' },
  { name: 'decimal into NUMERIC(10,2) fits', type: 'decimal(12,2)', cell: '12345678.90', target: { name: 'v', type: 'NUMERIC', mode: 'NULLABLE', precision: '10', scale: '2' }, line: '{"v":"12345678.90"}' },
  {
    name: 'decimal beyond the target column precision rejected',
    type: 'decimal(12,2)',
    cell: '1234567890.00',
    target: { name: 'v', type: 'NUMERIC', mode: 'NULLABLE', precision: '10', scale: '2' },
    reject: /10 digits before the decimal point exceed the 8 of the target NUMERIC\(10,2\) column/,
  },
  {
    name: 'decimal with more fraction digits than the target: zeros dropped',
    type: 'decimal(12,4)',
    cell: '1.2300',
    target: { name: 'v', type: 'NUMERIC', mode: 'NULLABLE', precision: '10', scale: '2' },
    line: '{"v":"1.23"}',
  },
  {
    name: 'decimal with more fraction digits than the target: rounding refused',
    type: 'decimal(12,4)',
    cell: '1.2345',
    target: { name: 'v', type: 'NUMERIC', mode: 'NULLABLE', precision: '10', scale: '2' },
    reject: /BigQuery would round/,
  },
  { name: 'NULL into a REQUIRED column rejected', type: 'integer', cell: null, target: { name: 'v', type: 'INTEGER', mode: 'REQUIRED' }, reject: /REQUIRED/ },
  { name: 'target name spelling is used', type: 'integer', cell: '1', target: { name: 'V', type: 'INTEGER', mode: 'NULLABLE' }, line: '{"V":"1"}' },
]);

describe('target conflicts', () => {
  it('B4: decimal(38,18) into an existing NUMERIC column throws SchemaConflict naming the column and the fix', () => {
    assert.throws(
      () => compileRowConverter([{ name: 'amount', type: 'decimal(38,18)' }], { target: [{ name: 'amount', type: 'NUMERIC', mode: 'NULLABLE' }] }),
      (e: unknown) =>
        e instanceof SchemaConflict &&
        e.code === 'SCHEMA_CONFLICT' &&
        e.conflicts[0]!.path === 'amount' &&
        e.conflicts[0]!.existingType === 'NUMERIC' &&
        e.conflicts[0]!.wantedType === 'BIGNUMERIC' &&
        /SET DATA TYPE BIGNUMERIC/.test(e.hint),
    );
  });
  it('an array into a non-repeated INT64 column is a conflict', () => {
    assert.throws(() => compileRowConverter([{ name: 'a', type: 'array(integer)' }], { target: [{ name: 'a', type: 'INT64', mode: 'NULLABLE' }] }), SchemaConflict);
  });
});

describe('row converter', () => {
  const columns: Column[] = [
    { name: 'id', type: 'integer' },
    { name: 's', type: 'varchar' },
    { name: 'tags', type: 'array(integer)' },
  ];
  it('writes columns in order, nulls for NULLABLE, nothing for NULL arrays', () => {
    const c = compileRowConverter(columns);
    assert.equal(c.convert(['1', 'x', '[1]']), '{"id":"1","s":"x","tags":["1"]}');
    assert.equal(c.convert([null, null, null]), '{"id":null,"s":null}');
    assert.equal(c.convert([null, '', null]), '{"id":null,"s":""}');
  });
  it('names the column, the cell and the reason of a rejected row', () => {
    const c = compileRowConverter(columns);
    assert.deepEqual(c.convert(['x', 'y', '[]']), { column: 'id', value: 'x', reason: 'not an integer' });
  });
  it('rejects a row with the wrong number of cells', () => {
    const c = compileRowConverter(columns);
    const out = c.convert(['1']);
    assert.equal(typeof out, 'object');
  });
  it('stats are plain numbers', () => {
    const c = compileRowConverter(columns);
    for (const v of Object.values(c.stats)) assert.equal(typeof v, 'number');
  });
});

describe('no value can break or inject into the NDJSON line', () => {
  const HOSTILE = ['', ' ', '"', '\\', '\n', '\r\n', '\u2028', '"},"x":{"', '1,"x":2', '[1]', '{}', 'null', 'true', '1e5', '-', '0x10', '\u0000', '"a\nb"', '[1, "x"]', '{a=1, "b"=2}', '2024-01-01 00:00:00.000 "Z', '\ud800'];
  const TYPES: [string, 'json' | undefined][] = [
    ['boolean', undefined],
    ['bigint', undefined],
    ['double', undefined],
    ['decimal(10,2)', undefined],
    ['varchar', undefined],
    ['varbinary', undefined],
    ['date', undefined],
    ['time(3)', undefined],
    ['timestamp(3)', undefined],
    ['timestamp(3) with time zone', undefined],
    ['json', undefined],
    ['geometry', undefined],
    ['array(integer)', undefined],
    ['map(integer, double)', undefined],
    ['row(a integer, b date)', undefined],
    ['array(varchar)', 'json'],
    ['row(a integer, b varchar)', 'json'],
    ['map(varchar, array(row(x json)))', 'json'],
  ];
  for (const [type, encoding] of TYPES) {
    it(`${type}${encoding ? ' (json)' : ''}: valid one-line JSON with one key, or a rejection`, () => {
      const converter = compileRowConverter([{ name: 'v', type, ...(encoding ? { encoding } : {}) }]);
      for (const cell of HOSTILE) {
        const out = converter.convert([cell]);
        if (typeof out !== 'string') {
          assert.equal(out.value, cell);
          continue;
        }
        assert.ok(!out.includes('\n') && !out.includes('\r'), `line break in ${JSON.stringify(out)}`);
        const parsed = JSON.parse(out) as Record<string, unknown>;
        assert.ok(Object.keys(parsed).length <= 1 && Object.keys(parsed).every((k) => k === 'v'), `keys of ${out}`);
      }
    });
  }
});
