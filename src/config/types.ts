/**
 * The validated, fully defaulted configuration the rest of the function sees (STYLE 3: wire type → guard →
 * domain type). camelCase, no YAML or SDK shapes; built only by `parseConfig`.
 */

/** How rows reach BigQuery relative to what the table holds (maps to a load job's writeDisposition). */
export type WriteMode = 'append' | 'truncate' | 'empty';

/** Which Athena result reader to use: `auto` lets the transfer pick, `rows` pages GetQueryResults, `s3_csv` reads the result file. */
export type ReadPath = 'auto' | 'rows' | 's3_csv';

/**
 * How full column types (element types of array/map/row) are learned before the transfer: `auto` asks
 * Glue (GetTableMetadata) for `athena.table`, else runs scan-free probe queries; `off` trusts ColumnInfo
 * alone, so complex columns load as raw STRING.
 */
export type TypeProbeMode = 'auto' | 'off';

export const WRITE_MODES = ['append', 'truncate', 'empty'] as const satisfies readonly WriteMode[];
export const READ_PATHS = ['auto', 'rows', 's3_csv'] as const satisfies readonly ReadPath[];
export const TYPE_PROBE_MODES = ['auto', 'off'] as const satisfies readonly TypeProbeMode[];

export interface AwsConfig {
  /** 12 digits, leading zeros kept. */
  accountId: string;
  region: string;
  roleName: string;
  /** `arn:<partition>:iam::<accountId>:role<path><roleName>`; the partition follows the region. */
  roleArn: string;
  /** STS DurationSeconds, 900–43200. */
  sessionDurationSeconds: number;
}

export interface AthenaConfig {
  workgroup: string;
  catalog: string;
  database: string;
  /** The SQL to run: `athena.query`, or `SELECT * FROM "catalog"."database"."table"` built from `athena.table`. */
  query: string;
  /** The `athena.table` name when the job copies a whole table (then `query` is built from it). */
  table?: string;
  /** `s3://bucket/prefix/`; absent means the workgroup's own result location. */
  outputLocation?: string;
  timeoutSeconds: number;
  pollMinMs: number;
  pollMaxMs: number;
}

export interface BigQueryConfig {
  projectId: string;
  datasetId: string;
  tableId: string;
  /** `US`, `EU` or a region such as `us-central1`; absent means the dataset's location. */
  location?: string;
  writeMode: WriteMode;
  createTable: boolean;
  maxBadRecords: number;
  allowFieldAddition: boolean;
  widenToString: boolean;
  /** `gs://bucket/prefix/` for staging large results; absent means upload directly. */
  stagingUri?: string;
  /** NDJSON size (MB) above which a result is staged when `stagingUri` is set; 0 stages every non-empty result. */
  stagingThresholdMb: number;
}

/** One Athena query → one BigQuery table, with every key resolved (job value, else top level, else default). */
export interface JobConfig {
  /** `default` when the file has no `jobs:` list. */
  name: string;
  aws: AwsConfig;
  athena: AthenaConfig;
  bigquery: BigQueryConfig;
  transfer: { readPath: ReadPath; typeProbe: TypeProbeMode };
}

/** A parsed config file: where it came from and its jobs, in file order. */
export interface TransferConfig {
  /** The URI or path the text was read from, for messages. */
  source: string;
  jobs: JobConfig[];
}
