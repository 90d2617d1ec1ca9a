import type { AthenaClient } from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import type { BigQuery, TableField } from '@google-cloud/bigquery';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { runQuery, probeTypes, applyProbedTypes, type Execution, type ResultPage, type TypeProbe } from './athena/index.ts';
import { loadNdjsonStaged, stagingOptions, resolveJobId, attachToJob, describeDataset, describeTable, createTable, dropIfEmpty, tableName, diffSchema, type TableRef, type WriteDisposition } from './bigquery/index.ts';
import type { JobConfig } from './config/index.ts';
import { columnFromColumnInfo, compileRowConverter, toBigQuerySchema, type BigQueryField, type Column } from './convert/index.ts';
import { TransferError, asTransferError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import { Tracer, estimateAthenaCostUsd, type BadRecord, type JobReport, type ProbeReport } from './report.ts';
import { deriveRunIds } from './runkey.ts';
import { createProgress } from './progress.ts';
import { openResultSource, type ResultSource } from './read-path.ts';

/** The I/O a job needs, injected (STYLE 4): production builds these from the environment, tests pass fakes. */
export interface JobDeps {
  credentials: (job: JobConfig) => AwsCredentialIdentityProvider;
  athena: (job: JobConfig, credentials: AwsCredentialIdentityProvider) => AthenaClient;
  bigquery: (job: JobConfig) => BigQuery;
  /** S3 for the result-file read path (transfer.read_path auto/s3_csv); without it only paging is possible. */
  s3?: (job: JobConfig, credentials: AwsCredentialIdentityProvider) => S3Client;
  /** Cloud Storage for staging large results (bigquery.staging_uri). */
  storage?: (job: JobConfig) => Storage;
  log?: Logger;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RunContext {
  runKey: string;
  /** Absolute time (ms since epoch) by which the job must be done; the run's budget. */
  deadline: number;
  signal?: AbortSignal;
}

const WRITE_DISPOSITION: Record<JobConfig['bigquery']['writeMode'], WriteDisposition> = {
  append: 'WRITE_APPEND',
  truncate: 'WRITE_TRUNCATE',
  empty: 'WRITE_EMPTY',
};

/**
 * One job end to end, in pipeline order: plan → AWS credentials → Athena query → schema → load.
 * Never throws: the report carries the error and the partial step trace.
 */
export async function runJob(job: JobConfig, context: RunContext, deps: JobDeps): Promise<JobReport> {
  const now = deps.now ?? Date.now;
  const log = (deps.log ?? silentLogger).child({ job: job.name, runKey: context.runKey });
  const started = now();
  const tracer = new Tracer(now);
  const ref: TableRef = {
    projectId: job.bigquery.projectId,
    datasetId: job.bigquery.datasetId,
    tableId: job.bigquery.tableId,
    ...(job.bigquery.location ? { location: job.bigquery.location } : {}),
  };
  const report: JobReport = {
    job: job.name,
    success: false,
    rows: 0,
    runKey: context.runKey,
    table: tableName(ref),
    readPath: 'rows',
    athena: {},
    bigquery: { writeDisposition: WRITE_DISPOSITION[job.bigquery.writeMode] },
    badRecords: [],
    warnings: [],
    steps: tracer.steps,
    durationMs: 0,
  };
  let source: ResultSource | undefined;
  try {
    const ids = deriveRunIds(job, context.runKey);
    const bq = deps.bigquery(job);
    const prior = await tracer.step('plan', async (facts) => {
      facts.clientRequestToken = ids.clientRequestToken;
      // Check the target before Athena runs (and bills): a missing dataset, a missing table that may not
      // be created, or a non-empty table under write_mode: empty fail here, for free.
      await preflight(bq, ref, job, facts);
      const found = await resolveJobId(bq, ids.loadJobIdBase, ref.location);
      facts.loadJobId = found.jobId;
      facts.priorLoad = found.kind;
      return found;
    });
    report.bigquery.jobId = prior.jobId;
    if (prior.kind !== 'none') {
      // A retry of a run whose load already happened (or is under way): report it, scan and load nothing.
      const attached = prior.kind === 'succeeded' ? { jobId: prior.jobId, outputRows: prior.outputRows, attached: true } : await attachToJob(bq, prior.jobId, ref.location);
      if (attached.outputRows !== undefined) report.bigquery.outputRows = attached.outputRows;
      else report.warnings.push(`load job ${prior.jobId} reports no statistics: its row count is unknown`);
      report.bigquery.attached = true;
      report.rows = attached.outputRows ?? 0;
      report.success = true;
      log.info('run already loaded by an earlier attempt: attached', { jobId: prior.jobId, rows: attached.outputRows });
      return report;
    }

    const credentials = deps.credentials(job);
    await tracer.step('aws_credentials', async (facts) => {
      const identity = await credentials();
      facts.roleArn = job.aws.roleArn;
      if (identity.expiration) facts.expiration = identity.expiration.toISOString();
    });
    const athena = deps.athena(job, credentials);

    // Full types of array/map/row columns before the main query (docs/types.md): Glue metadata for
    // athena.table, else scan-free probe queries; complex columns are then selected as CAST(… AS JSON).
    const typeProbe = await tracer.step('type_probe', async (facts) => {
      facts.mode = job.transfer.typeProbe;
      const queries: string[] = [];
      const result = await probeTypes(athena, {
        mode: job.transfer.typeProbe,
        spec: {
          sql: job.athena.query,
          workgroup: job.athena.workgroup,
          catalog: job.athena.catalog,
          database: job.athena.database,
          clientRequestToken: ids.clientRequestToken,
          ...(job.athena.outputLocation ? { outputLocation: job.athena.outputLocation } : {}),
        },
        ...(job.athena.table ? { table: { catalog: job.athena.catalog, database: job.athena.database, table: job.athena.table } } : {}),
        timeoutMs: Math.max(1000, Math.min(job.athena.timeoutSeconds * 1000, context.deadline - now())),
        minDelayMs: job.athena.pollMinMs,
        maxDelayMs: job.athena.pollMaxMs,
        log,
        onQuery: (q) => {
          queries.push(q.queryExecutionId);
          facts.queryExecutionIds = queries;
        },
        ...(context.signal ? { signal: context.signal } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        now,
      });
      report.probe = probeReport(job.transfer.typeProbe, result);
      for (const w of result.warnings) report.warnings.push(w);
      facts.source = result.source;
      facts.dataScannedBytes = report.probe.dataScannedBytes;
      facts.castColumns = Object.keys(result.types);
      return result;
    });

    const execution = await tracer.step('athena_query', async (facts) => {
      const remaining = Math.max(1000, Math.min(job.athena.timeoutSeconds * 1000, context.deadline - now()));
      const result = await runQuery(
        athena,
        {
          sql: typeProbe.sql,
          workgroup: job.athena.workgroup,
          catalog: job.athena.catalog,
          database: job.athena.database,
          clientRequestToken: typeProbe.clientRequestToken,
          ...(job.athena.outputLocation ? { outputLocation: job.athena.outputLocation } : {}),
        },
        {
          timeoutMs: remaining,
          minDelayMs: job.athena.pollMinMs,
          maxDelayMs: job.athena.pollMaxMs,
          log,
          onStarted: (id) => {
            facts.queryExecutionId = id;
            report.athena.queryExecutionId = id;
          },
          ...(context.signal ? { signal: context.signal } : {}),
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          now,
        },
      ).catch((error: unknown) => {
        const details = asTransferError(error).details;
        const state = details.state ?? details.lastState;
        if (typeof state === 'string') report.athena.state = state;
        throw error;
      });
      recordExecution(report, result);
      facts.state = result.state;
      facts.dataScannedBytes = result.dataScannedBytes;
      return result;
    });

    // Page 1 of GetQueryResults (column types), then the rows from pages or the S3 result file (read-path.ts).
    source = await openResultSource(execution, job.transfer.readPath, {
      athena,
      ...(deps.s3 ? { s3: deps.s3(job, credentials) } : {}),
      log,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    report.readPath = source.path;
    for (const w of source.warnings) report.warnings.push(w);
    log.info('read path chosen', { readPath: source.path, reason: source.reason, ...(source.file ? { source: source.file.ref.uri } : {}) });
    const firstPage: ResultPage = source.firstPage;
    const columns: Column[] = firstPage.columns.map((c) =>
      columnFromColumnInfo({ Name: c.name, Type: c.type, ...(c.precision !== undefined ? { Precision: c.precision } : {}), ...(c.scale !== undefined ? { Scale: c.scale } : {}) }),
    );
    // The probed full types, before the schema and the converters are derived from the columns: a
    // CAST(… AS JSON) column reported as `json` becomes its array/map/row type with encoding 'json'.
    const typed = applyProbedTypes(columns, typeProbe.types);
    columns.splice(0, columns.length, ...typed.columns);
    for (const w of typed.warnings) report.warnings.push(w);

    const target = await tracer.step('schema', async (facts) => {
      const wanted = toBigQuerySchema(columns);
      const state = await describeTable(bq, ref);
      facts.tableExisted = state.exists;
      if (!state.exists) {
        if (!job.bigquery.createTable) {
          throw new TransferError('SCHEMA_CONFLICT', `Table ${tableName(ref)} does not exist and bigquery.create_table is false`, {
            status: 502,
            hint: 'Create the table, or set bigquery.create_table: true to let the function create it with the mapped schema.',
            details: { table: tableName(ref) },
          });
        }
        report.bigquery.tableCreated = await createTable(bq, ref, wanted as TableField[]);
        facts.created = report.bigquery.tableCreated;
        return { schema: wanted, loadSchema: wanted, updates: [] as ('ALLOW_FIELD_ADDITION')[] };
      }
      if (job.bigquery.writeMode === 'truncate') {
        // WRITE_TRUNCATE replaces the rows and the schema in one atomic job: the result's own schema wins.
        const differs = JSON.stringify(state.schema.map((f) => [f.name, f.type])) !== JSON.stringify(wanted.map((f) => [f.name, f.type]));
        if (differs) report.bigquery.schemaChanges = ['replace the schema (write_mode: truncate)'];
        facts.schemaReplaced = differs;
        return { schema: wanted, loadSchema: wanted, updates: [] as ('ALLOW_FIELD_ADDITION')[] };
      }
      const plan = diffSchema(state.schema as BigQueryField[], wanted, {
        allowFieldAddition: job.bigquery.allowFieldAddition,
        allowWidenToString: job.bigquery.widenToString,
      }, { athenaTypes: Object.fromEntries(columns.map((c) => [c.name, c.type])) });
      if (plan.conflicts.length > 0) {
        const c = plan.conflicts[0]!;
        throw new TransferError('SCHEMA_CONFLICT', `Table ${tableName(ref)} does not fit the query result: ${plan.conflicts.map((x) => `${x.path} is ${x.existingType}, the query gives ${x.wantedType}`).join('; ')}`, {
          status: 502,
          hint: c.hint,
          details: { table: tableName(ref), conflicts: plan.conflicts },
        });
      }
      const changes = [...plan.addFields.map((f) => `add ${f.name}`), ...plan.widenToString.map((p) => `widen ${p} to STRING`)];
      if (changes.length) report.bigquery.schemaChanges = changes;
      facts.schemaChanges = changes;
      return { schema: plan.target, loadSchema: plan.target, updates: plan.addFields.length ? (['ALLOW_FIELD_ADDITION'] as const).slice() : [] };
    });

    const converter = compileRowConverter(columns, { target: target.schema });
    for (const w of converter.warnings) report.warnings.push(`${w.column}: ${w.message}`);
    const progress = createProgress(log, now, 5000, source.path);
    const lines = ndjson(firstPage, source.rest, converter, job.bigquery.maxBadRecords, report.badRecords, progress);

    const loaded = await tracer.step('load', async (facts) => {
      facts.jobId = prior.jobId;
      facts.readPath = source?.path;
      const result = await loadNdjsonStaged(
        bq,
        {
          ref,
          jobId: prior.jobId,
          writeDisposition: WRITE_DISPOSITION[job.bigquery.writeMode],
          schema: target.loadSchema as TableField[],
          ...(target.updates.length ? { schemaUpdateOptions: target.updates } : {}),
          timeoutMs: Math.max(5000, context.deadline - now()),
        },
        lines,
        stagingOptions(job.bigquery.stagingUri, job.bigquery.stagingThresholdMb, deps.storage?.(job)),
        log,
      );
      if (result.outputRows !== undefined) facts.outputRows = result.outputRows;
      facts.rowsRead = progress.rows;
      facts.staged = result.staging.staged;
      if (source?.file) facts.s3 = { source: source.file.ref.uri, bytesRead: source.file.bytesRead, resumes: source.file.resumes };
      return result;
    });
    if (loaded.outputRows !== undefined) report.bigquery.outputRows = loaded.outputRows;
    report.bigquery.attached = loaded.attached;
    report.bigquery.staged = loaded.staging.staged;
    if (loaded.staging.staged) {
      const { objects, bytes, uri, cleanedUp } = loaded.staging;
      report.bigquery.staging = { objects, bytes, ...(uri ? { uri } : {}), ...(cleanedUp !== undefined ? { cleanedUp } : {}) };
      if (cleanedUp === false) report.warnings.push(`some staged objects under ${uri} could not be deleted (see the log); a lifecycle rule on the staging prefix removes leftovers`);
    }
    report.rows = loaded.attached ? (loaded.outputRows ?? 0) : progress.rows - report.badRecords.length;
    for (const [name, count] of Object.entries(converter.stats)) {
      if (typeof count === 'number' && count > 0) report.warnings.push(`${name}: ${count}`);
    }
    report.success = true;
    log.info('job done', { rows: report.rows, jobId: loaded.jobId, queryExecutionId: report.athena.queryExecutionId });
    return report;
  } catch (error) {
    const e = asTransferError(error);
    if (report.bigquery.tableCreated) {
      // The table was created by this failed run: leave nothing half-written behind.
      try {
        if (await dropIfEmpty(deps.bigquery(job), ref)) {
          report.bigquery.tableCreated = false;
          report.warnings.push(`the table ${tableName(ref)} created by this run was dropped again because the run failed`);
        }
      } catch (dropError) {
        log.warn('could not drop the empty table this failed run created', { table: tableName(ref), error: asTransferError(dropError).message });
      }
    }
    report.error = { ...e.toJSON(), status: e.status, ...(tracer.failedStep ? { step: tracer.failedStep } : {}) };
    log.error('job failed', { code: e.code, step: tracer.failedStep, message: e.message });
    return report;
  } finally {
    // Releases the S3 body or a read-ahead page request if the run stopped before reading everything.
    source?.close();
    report.durationMs = now() - started;
  }
}

/**
 * Cheap checks of the target before any Athena query: the dataset exists (its location is then used for
 * job look-ups, which BigQuery needs outside the US/EU multi-regions), a missing table may be created,
 * and write_mode: empty meets an empty table.
 */
async function preflight(bq: BigQuery, ref: TableRef, job: JobConfig, facts: Record<string, unknown>): Promise<void> {
  const dataset = await describeDataset(bq, ref);
  if (!dataset.exists) {
    throw new TransferError('BIGQUERY_ERROR', `Dataset ${ref.projectId}.${ref.datasetId} does not exist`, {
      status: 502,
      hint: `Create it in the location you want (bq mk --dataset --location=US ${ref.projectId}:${ref.datasetId}), or fix gcp.project_id / bigquery.dataset_id. Nothing was queried.`,
      details: { table: tableName(ref) },
    });
  }
  if (!ref.location && dataset.location) ref.location = dataset.location;
  facts.datasetLocation = dataset.location;
  const table = await describeTable(bq, ref);
  facts.tableExists = table.exists;
  if (!table.exists && !job.bigquery.createTable) {
    throw new TransferError('SCHEMA_CONFLICT', `Table ${tableName(ref)} does not exist and bigquery.create_table is false`, {
      status: 502,
      hint: 'Create the table, or set bigquery.create_table: true to let the function create it with the mapped schema. Nothing was queried.',
      details: { table: tableName(ref) },
    });
  }
  if (table.exists && job.bigquery.writeMode === 'empty' && table.numRows !== undefined && table.numRows !== '0') {
    throw new TransferError('BIGQUERY_LOAD_FAILED', `Table ${tableName(ref)} holds ${table.numRows} rows and bigquery.write_mode is empty`, {
      status: 502,
      hint: 'write_mode: empty only loads into an empty table. Use append to add rows, truncate to replace them, or empty the table first. Nothing was queried.',
      details: { table: tableName(ref), numRows: table.numRows },
    });
  }
}

/** The report's view of the type probe; costs follow the main query's rule, per query. */
function probeReport(mode: 'auto' | 'off', probe: TypeProbe): ProbeReport {
  return {
    mode,
    source: probe.source,
    queries: probe.queries,
    dataScannedBytes: probe.queries.reduce((sum, q) => sum + q.dataScannedBytes, 0),
    estimatedCostUsd: Math.round(probe.queries.reduce((sum, q) => sum + estimateAthenaCostUsd(q.dataScannedBytes), 0) * 1e6) / 1e6,
    durationMs: probe.durationMs,
    types: probe.types,
  };
}

function recordExecution(report: JobReport, e: Execution): void {
  report.athena.state = e.state;
  report.athena.dataScannedBytes = e.dataScannedBytes;
  if (e.engineExecutionMs !== undefined) report.athena.engineExecutionMs = e.engineExecutionMs;
  if (e.totalExecutionMs !== undefined) report.athena.totalExecutionMs = e.totalExecutionMs;
  report.athena.estimatedCostUsd = estimateAthenaCostUsd(e.dataScannedBytes);
}

/**
 * NDJSON text is handed on in pieces below V8's large-object size (128 KiB): a whole 1,000-row page is
 * ~200 KB, and a string that large is allocated straight into old space, where only a full GC frees it
 * (measured: peak RSS climbing 130 → 200 MiB over 3M rows in a sawtooth). 32K characters stay young.
 */
const NDJSON_CHUNK_CHARS = 32_768;

/**
 * Pages → NDJSON text, in chunks of about NDJSON_CHUNK_CHARS, pulled by the loader (backpressure end to end). A value BigQuery
 * cannot hold stops the run before the upload completes, unless `maxBad` allows skipping it (then it is
 * listed in the report): never silently altered or dropped (DESIGN §5).
 */
async function* ndjson(
  firstPage: ResultPage,
  rest: AsyncIterator<ResultPage> | undefined,
  converter: ReturnType<typeof compileRowConverter>,
  maxBad: number,
  bad: BadRecord[],
  progress: ReturnType<typeof createProgress>,
): AsyncGenerator<string> {
  let page: ResultPage | undefined = firstPage;
  while (page) {
    let chunk = '';
    const rows = page.rows;
    for (let i = 0; i < rows.length; i++) {
      const rowNumber = progress.rows + 1;
      progress.rows++;
      const out = converter.convert(rows[i]!);
      if (typeof out === 'string') {
        chunk += out + '\n';
        if (chunk.length >= NDJSON_CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
        continue;
      }
      const record: BadRecord = { row: rowNumber, column: out.column, value: out.value.length > 200 ? `${out.value.slice(0, 200)}…` : out.value, reason: out.reason };
      if (bad.length >= maxBad) {
        throw new TransferError('BAD_RECORDS', `Row ${rowNumber}, column ${out.column}: ${out.reason} (value ${JSON.stringify(record.value)}); nothing was written`, {
          status: 500,
          hint: `Fix the value in the query (e.g. filter or CAST it), or allow skipping such rows with bigquery.max_bad_records (now ${maxBad}); skipped rows are listed in the report.`,
          details: { badRecord: record, maxBadRecords: maxBad, skippedBefore: bad.slice(0, 20) },
        });
      }
      bad.push(record);
    }
    progress.tick();
    if (chunk) yield chunk;
    if (!rest) break;
    const next = await rest.next();
    page = next.done ? undefined : next.value;
  }
  progress.done();
}
