/** diffSchema: existing table schema vs the schema the query maps to. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffSchema, type SchemaPolicy } from '../../src/bigquery/schema-diff.ts';
import { compileRowConverter, toBigQuerySchema, type BigQueryField } from '../../src/convert/index.ts';

const f = (name: string, type: string, mode: BigQueryField['mode'] = 'NULLABLE', fields?: BigQueryField[]): BigQueryField => ({
  name,
  type,
  mode,
  ...(fields ? { fields } : {}),
});
const open: SchemaPolicy = { allowFieldAddition: true, allowWidenToString: true };
const strict: SchemaPolicy = { allowFieldAddition: false, allowWidenToString: false };

describe('diffSchema', () => {
  it('identical schemas: nothing to do, target = existing', () => {
    const schema = [f('id', 'INT64'), f('s', 'STRING')];
    assert.deepEqual(diffSchema(schema, schema, strict), { addFields: [], widenToString: [], conflicts: [], target: schema });
  });

  it('legacy type names and absent modes from tables.get are understood', () => {
    const existing = [{ name: 'id', type: 'INTEGER' }, { name: 'f', type: 'FLOAT' }, { name: 'b', type: 'BOOLEAN' }, { name: 'r', type: 'STRUCT', fields: [{ name: 'x', type: 'INTEGER' }] }] as BigQueryField[];
    const wanted = [f('id', 'INT64'), f('f', 'FLOAT64'), f('b', 'BOOL'), f('r', 'RECORD', 'NULLABLE', [f('x', 'INT64')])];
    const plan = diffSchema(existing, wanted, strict);
    assert.deepEqual(plan.conflicts, []);
    assert.deepEqual(plan.addFields, []);
  });

  it('names match ignoring case', () => {
    assert.deepEqual(diffSchema([f('ID', 'INT64')], [f('id', 'INT64')], strict).conflicts, []);
  });

  it('new columns are added when allowed (appended to the target, REQUIRED relaxed)', () => {
    const existing = [f('id', 'INT64')];
    const wanted = [f('id', 'INT64'), f('m', 'RECORD', 'REPEATED', [f('key', 'STRING', 'REQUIRED'), f('value', 'INT64')])];
    const plan = diffSchema(existing, wanted, open);
    const added = f('m', 'RECORD', 'REPEATED', [f('key', 'STRING'), f('value', 'INT64')]);
    assert.deepEqual(plan.addFields, [{ ...added, path: 'm' }]);
    assert.deepEqual(plan.target, [f('id', 'INT64'), added]);
    assert.deepEqual(plan.conflicts, []);
  });

  it('new columns are a conflict when addition is not allowed', () => {
    const plan = diffSchema([f('id', 'INT64')], [f('id', 'INT64'), f('x', 'DATE')], strict);
    assert.equal(plan.conflicts.length, 1);
    assert.equal(plan.conflicts[0]!.path, 'x');
    assert.match(plan.conflicts[0]!.hint, /allow_field_addition/);
  });

  it('nested new fields are added inside the existing RECORD', () => {
    const existing = [f('r', 'RECORD', 'NULLABLE', [f('a', 'INT64')])];
    const wanted = [f('r', 'RECORD', 'NULLABLE', [f('a', 'INT64'), f('b', 'STRING')])];
    const plan = diffSchema(existing, wanted, open);
    assert.deepEqual(plan.addFields, [{ ...f('b', 'STRING'), path: 'r.b' }]);
    assert.deepEqual(plan.target, [f('r', 'RECORD', 'NULLABLE', [f('a', 'INT64'), f('b', 'STRING')])]);
  });

  it('existing columns the query lacks stay in the target; a REQUIRED one is a conflict', () => {
    const plan = diffSchema([f('id', 'INT64'), f('note', 'STRING'), f('must', 'INT64', 'REQUIRED')], [f('id', 'INT64')], strict);
    assert.deepEqual(plan.target.map((x) => x.name), ['id', 'note', 'must']);
    assert.deepEqual(plan.conflicts.map((c) => c.path), ['must']);
  });

  it('B8: a non-STRING value into an existing STRING column is widened to its text when allowed', () => {
    const plan = diffSchema([f('flag', 'STRING')], [f('flag', 'BOOL')], open);
    assert.deepEqual(plan.widenToString, ['flag']);
    assert.deepEqual(plan.conflicts, []);
    // …and the converter compiled against the target writes the text.
    const converter = compileRowConverter([{ name: 'flag', type: 'boolean' }], { target: plan.target });
    assert.equal(converter.convert(['true']), '{"flag":"true"}');
  });

  it('B8 when widening is not allowed: a conflict with the fix', () => {
    const plan = diffSchema([f('flag', 'STRING')], [f('flag', 'BOOL')], strict);
    assert.equal(plan.conflicts.length, 1);
    assert.match(plan.conflicts[0]!.hint, /widen_to_string|CAST\(flag AS varchar\)/);
  });

  it('B4: decimal(38,18) into an existing NUMERIC column names the column, the precision and the fix', () => {
    const wanted = toBigQuerySchema([{ name: 'amount', type: 'decimal(38,18)' }]);
    const plan = diffSchema([f('amount', 'NUMERIC')], wanted, open, { athenaTypes: { amount: 'decimal(38,18)' } });
    assert.equal(plan.conflicts.length, 1);
    const c = plan.conflicts[0]!;
    assert.equal(c.path, 'amount');
    assert.equal(c.existingType, 'NUMERIC');
    assert.equal(c.wantedType, 'BIGNUMERIC (Athena decimal(38,18))');
    assert.match(c.hint, /Column amount holds Athena decimal\(38,18\) \(up to 20 digits before and 18 after the point\)/);
    assert.match(c.hint, /ALTER TABLE … ALTER COLUMN amount SET DATA TYPE BIGNUMERIC/);
    assert.match(c.hint, /CAST\(amount AS decimal\(29,9\)\)/);
  });

  it('B4 without the Athena type still names the column and the fix', () => {
    const plan = diffSchema([f('amount', 'NUMERIC')], [f('amount', 'BIGNUMERIC')], open);
    assert.match(plan.conflicts[0]!.hint, /amount.*SET DATA TYPE BIGNUMERIC/);
  });

  const COMPATIBLE: [string, string][] = [
    ['INT64', 'NUMERIC'],
    ['INT64', 'BIGNUMERIC'],
    ['NUMERIC', 'BIGNUMERIC'],
    ['TIMESTAMP', 'DATETIME'],
    ['JSON', 'JSON'],
  ];
  for (const [wanted, existing] of COMPATIBLE) {
    it(`${wanted} into ${existing} is compatible`, () => {
      const plan = diffSchema([f('c', existing)], [f('c', wanted)], strict);
      assert.deepEqual(plan.conflicts, []);
      assert.deepEqual(plan.widenToString, []);
    });
  }

  const CONFLICTS: [BigQueryField, BigQueryField, RegExp][] = [
    [f('c', 'INT64'), f('c', 'FLOAT64'), /CAST the column/],
    [f('c', 'STRING'), f('c', 'INT64'), /CAST the column/],
    [f('c', 'DATE'), f('c', 'TIMESTAMP'), /CAST the column/],
    [f('c', 'INT64', 'REPEATED'), f('c', 'INT64'), /array in the query but not REPEATED/],
    [f('c', 'INT64'), f('c', 'INT64', 'REPEATED'), /REPEATED in the table/],
    [f('c', 'RECORD', 'NULLABLE', [f('x', 'INT64')]), f('c', 'RECORD', 'NULLABLE', [f('x', 'DATE')]), /CAST the column/],
  ];
  for (const [wanted, existing, hint] of CONFLICTS) {
    it(`${wanted.mode} ${wanted.type} into ${existing.mode} ${existing.type}${wanted.fields ? ' (nested)' : ''} is a conflict`, () => {
      const plan = diffSchema([existing], [wanted], open);
      assert.equal(plan.conflicts.length, 1);
      assert.match(plan.conflicts[0]!.hint, hint);
      assert.equal(plan.conflicts[0]!.path, wanted.fields ? 'c.x' : 'c');
    });
  }

  it('an existing REQUIRED column that the query produces is not a conflict (NULLs are rejected per row)', () => {
    const plan = diffSchema([f('id', 'INT64', 'REQUIRED')], [f('id', 'INT64')], strict);
    assert.deepEqual(plan.conflicts, []);
    const converter = compileRowConverter([{ name: 'id', type: 'integer' }], { target: plan.target });
    assert.equal(typeof converter.convert([null]), 'object');
    assert.equal(converter.convert(['1']), '{"id":"1"}');
  });

  it('the target drives the converter: TIMESTAMP into DATETIME writes wall time', () => {
    const wanted = toBigQuerySchema([{ name: 't', type: 'timestamp(3)' }]);
    const plan = diffSchema([f('t', 'DATETIME')], wanted, strict);
    const converter = compileRowConverter([{ name: 't', type: 'timestamp(3)' }], { target: plan.target });
    assert.equal(converter.convert(['2024-01-02 03:04:05.678']), '{"t":"2024-01-02T03:04:05.678000"}');
  });
});
