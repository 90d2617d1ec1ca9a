/**
 * config.schema.json and config.example.yaml stay in step with the validator: the committed JSON Schema
 * is exactly what the zod schema generates, its patterns agree with the custom checks on sample values,
 * and the example documents every key and is itself valid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, renderConfigJsonSchema } from '../../src/config/index.ts';
import { FIELDS, JOB_NAME_FIELD, SECTIONS, sectionKeys } from '../../src/config/fields.ts';
import type { FieldSpec } from '../../src/config/fields.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schemaText = readFileSync(join(root, 'config.schema.json'), 'utf8');
const exampleText = readFileSync(join(root, 'config.example.yaml'), 'utf8');

type Json = Record<string, unknown>;
const schema = JSON.parse(schemaText) as Json;
const props = (node: unknown): Json => ((node as Json)['properties'] ?? {}) as Json;

describe('config.schema.json', () => {
  it('is exactly what the zod schema generates (regenerate: see renderConfigJsonSchema)', () => {
    assert.equal(
      schemaText,
      renderConfigJsonSchema(),
      'config.schema.json is stale. Regenerate: ./node_modules/.bin/node -e "import(\'./src/config/index.ts\').then((m) => process.stdout.write(m.renderConfigJsonSchema()))" > config.schema.json',
    );
  });

  it('is draft 2020-12 and closes every object, so editors flag typos too', () => {
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Json;
      if (n['type'] === 'object' && n['additionalProperties'] !== false) open.push(path);
      for (const [key, value] of Object.entries(n)) walk(value, `${path}/${key}`);
    };
    walk(schema, '#');
    assert.deepEqual(open, []);
  });

  it('lists every key of every section, at the top level and (for job sections) in jobs', () => {
    const job = (props(schema)['jobs'] as Json)['items'];
    for (const section of SECTIONS) {
      assert.deepEqual(Object.keys(props(props(schema)[section])), sectionKeys(section), section);
      if (section !== 'aws' && section !== 'gcp') assert.deepEqual(Object.keys(props(props(job)[section])), sectionKeys(section), `jobs[].${section}`);
    }
    assert.deepEqual(Object.keys(props(job)), ['name', 'athena', 'bigquery', 'transfer']);
  });

  it('gives top-level defaults but none inside jobs (a job inherits, it does not reset)', () => {
    assert.equal((props(props(schema)['bigquery'])['write_mode'] as Json)['default'], 'append');
    const job = (props(schema)['jobs'] as Json)['items'];
    assert.equal((props(props(job)['bigquery'])['write_mode'] as Json)['default'], undefined);
  });
});

/** Sample values per key and whether they are valid: checked against zod and the JSON Schema pattern. */
const samples: Array<{ spec: FieldSpec; key: string; value: string; valid: boolean }> = [];
const add = (spec: FieldSpec, key: string, valid: string[], invalid: string[]): void => {
  for (const value of valid) samples.push({ spec, key, value, valid: true });
  for (const value of invalid) samples.push({ spec, key, value, valid: false });
};
add(FIELDS.aws.region, 'aws.region', ['us-east-1', 'us-gov-west-1', 'ap-southeast-7', 'us-isob-east-1', 'il-central-1'], ['us-east1', 'US-EAST-1', 'us-east-1a', 'east-1', '']);
add(FIELDS.aws.iam_role_name, 'aws.iam_role_name', ['some-role', 'a', 'r+=,.@_-', 'x'.repeat(64)], ['my role', 'a/b', 'x'.repeat(65), 'arn:aws:iam::123456789012:role/x']);
add(FIELDS.aws.iam_role_path, 'aws.iam_role_path', ['/', '/service-role/', '/a/b/'], ['service-role/', '/x', '', '/a b/']);
add(FIELDS.athena.workgroup, 'athena.workgroup', ['primary', 'etl.v2_x-1'], ['my workgroup', '', 'x'.repeat(129)]);
add(FIELDS.athena.output_location, 'athena.output_location', ['s3://bucket/prefix/', 's3://my.bucket', 's3://b-b/x'], ['bucket/prefix', 'S3://bucket/', 'https://b.s3.amazonaws.com/', 's3://B/x', 's3://ab']);
add(FIELDS.athena.table, 'athena.table', ['orders', 'Orders_2024'], ['db.orders']);
add(FIELDS.gcp.project_id, 'gcp.project_id', ['my-project', 'abcdef', 'example.com:my-project'], ['123456', 'My Project', 'proj-', 'ab', '1project']);
add(FIELDS.bigquery.dataset_id, 'bigquery.dataset_id', ['my_dataset', 'DS1'], ['my-dataset', 'p.ds', 'p:ds', '']);
add(FIELDS.bigquery.table_id, 'bigquery.table_id', ['my_table', 'table with spaces', 'tä-ble'], ['ds.table', 't$20240101', 't/x', '']);
add(FIELDS.bigquery.location, 'bigquery.location', ['US', 'eu', 'us-central1', 'europe-west12'], ['europe', 'us central1', 'US-CENTRAL1']);
add(FIELDS.bigquery.staging_uri, 'bigquery.staging_uri', ['gs://my-bucket/prefix/', 'gs://b.example.com', 'gs://a_b/x/y'], ['my-bucket/prefix/', 's3://bucket/x', 'gs://B/x', 'gs://ab', 'https://storage.googleapis.com/b/x', '']);
add(JOB_NAME_FIELD, 'jobs[].name', ['daily', 'a_b-1', 'x'.repeat(63)], ['Daily', 'a b', 'x'.repeat(64), '']);

