/**
 * parseConfig: the original file's form, defaults, jobs inheritance, and every kind of bad input with its
 * path, message and hint. Tables first, one assertion loop each.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, quoteIdentifier, selectAllQuery } from '../../src/config/index.ts';
import type { JobConfig } from '../../src/config/index.ts';
import { ConfigInvalid } from '../../src/errors.ts';
import type { ConfigIssue } from '../../src/errors.ts';
import { closest, editDistance } from '../../src/config/suggest.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'configs');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

/** The issues parseConfig throws for `text`; fails the test if it does not throw ConfigInvalid. */
function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigInvalid, `expected ConfigInvalid, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return [...error.issues];
  }
  assert.fail('parseConfig accepted a config that should be invalid');
}

const AWS = 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: some-role}';
const ATHENA = 'athena: {database: default, query: SELECT 1}';
const GCP = 'gcp: {project_id: my-project}';
const BQ = 'bigquery: {dataset_id: my_dataset, table_id: my_table}';

/** A valid file with some sections replaced (`null` drops a section) and extra lines appended. */
function file(parts: { aws?: string | null; athena?: string | null; gcp?: string | null; bigquery?: string | null; extra?: string } = {}): string {
  const pick = (value: string | null | undefined, fallback: string): string[] => (value === null ? [] : [value ?? fallback]);
  return [...pick(parts.aws, AWS), ...pick(parts.athena, ATHENA), ...pick(parts.gcp, GCP), ...pick(parts.bigquery, BQ), ...(parts.extra === undefined ? [] : [parts.extra])].join('\n') + '\n';
}

const DEFAULT_JOB: JobConfig = {
  name: 'default',
  aws: { accountId: '123456789012', region: 'us-east-1', roleName: 'some-role', roleArn: 'arn:aws:iam::123456789012:role/some-role', sessionDurationSeconds: 3600 },
  athena: { workgroup: 'primary', catalog: 'AwsDataCatalog', database: 'default', query: 'SELECT * FROM active_records_view', timeoutSeconds: 600, pollMinMs: 500, pollMaxMs: 5000 },
  bigquery: { projectId: 'my-project', datasetId: 'my_dataset', tableId: 'my_table', writeMode: 'append', createTable: true, maxBadRecords: 0, allowFieldAddition: false, widenToString: false, stagingThresholdMb: 16 },
  transfer: { readPath: 'auto', typeProbe: 'auto' },
};

describe('the original function\'s config', () => {
  it('is accepted unchanged in form once it says what to read, with every default applied', () => {
    const config = parseConfig(fixture('original-with-query.yaml'), 'gs://b/config.yaml');
    assert.deepEqual(config, { source: 'gs://b/config.yaml', jobs: [DEFAULT_JOB] });
  });

  it('without SQL is rejected with the two keys to add, and only those', () => {
    const issues = issuesOf(fixture('original.yaml'));
    assert.deepEqual(issues.map((i) => i.path), ['athena.database', 'athena.query']);
    const query = issues[1];
    assert.match(query?.message ?? '', /missing: say what to read/);
    assert.match(query?.hint ?? '', /Add `query: SELECT/);
    assert.match(query?.hint ?? '', /original function kept its SQL in code/);
    assert.match(query?.hint ?? '', /`table: /);
  });
});

describe('valid values', () => {
  const cases: Array<{ name: string; text: string; check: (job: JobConfig) => void }> = [
    {
      name: 'athena.table becomes SELECT * with quoted catalog, database and table',
      text: file({ athena: 'athena: {database: sales, table: active_records_view}' }),
      check: (job) => {
        assert.equal(job.athena.query, 'SELECT * FROM "AwsDataCatalog"."sales"."active_records_view"');
        // The name is kept too: the type probe reads the table's Glue metadata instead of probing a query.
        assert.equal(job.athena.table, 'active_records_view');
      },
    },
    {
      name: 'a double quote inside a name is doubled, never ends the identifier',
      text: file({ athena: 'athena: {catalog: "s3tablescatalog/my-bucket", database: "odd\\"db", table: t}' }),
      check: (job) => assert.equal(job.athena.query, 'SELECT * FROM "s3tablescatalog/my-bucket"."odd""db"."t"'),
    },
    {
      name: 'a 12-digit YAML number account id becomes the same 12 digits',
      text: file({ aws: 'aws: {account_id: 123456789012, region: us-east-1, iam_role_name: r}' }),
      check: (job) => assert.equal(job.aws.accountId, '123456789012'),
    },
    {
      name: 'a quoted account id keeps its leading zero',
      text: file({ aws: 'aws: {account_id: "012345678901", region: us-east-1, iam_role_name: r}' }),
      check: (job) => assert.equal(job.aws.roleArn, 'arn:aws:iam::012345678901:role/r'),
    },
    {
      name: 'China regions use the aws-cn partition in the role ARN',
      text: file({ aws: 'aws: {account_id: "123456789012", region: cn-north-1, iam_role_name: r}' }),
      check: (job) => assert.equal(job.aws.roleArn, 'arn:aws-cn:iam::123456789012:role/r'),
    },
    {
      name: 'GovCloud regions use the aws-us-gov partition',
      text: file({ aws: 'aws: {account_id: "123456789012", region: us-gov-west-1, iam_role_name: r}' }),
      check: (job) => assert.equal(job.aws.roleArn, 'arn:aws-us-gov:iam::123456789012:role/r'),
    },
    {
      name: 'iam_role_path goes into the ARN',
      text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: r, iam_role_path: /service-role/}' }),
      check: (job) => assert.equal(job.aws.roleArn, 'arn:aws:iam::123456789012:role/service-role/r'),
    },
    {
      name: 'every optional key is read',
      text: [
        'aws: {account_id: "123456789012", region: eu-central-1, iam_role_name: r, session_duration_seconds: 43200}',
        'athena: {workgroup: etl, catalog: c, database: d, query: SELECT 2, output_location: "s3://bucket/prefix/", timeout_seconds: 30, poll_min_ms: 100, poll_max_ms: 100}',
        GCP,
        'bigquery: {dataset_id: ds, table_id: "table with spaces-ü", location: europe-west3, write_mode: empty, create_table: false, max_bad_records: 7, allow_field_addition: true, widen_to_string: true, staging_uri: "gs://stage-bucket/a2bq/", staging_threshold_mb: 0}',
        'transfer: {read_path: s3_csv, type_probe: "off"}',
      ].join('\n'),
      check: (job) =>
        assert.deepEqual(job, {
          name: 'default',
          aws: { accountId: '123456789012', region: 'eu-central-1', roleName: 'r', roleArn: 'arn:aws:iam::123456789012:role/r', sessionDurationSeconds: 43200 },
          athena: { workgroup: 'etl', catalog: 'c', database: 'd', query: 'SELECT 2', outputLocation: 's3://bucket/prefix/', timeoutSeconds: 30, pollMinMs: 100, pollMaxMs: 100 },
          bigquery: { projectId: 'my-project', datasetId: 'ds', tableId: 'table with spaces-ü', location: 'europe-west3', writeMode: 'empty', createTable: false, maxBadRecords: 7, allowFieldAddition: true, widenToString: true, stagingUri: 'gs://stage-bucket/a2bq/', stagingThresholdMb: 0 },
          transfer: { readPath: 's3_csv', typeProbe: 'off' },
        }),
    },
    {
      name: 'a block-scalar query is kept verbatim',
      text: file({ athena: 'athena:\n  database: d\n  query: |\n    SELECT a\n    FROM t\n' }),
      check: (job) => assert.equal(job.athena.query, 'SELECT a\nFROM t\n'),
    },
    {
      name: 'a UTF-8 byte order mark is ignored',
      text: `\uFEFF${file()}`,
      check: (job) => assert.equal(job.aws.region, 'us-east-1'),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const config = parseConfig(c.text, 'test.yaml');
      assert.equal(config.jobs.length, 1);
      const job = config.jobs[0];
      assert.ok(job);
      c.check(job);
    });
  }
});

interface BadCase {
  name: string;
  text: string;
  path: string;
  message: RegExp;
  hint: RegExp;
  /** Total issues expected (default 1): catches the same mistake reported twice. */
  count?: number;
}

const badCases: BadCase[] = [
  // unknown keys
  { name: 'typo in a key, with the intended key suggested', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_rol_name: r}' }), path: 'aws.iam_rol_name', message: /unknown key; did you mean `iam_role_name`\?/, hint: /Rename `iam_rol_name` to `iam_role_name`/ },
  { name: 'swapped letters count as one edit', text: file({ aws: 'aws: {account_id: "123456789012", reigon: us-east-1, iam_role_name: r}' }), path: 'aws.reigon', message: /did you mean `region`/, hint: /Rename/ },
  { name: 'camelCase key', text: file({ aws: 'aws: {accountId: "123456789012", region: us-east-1, iam_role_name: r}' }), path: 'aws.accountId', message: /did you mean `account_id`/, hint: /Rename/ },
  { name: 'shortened key', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role: r}' }), path: 'aws.iam_role', message: /did you mean `iam_role_name`/, hint: /Rename/ },
  { name: 'misspelt section: its keys are not reported missing too', text: file({ bigquery: 'big_query: {dataset_id: d, table_id: t}' }), path: 'big_query', message: /did you mean `bigquery`/, hint: /Rename/ },
  { name: 'unknown key with no near match lists the allowed keys', text: file({ athena: 'athena: {database: d, query: SELECT 1, retries: 3}' }), path: 'athena.retries', message: /^unknown key \(line 2\)$/, hint: /Keys allowed in `athena`: workgroup, catalog, database, query, table/ },
  { name: 'key in the wrong section', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: r, project_id: p}' }), path: 'aws.project_id', message: /belongs in the `gcp` section/, hint: /Move it under `gcp:`/ },
  { name: 'section key at the top level (lost indentation)', text: file({ extra: 'table_id: t2' }), path: 'table_id', message: /belongs in the `bigquery` section/, hint: /Indent it under `bigquery:`/ },
  { name: 'typo in a job section', text: file({ extra: 'jobs:\n  - name: a\n    bigquery: {tabel_id: x}' }), path: 'jobs[0].bigquery.tabel_id', message: /did you mean `table_id`/, hint: /Rename/ },
  { name: 'a job cannot override aws', text: file({ extra: 'jobs:\n  - name: a\n    aws: {region: eu-west-1}' }), path: 'jobs[0].aws', message: /a job cannot set `aws`/, hint: /top-level `aws`/ },
  // missing
  { name: 'missing required key', text: file({ aws: 'aws: {account_id: "123456789012", iam_role_name: r}' }), path: 'aws.region', message: /^required key is missing \(line 1\)$/, hint: /Add `region: us-east-1` under `aws:`/ },
  { name: 'missing section', text: file({ gcp: null }), path: 'gcp', message: /section is missing/, hint: /gcp:\n {2}project_id: my-project/ },
  { name: 'key with no value', text: file({ aws: 'aws:\n  account_id: "123456789012"\n  region:\n  iam_role_name: r' }), path: 'aws.region', message: /^has no value \(line 3\)$/, hint: /`region: us-east-1`/ },
  { name: 'missing table_id names the key', text: file({ bigquery: 'bigquery: {dataset_id: d}' }), path: 'bigquery.table_id', message: /is missing/, hint: /Add `table_id: my_table` under `bigquery:`/ },
  // wrong types
  { name: 'number where text is needed: quote it', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: 2024}' }), path: 'bigquery.table_id', message: /must be a BigQuery table id; got the number 2024/, hint: /Quote it .*`table_id: "2024"`/ },
  { name: 'yes/no is text in YAML 1.2', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: t, create_table: yes}' }), path: 'bigquery.create_table', message: /must be true or false; got the text "yes"/, hint: /Write true or false/ },
  { name: 'quoted number', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: r, session_duration_seconds: "3600s"}' }), path: 'aws.session_duration_seconds', message: /must be a whole number of seconds; got the text "3600s"/, hint: /plain number without quotes or units/ },
  { name: 'section that is not a mapping', text: file({ gcp: 'gcp: my-project' }), path: 'gcp', message: /must be a mapping of keys; got the text "my-project"/, hint: /Indent the section's keys under `gcp:`/ },
  { name: 'jobs that is not a list', text: file({ extra: 'jobs: {name: a}' }), path: 'jobs', message: /must be a list of jobs/, hint: /- name: daily_orders/ },
  // bad values
  { name: 'out-of-range number', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: r, session_duration_seconds: 60}' }), path: 'aws.session_duration_seconds', message: /from 900 to 43200; got 60/, hint: /MaxSessionDuration|maximum session duration/ },
  { name: 'fractional number', text: file({ athena: 'athena: {database: d, query: SELECT 1, timeout_seconds: 1.5}' }), path: 'athena.timeout_seconds', message: /whole number from 1 to 3600; got 1.5/, hint: /3600/ },
  { name: 'account id that lost its leading zero', text: file({ aws: 'aws: {account_id: 012345678901, region: us-east-1, iam_role_name: r}' }), path: 'aws.account_id', message: /YAML dropped its leading zero/, hint: /account_id: "012345678901"/ },
  { name: 'account id with too few digits', text: file({ aws: 'aws: {account_id: "12345", region: us-east-1, iam_role_name: r}' }), path: 'aws.account_id', message: /has 5 digits; an AWS account id has exactly 12/, hint: /AWS console/ },
  { name: 'account id with separators', text: file({ aws: 'aws: {account_id: "1234-5678-9012", region: us-east-1, iam_role_name: r}' }), path: 'aws.account_id', message: /has separators/, hint: /account_id: "123456789012"/ },
  { name: 'account id that is a boolean', text: file({ aws: 'aws: {account_id: true, region: us-east-1, iam_role_name: r}' }), path: 'aws.account_id', message: /must be a 12-digit AWS account id; got true/, hint: /account_id: "123456789012"/ },
  { name: 'GCP-style region', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east1, iam_role_name: r}' }), path: 'aws.region', message: /"us-east1" is not an AWS region name/, hint: /region: us-east-1/ },
  { name: 'availability zone instead of region', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1a, iam_role_name: r}' }), path: 'aws.region', message: /availability zone/, hint: /region: us-east-1\./ },
  { name: 'upper-case region', text: file({ aws: 'aws: {account_id: "123456789012", region: US-EAST-1, iam_role_name: r}' }), path: 'aws.region', message: /lower case/, hint: /region: us-east-1/ },
  { name: 'role ARN instead of role name', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: "arn:aws:iam::123456789012:role/service-role/reader"}' }), path: 'aws.iam_role_name', message: /is a role ARN/, hint: /iam_role_name: reader and iam_role_path: \/service-role\// },
  { name: 'role name with characters IAM forbids', text: file({ aws: 'aws: {account_id: "123456789012", region: us-east-1, iam_role_name: "my role!"}' }), path: 'aws.iam_role_name', message: /characters IAM role names cannot have/, hint: /\+ = , \. @ _ -/ },
  { name: 'project number instead of project id', text: file({ gcp: 'gcp: {project_id: "123456789"}' }), path: 'gcp.project_id', message: /is a project number/, hint: /gcloud projects describe 123456789/ },
  { name: 'project number as a YAML number: quoting would not help, so say why', text: file({ gcp: 'gcp: {project_id: 123456789}' }), path: 'gcp.project_id', message: /is a project number/, hint: /gcloud projects describe/ },
  { name: 'project display name', text: file({ gcp: 'gcp: {project_id: My Project}' }), path: 'gcp.project_id', message: /display name/, hint: /gcloud projects list/ },
  { name: 'qualified dataset id', text: file({ bigquery: 'bigquery: {dataset_id: "my-project:my_dataset", table_id: t}' }), path: 'bigquery.dataset_id', message: /qualified name/, hint: /dataset_id: my_dataset;/ },
  { name: 'dataset id with a dash', text: file({ bigquery: 'bigquery: {dataset_id: my-dataset, table_id: t}' }), path: 'bigquery.dataset_id', message: /contains "-"/, hint: /dataset_id: my_dataset/ },
  { name: 'qualified table id', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: d.t}' }), path: 'bigquery.table_id', message: /qualified name/, hint: /table_id: t and put the dataset/ },
  { name: 'partition decorator', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: "t$20240101"}' }), path: 'bigquery.table_id', message: /partition decorator/, hint: /write_mode/ },
  { name: 'bad BigQuery location', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: t, location: europe}' }), path: 'bigquery.location', message: /not a BigQuery location/, hint: /US, EU or a region/ },
  { name: 'enum typo', text: file({ bigquery: 'bigquery: {dataset_id: d, table_id: t, write_mode: apend}' }), path: 'bigquery.write_mode', message: /one of append, truncate, empty; got "apend" \(did you mean `append`\?\)/, hint: /write_mode: append/ },
  { name: 'read_path typo', text: file({ extra: 'transfer: {read_path: s3csv}' }), path: 'transfer.read_path', message: /did you mean `s3_csv`/, hint: /read_path: s3_csv/ },
  { name: 'type_probe as a YAML boolean', text: file({ extra: 'transfer: {type_probe: false}' }), path: 'transfer.type_probe', message: /must be one of auto, off; got false/, hint: /auto, off/ },
  { name: 'output location without scheme', text: file({ athena: 'athena: {database: d, query: SELECT 1, output_location: my-bucket/results/}' }), path: 'athena.output_location', message: /no s3:\/\/ scheme/, hint: /s3:\/\/my-bucket\/results\// },
  { name: 'output location as https', text: file({ athena: 'athena: {database: d, query: SELECT 1, output_location: "https://my-bucket.s3.amazonaws.com/x/"}' }), path: 'athena.output_location', message: /must start with s3:\/\//, hint: /s3:\/\/bucket\/prefix/ },
  { name: 'qualified athena.table', text: file({ athena: 'athena: {database: d, table: db.orders}' }), path: 'athena.table', message: /contains a "\."/, hint: /athena\.database .*table: orders/ },
  { name: 'empty query', text: file({ athena: 'athena: {database: d, query: "  "}' }), path: 'athena.query', message: /is empty/, hint: /Write a value/ },
  { name: 'query and table both set', text: file({ athena: 'athena: {database: d, query: SELECT 1, table: t}' }), path: 'athena.table', message: /set together with athena.query; set only one/, hint: /Remove one of them from `athena`/ },
  { name: 'poll_min_ms above poll_max_ms (default)', text: file({ athena: 'athena: {database: d, query: SELECT 1, poll_min_ms: 6000}' }), path: 'athena.poll_min_ms', message: /poll_min_ms \(6000\) is greater than poll_max_ms \(5000\)/, hint: /at most poll_max_ms/ },
  { name: 'workgroup with bad characters', text: file({ athena: 'athena: {database: d, query: SELECT 1, workgroup: "my workgroup"}' }), path: 'athena.workgroup', message: /not a workgroup name/, hint: /workgroup: primary/ },
  // jobs
  { name: 'duplicate job names', text: file({ extra: 'jobs:\n  - name: a\n  - name: b\n  - name: a' }), path: 'jobs[2].name', message: /duplicate job name "a" \(jobs\[0\] has it too\)/, hint: /its own name/ },
  { name: 'job name outside [a-z0-9_-]', text: file({ extra: 'jobs:\n  - name: Daily Orders' }), path: 'jobs[0].name', message: /not a valid job name/, hint: /name: daily_orders/ },
  { name: 'job without name', text: file({ extra: 'jobs:\n  - bigquery: {table_id: x}' }), path: 'jobs[0].name', message: /required key is missing/, hint: /Add `name: daily_orders`/ },
  { name: 'empty jobs list', text: file({ extra: 'jobs: []' }), path: 'jobs', message: /lists no jobs/, hint: /remove `jobs:`/ },
  { name: 'key missing in every job and at the top: one issue, at the top level', text: file({ bigquery: 'bigquery: {dataset_id: d}', extra: 'jobs:\n  - name: a\n  - name: b' }), path: 'bigquery.table_id', message: /no job sets it/, hint: /top-level `bigquery:`.*or under each job/ },
  { name: 'key missing in one job only: the issue names that job', text: file({ bigquery: 'bigquery: {dataset_id: d}', extra: 'jobs:\n  - name: a\n    bigquery: {table_id: t}\n  - name: b' }), path: 'jobs[1].bigquery.table_id', message: /missing for job "b"/, hint: /this job's `bigquery:`/ },
  { name: 'an inherited conflict is reported once, where it is set', text: file({ athena: 'athena: {database: d, query: SELECT 1, table: t}', extra: 'jobs:\n  - name: a\n  - name: b' }), path: 'athena.table', message: /set only one/, hint: /Remove one/ },
  // YAML and file shape
  { name: 'YAML syntax error gives line and column', text: 'aws: {account_id: "1", region: x\ngcp: {}\n', path: '', message: /^YAML syntax error: .* at line 2, column 1/, hint: /./ },
  { name: 'duplicate YAML key is an error, not "last wins"', text: file({ aws: 'aws:\n  account_id: "123456789012"\n  region: us-east-1\n  region: eu-west-1\n  iam_role_name: r' }), path: '', message: /Map keys must be unique at line 4/, hint: /Remove one of the two keys/ },
  { name: 'tab indentation', text: 'aws:\n\taccount_id: "123456789012"\n', path: '', message: /Tabs are not allowed as indentation at line 2/, hint: /spaces/ },
  { name: 'alias without anchor', text: file({ extra: 'transfer: *nowhere' }), path: '', message: /YAML error: .*alias/i, hint: /anchor/ },
  { name: 'empty file', text: '# nothing here\n', path: '', message: /config file is empty/, hint: /config.example.yaml/ },
  { name: 'a list instead of a mapping', text: '- aws\n- gcp\n', path: '', message: /must be a mapping of sections; got a list/, hint: /aws:, athena:, gcp:, bigquery:/ },
];

describe('bad input', () => {
  for (const c of badCases) {
    it(c.name, () => {
      const issues = issuesOf(c.text);
      const issue = issues.find((i) => i.path === c.path);
      assert.ok(issue, `no issue at "${c.path}"; got ${JSON.stringify(issues, null, 1)}`);
      assert.match(issue.message, c.message);
      assert.match(issue.hint, c.hint);
      assert.equal(issues.length, c.count ?? 1, `expected ${c.count ?? 1} issue(s), got ${JSON.stringify(issues, null, 1)}`);
    });
  }

  it('collects every issue in one pass, in file order, each with its line', () => {
    const text = [
      'aws:',
      '  account_id: "123"',
      '  region: us-east1',
      '  iam_role_name: r',
      'athena:',
      '  database: d',
      '  querry: SELECT 1',
      'gcp: {project_id: my-project}',
      'bigquery: {dataset_id: d, table_id: t, write_mode: replace}',
      'transfer: {read_path: rows, extra: 1}',
    ].join('\n');
    const issues = issuesOf(text);
    assert.deepEqual(
      issues.map((i) => [i.path, /\(line (\d+)\)$/.exec(i.message)?.[1]]),
      [
        ['aws.account_id', '2'],
        ['aws.region', '3'],
        ['athena.querry', '7'],
        ['bigquery.write_mode', '9'],
        ['transfer.extra', '10'],
      ],
    );
    // The typo `querry` explains the missing query: it is not reported a second time.
    assert.match(issues[2]?.message ?? '', /did you mean `query`/);
  });

  it('the thrown error names the source, every issue, and the first fix', () => {
    let caught: unknown;
    try {
      parseConfig(file({ aws: 'aws: {account_id: "1", region: us-east-1, iam_role_name: r}' }), 'gs://bucket/config.yaml');
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigInvalid);
    assert.equal(caught.status, 500);
    assert.match(caught.message, /^Invalid config gs:\/\/bucket\/config\.yaml: aws\.account_id: has 1 digits/);
    assert.equal(caught.hint, caught.issues[0]?.hint);
    assert.deepEqual(caught.toJSON().details?.['source'], 'gs://bucket/config.yaml');
  });

  it('a file larger than 1 MiB is refused before parsing', () => {
    const issues = issuesOf(`${file()}# ${'x'.repeat(1024 * 1024)}\n`);
    assert.match(issues[0]?.message ?? '', /a config is at most 1048576/);
  });

  it('an alias bomb is refused rather than expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const issues = issuesOf(lines.join('\n'));
    assert.match(issues[0]?.message ?? '', /YAML error/);
  });
});

