/**
 * Every config key in one table: its validator, what it expects, its default, and the help text shown in
 * errors, in the JSON Schema and (by hand) in config.example.yaml. The zod schema and the JSON Schema are
 * built from this table, so a key cannot exist in one and not the other. The JSON Schema gets `pattern`s
 * through `json`, because the custom checks (checks.ts) cannot be exported by zod.
 */
import * as z from 'zod';
import {
  accountIdSchema, ATHENA_WORKGROUP, AWS_REGION, BQ_DATASET_ID, BQ_LOCATION, BQ_TABLE_ID, catalog, database, datasetId, GCP_PROJECT_ID,
  IAM_PATH, IAM_ROLE_NAME, integer, JOB_NAME, location, outputLocation, projectId, query, region, roleName, rolePath, S3_URI, show, table,
  tableId, text, workgroup, GCS_URI, stagingUri,
} from './checks.ts';
import { READ_PATHS, TYPE_PROBE_MODES, WRITE_MODES } from './types.ts';

export { show } from './checks.ts';
export type { Problem } from './checks.ts';

/** One config key. */
export interface FieldSpec {
  /** Validates a value that is present (presence is decided by the section or by inheritance). */
  readonly schema: z.ZodType;
  /** Short noun phrase for wrong-type messages: "must be <expects>". */
  readonly expects: string;
  /** One or two sentences for the JSON Schema and for readers. */
  readonly description: string;
  /** What a good value looks like and where to find it; the hint of last resort. */
  readonly hint: string;
  /** A good value as YAML text, used in "add `key: example`" hints. */
  readonly example: string;
  readonly default?: string | number | boolean;
  /** Must be set: in its section, or (for job sections) at the top level or in every job. */
  readonly required?: boolean;
  /** Inclusive bounds of an integer key, for messages. */
  readonly range?: readonly [number, number];
  /** JSON Schema keywords that the custom checks enforce but zod cannot export (e.g. `pattern`). */
  readonly json?: Readonly<Record<string, unknown>>;
}

// --- the table --------------------------------------------------------------------------------------

const booleanHint = 'Write true or false (YAML 1.2 reads yes/no/on/off as text).';