describe('JSON Schema patterns agree with the validator', () => {
  for (const s of samples) {
    it(`${s.key} ${JSON.stringify(s.value.length > 30 ? `${s.value.slice(0, 12)}…(${s.value.length})` : s.value)} is ${s.valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(s.spec.schema.safeParse(s.value).success, s.valid, 'zod');
      const json = s.spec.json ?? {};
      let jsonValid = true;
      if (typeof json['pattern'] === 'string') jsonValid &&= new RegExp(json['pattern'], 'u').test(s.value);
      if (typeof json['maxLength'] === 'number') jsonValid &&= [...s.value].length <= json['maxLength'];
      if (typeof json['minLength'] === 'number') jsonValid &&= [...s.value].length >= json['minLength'];
      // Editors must never flag a value the function accepts, and should flag what it rejects; every
      // sample here is expressible as a pattern (some rules, e.g. "not a project number" hints, are not).
      assert.equal(jsonValid, s.valid, 'JSON Schema');
    });
  }

  it('account_id: the anyOf accepts what zod accepts', () => {
    const [text, integer] = FIELDS.aws.account_id.json.anyOf;
    const pattern = new RegExp(text.pattern, 'u');
    const [min, max] = [integer.minimum, integer.maximum];
    const cases: Array<[string | number, boolean]> = [['123456789012', true], ['012345678901', true], [123456789012, true], [12345678901, false], ['12345', false], [1234567890123, false]];
    for (const [value, valid] of cases) {
      assert.equal(FIELDS.aws.account_id.schema.safeParse(value).success, valid, `zod ${value}`);
      const json = typeof value === 'string' ? pattern.test(value) : Number.isInteger(value) && value >= min && value <= max;
      assert.equal(json, valid, `json ${value}`);
    }
  });
});

describe('config.example.yaml', () => {
  const lines = exampleText.split('\n');
  const isKeyLine = (line: string, key: string): boolean => new RegExp(`^\\s*(?:#\\s*)?(?:- )?${key}:(?:\\s|$)`).test(line);

  it('starts with the yaml-language-server schema line', () => {
    assert.equal(lines[0], '# yaml-language-server: $schema=./config.schema.json');
  });

  const keys = [...SECTIONS.flatMap((section) => sectionKeys(section)), 'jobs', 'name'];
  for (const key of keys) {
    it(`documents ${key} with a comment line above it`, () => {
      const index = lines.findIndex((line) => isKeyLine(line, key));
      assert.ok(index > 0, `${key} does not appear in config.example.yaml`);
      const above = lines[index - 1] ?? '';
      assert.match(above, /^\s*#/, `the line above ${key} is not a comment`);
      assert.ok(!keys.some((k) => isKeyLine(above, k)), `the line above ${key} is another key, not its comment`);
    });
  }

  it('is a valid config as shipped', () => {
    const config = parseConfig(exampleText, 'config.example.yaml');
    assert.deepEqual(config.jobs.map((j) => j.name), ['default']);
  });

  it('its commented jobs block is valid once uncommented, and inherits as described', () => {
    const begin = lines.indexOf('# --- jobs example begin ---');
    const end = lines.indexOf('# --- jobs example end ---');
    assert.ok(begin > 0 && end > begin, 'jobs example markers not found');
    const uncommented = lines.map((line, i) => (i > begin && i < end ? line.replace(/^# ?/, '') : line)).join('\n');
    const config = parseConfig(uncommented, 'example');
    const [first, second] = config.jobs;
    assert.deepEqual(config.jobs.map((j) => j.name), ['active_records', 'orders_daily']);
    assert.match(first?.athena.query ?? '', /FROM active_records_view/);
    assert.equal(second?.athena.query, 'SELECT * FROM "AwsDataCatalog"."default"."orders"');
    assert.equal(second?.bigquery.writeMode, 'truncate');
    assert.equal(first?.bigquery.writeMode, 'append');
  });
});