describe('jobs', () => {
  const config = parseConfig(fixture('jobs.yaml'), 'jobs.yaml');
  const byName = new Map(config.jobs.map((job) => [job.name, job]));

  it('keeps the file order and names', () => {
    assert.deepEqual(config.jobs.map((job) => job.name), ['active_records', 'orders', 'custom_sql']);
  });

  const cases: Array<{ job: string; field: (job: JobConfig) => unknown; expected: unknown; why: string }> = [
    { job: 'active_records', field: (j) => j.athena.query, expected: 'SELECT * FROM active_records_view', why: 'inherits the top-level query' },
    { job: 'active_records', field: (j) => j.athena.database, expected: 'sales', why: 'inherits the database' },
    { job: 'active_records', field: (j) => j.athena.outputLocation, expected: 's3://results-bucket/athena/', why: 'inherits an optional key' },
    { job: 'active_records', field: (j) => j.athena.timeoutSeconds, expected: 300, why: 'inherits a top-level override of a default' },
    { job: 'active_records', field: (j) => j.athena.pollMinMs, expected: 500, why: 'falls back to the default' },
    { job: 'active_records', field: (j) => j.bigquery.tableId, expected: 'active_records', why: 'sets its own table' },
    { job: 'active_records', field: (j) => j.bigquery.writeMode, expected: 'truncate', why: 'inherits the top-level write mode' },
    { job: 'active_records', field: (j) => j.bigquery.location, expected: 'EU', why: 'inherits the location' },
    { job: 'active_records', field: (j) => j.transfer.readPath, expected: 'rows', why: 'inherits transfer' },
    { job: 'orders', field: (j) => j.athena.query, expected: 'SELECT * FROM "AwsDataCatalog"."sales"."orders"', why: 'its table replaces the inherited query' },
    { job: 'orders', field: (j) => j.athena.workgroup, expected: 'etl', why: 'overrides the workgroup' },
    { job: 'orders', field: (j) => j.bigquery.writeMode, expected: 'append', why: 'overrides the write mode' },
    { job: 'orders', field: (j) => j.bigquery.maxBadRecords, expected: 5, why: 'sets max_bad_records' },
    { job: 'orders', field: (j) => j.bigquery.datasetId, expected: 'analytics', why: 'inherits the dataset' },
    { job: 'orders', field: (j) => j.transfer.readPath, expected: 's3_csv', why: 'overrides transfer' },
    { job: 'custom_sql', field: (j) => j.athena.query, expected: 'SELECT id, total\nFROM orders\nWHERE total > 0\n', why: 'its own query' },
    { job: 'custom_sql', field: (j) => j.athena.database, expected: 'other', why: 'its own database' },
    { job: 'custom_sql', field: (j) => j.bigquery.datasetId, expected: 'staging', why: 'its own dataset' },
    { job: 'custom_sql', field: (j) => j.aws, expected: { accountId: '123456789012', region: 'eu-west-1', roleName: 'athena-reader', roleArn: 'arn:aws:iam::123456789012:role/athena-reader', sessionDurationSeconds: 900 }, why: 'shares the one aws section' },
    { job: 'custom_sql', field: (j) => j.bigquery.projectId, expected: 'my-project', why: 'shares gcp.project_id' },
  ];
  for (const c of cases) {
    it(`${c.job} ${c.why}`, () => {
      const job = byName.get(c.job);
      assert.ok(job, `job ${c.job} missing`);
      assert.deepEqual(c.field(job), c.expected);
    });
  }

  it('a job overriding a key does not change the other jobs', () => {
    assert.equal(byName.get('active_records')?.athena.workgroup, 'primary');
    assert.equal(byName.get('custom_sql')?.transfer.readPath, 'rows');
  });

  it('without jobs: one job named default', () => {
    assert.deepEqual(parseConfig(file(), 'x').jobs.map((j) => j.name), ['default']);
  });
});

describe('helpers', () => {
  const distances: Array<[string, string, number]> = [
    ['region', 'region', 0],
    ['reigon', 'region', 1],
    ['regio', 'region', 1],
    ['iam_rol_name', 'iam_role_name', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ];
  for (const [a, b, d] of distances) it(`editDistance(${a}, ${b}) = ${d}`, () => assert.equal(editDistance(a, b), d));

  const suggestions: Array<[string, string[], string | undefined]> = [
    ['tabel_id', ['dataset_id', 'table_id'], 'table_id'],
    ['TableId', ['dataset_id', 'table_id'], 'table_id'],
    ['querry', ['query', 'table'], 'query'],
    ['query_string', ['query', 'table'], 'query'],
    ['xyz', ['query', 'table'], undefined],
    ['retries', ['workgroup', 'catalog', 'database', 'query', 'table'], undefined],
  ];
  for (const [input, candidates, expected] of suggestions) it(`closest(${input}) = ${String(expected)}`, () => assert.equal(closest(input, candidates), expected));

  it('quotes identifiers the Trino way', () => {
    assert.equal(quoteIdentifier('a"b'), '"a""b"');
    assert.equal(selectAllQuery('c', 'd', 't'), 'SELECT * FROM "c"."d"."t"');
  });
});