export const FIELDS = {
  aws: {
    account_id: {
      schema: accountIdSchema,
      expects: 'a 12-digit AWS account id',
      description: 'AWS account that owns the IAM role (12 digits; quote it so leading zeros stay).',
      hint: 'Use the AWS account id that owns the role, e.g. account_id: "123456789012".',
      example: '"123456789012"',
      required: true,
      json: { anyOf: [{ type: 'string', pattern: '^\\d{12}$' }, { type: 'integer', minimum: 100000000000, maximum: 999999999999 }] },
    },
    region: {
      schema: region,
      expects: 'an AWS region name',
      description: 'AWS region of STS and the Athena workgroup, e.g. us-east-1.',
      hint: 'Use the region of the Athena workgroup, e.g. region: us-east-1.',
      example: 'us-east-1',
      required: true,
      json: { pattern: AWS_REGION.source },
    },
    iam_role_name: {
      schema: roleName,
      expects: 'an IAM role name',
      description: 'Name (not ARN) of the role assumed with the function\'s Google identity token (AssumeRoleWithWebIdentity).',
      hint: 'Use the role name from the IAM console, e.g. iam_role_name: athena-to-bigquery.',
      example: 'athena-to-bigquery',
      required: true,
      json: { pattern: IAM_ROLE_NAME.source },
    },
    iam_role_path: {
      schema: rolePath,
      expects: 'an IAM path',
      description: 'Path of the role, for roles created with one (e.g. /service-role/). Default /.',
      hint: 'A path starts and ends with "/", e.g. iam_role_path: /service-role/.',
      example: '/',
      default: '/',
      json: { pattern: IAM_PATH.source, maxLength: 512 },
    },
    session_duration_seconds: {
      schema: integer(900, 43_200),
      expects: 'a whole number of seconds',
      description: 'STS session length in seconds, 900–43200 and at most the role\'s MaxSessionDuration. Credentials are refreshed before they expire.',
      hint: 'STS accepts 900–43200 seconds, and no more than the role\'s maximum session duration (1 hour unless raised).',
      example: '3600',
      default: 3600,
      range: [900, 43_200],
    },
  },
  athena: {
    workgroup: {
      schema: workgroup,
      expects: 'an Athena workgroup name',
      description: 'Athena workgroup the query runs in. Default primary.',
      hint: 'Use a workgroup name from the Athena console, e.g. workgroup: primary.',
      example: 'primary',
      default: 'primary',
      json: { pattern: ATHENA_WORKGROUP.source },
    },
    catalog: {
      schema: catalog,
      expects: 'a data catalog name',
      description: 'Data catalog: AwsDataCatalog (Glue) or e.g. s3tablescatalog/<table-bucket>. Default AwsDataCatalog.',
      hint: 'Use the catalog name shown in the Athena console, e.g. catalog: AwsDataCatalog.',
      example: 'AwsDataCatalog',
      default: 'AwsDataCatalog',
      json: { minLength: 1, maxLength: 256 },
    },
    database: {
      schema: database,
      expects: 'a database name',
      description: 'Database the query runs in (unqualified names in the SQL resolve here) and that holds `table`.',
      hint: 'Use the Glue database (or S3 Tables namespace) that holds the data, e.g. database: default.',
      example: 'default',
      required: true,
      json: { minLength: 1, maxLength: 255 },
    },
    query: {
      schema: query,
      expects: 'the SQL text',
      description: 'The SQL to run. Use either query or table. Comes only from this file, never from a request.',
      hint: 'Write the SQL, e.g. query: SELECT * FROM active_records_view (a block scalar `query: |` keeps long SQL readable).',
      example: 'SELECT * FROM active_records_view',
      json: { minLength: 1 },
    },
    table: {
      schema: table,
      expects: 'a table or view name',
      description: 'A table or view to copy whole: runs SELECT * FROM "catalog"."database"."table". Use either query or table.',
      hint: 'Write the table or view name without database, e.g. table: active_records_view.',
      example: 'active_records_view',
      json: { minLength: 1, maxLength: 255, pattern: '^[^.]+$' },
    },
    output_location: {
      schema: outputLocation,
      expects: 'an s3:// URI',
      description: 'Where Athena writes results, s3://bucket/prefix/. Default: the workgroup\'s result location.',
      hint: 'Use an S3 location the role can write, e.g. output_location: s3://my-athena-results/athena-to-bigquery/.',
      example: 's3://my-athena-results/athena-to-bigquery/',
      json: { pattern: S3_URI.source },
    },
    timeout_seconds: {
      schema: integer(1, 3600),
      expects: 'a whole number of seconds',
      description: 'Stop the query (StopQueryExecution) and fail if it has not finished after this many seconds. Default 600.',
      hint: 'Use 1–3600 seconds (a Cloud Functions gen2 HTTP function runs at most 60 minutes).',
      example: '600',
      default: 600,
      range: [1, 3600],
    },
    poll_min_ms: {
      schema: integer(100, 60_000),
      expects: 'a whole number of milliseconds',
      description: 'First delay between GetQueryExecution polls, growing to poll_max_ms. Default 500.',
      hint: 'Use 100–60000 ms, at most poll_max_ms.',
      example: '500',
      default: 500,
      range: [100, 60_000],
    },
    poll_max_ms: {
      schema: integer(100, 60_000),
      expects: 'a whole number of milliseconds',
      description: 'Longest delay between polls. Default 5000.',
      hint: 'Use 100–60000 ms, at least poll_min_ms.',
      example: '5000',
      default: 5000,
      range: [100, 60_000],
    },
  },
  gcp: {
    project_id: {
      schema: projectId,
      expects: 'a Google Cloud project id',
      description: 'Project of the BigQuery dataset (and of the load jobs).',
      hint: 'Use the project id (not name or number), e.g. project_id: my-project.',
      example: 'my-project',
      required: true,
      json: { pattern: GCP_PROJECT_ID.source },
    },
  },
  bigquery: {
    dataset_id: {
      schema: datasetId,
      expects: 'a BigQuery dataset id',
      description: 'Dataset of the target table (must exist).',
      hint: 'Use the dataset id, e.g. dataset_id: my_dataset.',
      example: 'my_dataset',
      required: true,
      json: { pattern: BQ_DATASET_ID.source },
    },
    table_id: {
      schema: tableId,
      expects: 'a BigQuery table id',
      description: 'Target table; created from the Athena columns when missing and create_table is true.',
      hint: 'Use the table id, e.g. table_id: my_table.',
      example: 'my_table',
      required: true,
      json: { pattern: BQ_TABLE_ID.source },
    },
    location: {
      schema: location,
      expects: 'a BigQuery location',
      description: 'Location of the dataset (US, EU or a region like us-central1). Default: the dataset\'s own.',
      hint: 'Use the dataset location: US, EU or a region such as us-central1.',
      example: 'US',
      json: { pattern: BQ_LOCATION.source },
    },
    write_mode: {
      schema: z.enum(WRITE_MODES),
      expects: `one of ${WRITE_MODES.join(', ')}`,
      description: 'append adds rows; truncate replaces the table contents atomically; empty fails unless the table is empty. Default append.',
      hint: `Use one of ${WRITE_MODES.join(', ')}.`,
      example: 'append',
      default: 'append',
    },
    create_table: {
      schema: z.boolean(),
      expects: 'true or false',
      description: 'Create the table from the query\'s columns when it does not exist. Default true.',
      hint: booleanHint,
      example: 'true',
      default: true,
    },
    max_bad_records: {
      schema: integer(0, 2_147_483_647),
      expects: 'a whole number',
      description: 'How many rows that cannot be represented in BigQuery may be skipped (and listed in the report) before the load fails. Default 0.',
      hint: 'Use 0 (fail on the first bad row) or a small positive number.',
      example: '0',
      default: 0,
      range: [0, 2_147_483_647],
    },
    allow_field_addition: {
      schema: z.boolean(),
      expects: 'true or false',
      description: 'When the query has columns the table lacks, add them (ALLOW_FIELD_ADDITION) instead of failing. Default false.',
      hint: booleanHint,
      example: 'false',
      default: false,
    },
    widen_to_string: {
      schema: z.boolean(),
      expects: 'true or false',
      description: 'When a column\'s Athena type does not fit the existing BigQuery column, load it as text into a STRING column instead of failing. Default false.',
      hint: booleanHint,
      example: 'false',
      default: false,
    },
    staging_uri: {
      schema: stagingUri,
      expects: 'a gs:// URI',
      description: 'Cloud Storage folder, gs://bucket/prefix/, where large results are staged as NDJSON (resumable uploads) and loaded from in one load job; the objects are deleted afterwards. Default: none (results are uploaded directly).',
      hint: 'Use a bucket in the dataset\'s location that the function\'s service account may write and delete in, e.g. staging_uri: gs://my-staging-bucket/athena-to-bigquery/.',
      example: 'gs://my-staging-bucket/athena-to-bigquery/',
      json: { pattern: GCS_URI.source },
    },
    staging_threshold_mb: {
      schema: integer(0, 1_000_000),
      expects: 'a whole number of MB',
      description: 'With staging_uri: results whose NDJSON exceeds this many MB go through GCS, smaller ones are uploaded directly (that much is held in memory to decide). 0 stages every non-empty result. Default 16.',
      hint: 'Use 0–1000000; keep it well below the function\'s memory (16 fits a 256 MB function).',
      example: '16',
      default: 16,
      range: [0, 1_000_000],
    },
  },
  transfer: {
    read_path: {
      schema: z.enum(READ_PATHS),
      expects: `one of ${READ_PATHS.join(', ')}`,
      description: 'How results are read: rows pages GetQueryResults (no S3 access needed); s3_csv reads the result file from S3 (faster; needs s3:GetObject); auto picks. Default auto.',
      hint: `Use one of ${READ_PATHS.join(', ')}.`,
      example: 'auto',
      default: 'auto',
    },
    type_probe: {
      schema: z.enum(TYPE_PROBE_MODES),
      expects: `one of ${TYPE_PROBE_MODES.join(', ')}`,
      description:
        'How element types of array/map/row columns are learned: auto reads Glue table metadata for athena.table, else runs scan-free probe queries (LIMIT 0, typeof) and selects complex columns as CAST(... AS JSON); off loads complex columns as raw STRING. Default auto.',
      hint: `Use one of ${TYPE_PROBE_MODES.join(', ')}.`,
      example: 'auto',
      default: 'auto',
    },
  },
} as const satisfies Record<string, Record<string, FieldSpec>>;

