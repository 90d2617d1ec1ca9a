import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BigQuery, Job, JobMetadata, TableField } from '@google-cloud/bigquery';
import { TransferError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { bigQueryError, googleReason, googleStatus } from './errors.ts';
import { tableName, type TableRef } from './table.ts';
import { CALL_TIMEOUT_MS, withDeadline } from '../deadline.ts';

export type WriteDisposition = 'WRITE_APPEND' | 'WRITE_TRUNCATE' | 'WRITE_EMPTY';

export interface LoadSpec {
  ref: TableRef;
  jobId: string;
  writeDisposition: WriteDisposition;
  schema?: TableField[];
  schemaUpdateOptions?: ('ALLOW_FIELD_ADDITION' | 'ALLOW_FIELD_RELAXATION')[];
  /** Whole-load deadline: upload plus the job's run time. */
  timeoutMs: number;
}

export interface LoadResult {
  jobId: string;
  /** From the job's statistics; undefined when BigQuery (or an emulator) reports none. */
  outputRows: number | undefined;
  /** true when an earlier attempt of the same run had already loaded (a retry converged, DESIGN §7). */
  attached: boolean;
}

/** What a job id says about earlier attempts of the same run. */
export type PriorJob =
  | { kind: 'none'; jobId: string }
  | { kind: 'succeeded'; jobId: string; outputRows: number | undefined }
  | { kind: 'running'; jobId: string };

/**
 * Finds the job id this attempt must use. Job ids are `${base}_${n}`: a succeeded or running job of the
 * same run is attached to; a failed one cannot be reused by BigQuery, so the next generation is tried.
 */
export async function resolveJobId(bq: BigQuery, base: string, location: string | undefined, maxGenerations = 20): Promise<PriorJob> {
  for (let n = 0; n < maxGenerations; n++) {
    const jobId = `${base}_${n}`;
    const metadata = await getJobMetadata(bq, jobId, location);
    if (metadata === undefined) return { kind: 'none', jobId };
    const state = metadata.status?.state;
    if (state !== 'DONE') return { kind: 'running', jobId };
    if (!metadata.status?.errorResult) return { kind: 'succeeded', jobId, outputRows: outputRows(metadata) };
  }
  throw new TransferError('BIGQUERY_LOAD_FAILED', `${maxGenerations} load attempts of this run already failed`, {
    hint: 'Look at the failed jobs in the BigQuery console (job ids start with the base shown), fix the cause, and run with a new run key.',
    details: { jobIdBase: base },
  });
}

async function getJobMetadata(bq: BigQuery, jobId: string, location: string | undefined): Promise<JobMetadata | undefined> {
  try {
    const [metadata] = await withDeadline(bq.job(jobId, location ? { location } : {}).getMetadata(), CALL_TIMEOUT_MS, `jobs.get ${jobId}`);
    return metadata;
  } catch (error) {
    if (googleStatus(error) === 404) return undefined;
    throw bigQueryError('jobs.get', error, { jobId });
  }
}

function outputRows(metadata: JobMetadata): number | undefined {
  const value = metadata.statistics?.load?.outputRows;
  return value === undefined || value === null ? undefined : Number(value);
}

/** Waits for an existing job (a concurrent or earlier attempt of the same run) and reports it. */
export async function attachToJob(bq: BigQuery, jobId: string, location: string | undefined, timeoutMs = CALL_TIMEOUT_MS * 10): Promise<LoadResult> {
  const job = bq.job(jobId, location ? { location } : {});
  try {
    await withDeadline(job.promise(), timeoutMs, `waiting for load job ${jobId}`, 'BIGQUERY_LOAD_FAILED');
  } catch (error) {
    throw loadJobError(jobId, error);
  }
  const metadata = await getJobMetadata(bq, jobId, location);
  return { jobId, outputRows: metadata ? outputRows(metadata) : undefined, attached: true };
}

function loadJobError(jobId: string, error: unknown): TransferError {
  return bigQueryError('load job', error, { jobId }, 'BIGQUERY_LOAD_FAILED');
}

/**
 * Streams NDJSON lines into ONE load job (atomic: all rows or none), with a deterministic job id. The
 * source is pulled with backpressure, so memory holds one chunk, not the result. If the source throws
 * (a bad record, an Athena failure) the upload is aborted before it completes, so no job is created and
 * nothing is written. A 409 on the id means an earlier attempt created the job: attach, never load twice.
 */
export async function loadNdjson(bq: BigQuery, spec: LoadSpec, lines: AsyncIterable<string>, log: Logger = silentLogger): Promise<LoadResult> {
  const table = bq.dataset(spec.ref.datasetId, { projectId: spec.ref.projectId }).table(spec.ref.tableId);
  const metadata: Record<string, unknown> = {
    sourceFormat: 'NEWLINE_DELIMITED_JSON',
    writeDisposition: spec.writeDisposition,
    createDisposition: 'CREATE_NEVER',
    jobId: spec.jobId,
    maxBadRecords: 0,
    ignoreUnknownValues: false,
  };
  if (spec.schema) metadata.schema = { fields: spec.schema };
  if (spec.schemaUpdateOptions?.length) metadata.schemaUpdateOptions = spec.schemaUpdateOptions;
  if (spec.ref.location) metadata.location = spec.ref.location;

  const upload = table.createWriteStream(metadata as Parameters<typeof table.createWriteStream>[0]);
  let job: Job | undefined;
  upload.on('job', (j: Job) => {
    job = j;
    log.info('bigquery load job created', { jobId: spec.jobId, table: tableName(spec.ref) });
  });
  const deadline = AbortSignal.timeout(spec.timeoutMs);
  try {
    await pipeline(Readable.from(lines, { objectMode: false }), upload, { signal: deadline });
  } catch (error) {
    if (isDuplicateJob(error)) {
      log.warn('load job id exists already: attaching to it', { jobId: spec.jobId });
      return attachToJob(bq, spec.jobId, spec.ref.location);
    }
    if (deadline.aborted) {
      throw new TransferError('BIGQUERY_LOAD_FAILED', `The load into ${tableName(spec.ref)} did not finish within ${Math.round(spec.timeoutMs / 1000)} s`, {
        status: 504,
        hint: job
          ? `The job ${spec.jobId} may still finish: the next run with the same run key attaches to it instead of loading again.`
          : 'Nothing was written (the upload did not complete). Raise the run budget or reduce the result size.',
        details: { jobId: spec.jobId, jobCreated: job !== undefined },
        cause: error,
      });
    }
    if (error instanceof TransferError) throw error;
    throw loadJobError(spec.jobId, error);
  }
  const finished = job?.metadata as JobMetadata | undefined;
  return { jobId: spec.jobId, outputRows: finished ? outputRows(finished) : undefined, attached: false };
}

/** 409 `duplicate` is BigQuery's answer to a reused job id (goccy/bigquery-emulator says 500 "already created"). */
function isDuplicateJob(error: unknown): boolean {
  if (googleStatus(error) === 409 || googleReason(error) === 'duplicate') return true;
  const message = (error as { message?: unknown } | undefined)?.message;
  return googleStatus(error) === 500 && typeof message === 'string' && /job .* is already created/.test(message);
}