export type SectionName = keyof typeof FIELDS;
export const SECTIONS = Object.keys(FIELDS) as SectionName[];
/** Sections a job may override; `aws` and `gcp` are one identity and one project per function. */
export const JOB_SECTIONS = ['athena', 'bigquery', 'transfer'] as const satisfies readonly SectionName[];
export type JobSectionName = (typeof JOB_SECTIONS)[number];
/** Sections that must be present at the top level. */
export const REQUIRED_SECTIONS = ['aws', 'gcp'] as const satisfies readonly SectionName[];

/** The `name` key of a job, described like a field. */
export const JOB_NAME_FIELD: FieldSpec = {
  schema: text([
    (v) => (JOB_NAME.test(v) ? undefined : { message: `${show(v)} is not a valid job name`, hint: `Job names use a-z, 0-9, "_" and "-" (1–63), e.g. name: ${v.toLowerCase().replace(/[^a-z0-9_-]+/g, '_').slice(0, 63) || 'daily_orders'}.` }),
  ]),
  expects: 'a job name',
  description: 'Unique job name, [a-z0-9_-]{1,63}; a request may name one job to run only that one.',
  hint: 'Job names use a-z, 0-9, "_" and "-" (1–63), e.g. name: daily_orders.',
  example: 'daily_orders',
  required: true,
  json: { pattern: JOB_NAME.source },
};

/** The YAML type a key takes, for wrong-type hints. */
export function valueKind(spec: FieldSpec): 'text' | 'integer' | 'boolean' {
  if (spec.range !== undefined) return 'integer';
  return spec.schema instanceof z.ZodBoolean ? 'boolean' : 'text';
}

/** The keys of a section, in table order. */
export function sectionKeys(section: SectionName): string[] {
  return Object.keys(FIELDS[section]);
}

/** The spec of `section.key`, if that key exists. */
export function fieldSpec(section: string, key: string): FieldSpec | undefined {
  if (!isSection(section)) return undefined;
  const fields: Record<string, FieldSpec> = FIELDS[section];
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

export function isSection(name: string): name is SectionName {
  return Object.hasOwn(FIELDS, name);
}

export function isJobSection(name: string): name is JobSectionName {
  return (JOB_SECTIONS as readonly string[]).includes(name);
}
