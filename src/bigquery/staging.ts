/**
 * Large results go through GCS: NDJSON is written to `bigquery.staging_uri` with resumable uploads, then
 * loaded by ONE load job from the `gs://` URIs (atomic: all rows or none; deterministic job id), and the
 * staged objects are deleted after success and after failure.
 *
 * Why: `table.createWriteStream()` sends the whole result as one multipart request with no retry
 * (@google-cloud/common `makeWritableStream`: `uploadType=multipart`, `maxRetries: 0`), so one network blip
 * late in a 500 MB upload loses the run. BigQuery reads gs:// sources server-side, and the load job no longer
 * depends on this function's connection.
 *
 * Small results do not pay for it: the first `thresholdBytes` of NDJSON are held in memory; a result that
 * ends within them is uploaded directly (loadNdjson), a larger one is staged, held part first.
 */
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { BigQuery, JobMetadata } from '@google-cloud/bigquery';
import type { File, Storage } from '@google-cloud/storage';
import { TransferError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { bigQueryError, googleReason, googleStatus } from './errors.ts';
import { attachToJob, loadNdjson, type LoadResult, type LoadSpec } from './load.ts';
import { tableName } from './table.ts';

/** `gs://bucket/prefix/`: where staged objects go. */
export interface GcsPrefix {
  bucket: string;
  /** `''` or a prefix ending in `/`. */
  prefix: string;
}

/** Bucket names: 3–222 of a-z 0-9 . _ - (GCS bucket naming rules). */
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Parses `gs://bucket[/prefix/]`; a prefix is always treated as a folder (a trailing `/` is added). */
export function parseGcsPrefix(uri: string): GcsPrefix {
  const m = /^gs:\/\/([^/]+)(?:\/(.*))?$/.exec(uri.trim());
  if (m === null || !GCS_BUCKET.test(m[1]!)) {
    throw new TransferError('CONFIG_INVALID', `bigquery.staging_uri ${JSON.stringify(uri)} is not a gs://bucket/prefix/ URI`, {
      status: 500,
      hint: 'Write it as gs://bucket/prefix/, e.g. staging_uri: gs://my-staging-bucket/athena-to-bigquery/.',
      details: { stagingUri: uri },
    });
  }
  const rest = (m[2] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
  return { bucket: m[1]!, prefix: rest === '' ? '' : `${rest}/` };
}

export interface StagingOptions {
  storage: Storage;
  target: GcsPrefix;
  /** NDJSON characters held before deciding to stage (0: stage every non-empty result). */
  thresholdBytes: number;
  /** Roll over to a new object after this many bytes. Default 256 MiB: several files let BigQuery read in parallel. */
  partBytes?: number;
  /** Writes one staged object; default {@link gcsUploader} of `storage`. */
  upload?: UploadObject;
  /** Between load-job status polls. Defaults 1 s growing to 5 s. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Log a "still loading" line at most this often. Default 10 s. */
  progressEveryMs?: number;
  /** A fresh suffix per attempt (default 8 random hex), so concurrent attempts of one run never share objects. */
  nonce?: () => string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** What staging did, for the report. */
export interface StagingReport {
  staged: boolean;
  /** Objects written (0 when not staged). */
  objects: number;
  /** Bytes written to GCS. */
  bytes: number;
  /** `gs://bucket/prefix/<jobId>-<nonce>/` when staged. */
  uri?: string;
  /** Whether every staged object was deleted again (undefined when nothing was staged). */
  cleanedUp?: boolean;
}

export interface WriteResult extends LoadResult {
  staging: StagingReport;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_BYTES = 256 * MiB;

/** The SDK's request interceptor (not exported by name). */
type Interceptor = File['interceptors'][number];

/** Where one staged object goes. */
export interface ObjectTarget {
  bucket: string;
  name: string;
}

/** How long one upload may take: `signal` aborts it (the run budget), `deadline` is the same moment in epoch ms. */
export interface UploadLimits {
  signal: AbortSignal;
  deadline: number;
}

/**
 * Writes `body` (NDJSON text pieces, in order) as the new object `target`, pulling the next piece only when
 * the upload has taken the last one (backpressure), and fails if the object exists already. Resolves with
 * the UTF-8 bytes written once GCS has the whole object; rejects when `limits.signal` aborts.
 */
export type UploadObject = (target: ObjectTarget, body: AsyncIterable<string>, limits: UploadLimits) => Promise<{ bytes: number }>;

/**
 * {@link UploadObject} through `@google-cloud/storage`: `file.createWriteStream({ resumable: true })` without
 * `chunkSize`, i.e. ONE streaming PUT per object (resumable-upload.js `startUploading`, single-request mode).
 *
 * - Memory: the library keeps only the last piece it handed to the request (`localWriteCache` is reset on
 *   every read in single-request mode) and takes the next piece only when the request stream reads, so
 *   what is held is one NDJSON piece (≤ 32K characters) plus the stream buffers, whatever the object size.
 *   Chunked mode (`chunkSize`) instead holds each chunk twice (upstream queue + retry cache): measured peak
 *   234 MiB at 1M rows with 8 MiB chunks (README, Performance).
 * - Retries: the library retries the PUT after a transient failure (408/429/5xx, network) from the offset
 *   the session reports (`getAndSetOffset`). With only the last piece kept, that works when GCS persisted
 *   everything but that piece; otherwise the library stops with a RangeError ("…could result in data
 *   loss") instead of writing a gap (measured against fake-gcs-server: a PUT cut after 4.9 MB ended so,
 *   "the server has 0 bytes"). The run then fails as GCS_ERROR with nothing loaded, and the next run
 *   starts over (the source cannot be re-read). Smaller parts would not change this. fake-gcs-server
 *   also left a 0-byte object behind there, which is why writeParts lists an object before uploading it.
 * - `preconditionOpts: { ifGenerationMatch: 0 }`: create-only, so a staged object is never overwritten. It
 *   also turns retries ON: under the default `IdempotencyStrategy.RetryConditional` a resumable upload
 *   without a generation precondition gets `autoRetry: false` (file.js
 *   `shouldRetryBasedOnPreconditionAndIdempotencyStrat`, `startResumableUpload_`).
 * - `validation: 'md5'`: the library hashes what it sends and compares it with the object's `md5Hash`
 *   after the upload; on a mismatch it deletes the object and fails. The default, CRC32C, is computed in
 *   JavaScript (measured 1.0 s of CPU for 188 MB here, MD5 via OpenSSL 0.27 s). GCS returns `md5Hash` for
 *   every non-composite object not encrypted with a customer-supplied key, which staged objects are.
 * - A request `timeout` of the time left (a File request interceptor): when the source fails or the run
 *   aborts, pipeline() destroys the write stream, but duplexify destroys the library's Upload WITHOUT the
 *   error, and the Upload aborts its streaming PUT only on 'error' (`makeRequestStream`). The PUT then
 *   waits for body bytes that never come (measured against fake-gcs-server: the connection stayed open).
 *   The body is never ended, so GCS never finalizes a partial object; the timeout closes the request by
 *   the run's deadline at the latest.
 */
export function gcsUploader(storage: Storage): UploadObject {
  return async ({ bucket, name }, body, { signal, deadline }) => {
    let bytes = 0;
    // Encode here (the write stream would too) to count the bytes the load job will read.
    async function* encode(source: AsyncIterable<string>): AsyncGenerator<Buffer> {
      for await (const text of source) {
        const chunk = Buffer.from(text, 'utf8');
        bytes += chunk.length;
        yield chunk;
      }
    }
    const file = storage.bucket(bucket).file(name);
    const timeout = Math.max(1000, deadline - Date.now());
    file.interceptors.push({ request: (options) => Object.assign(options, { timeout }) as ReturnType<Interceptor['request']> });
    const destination = file.createWriteStream({
      resumable: true,
      contentType: 'application/x-ndjson',
      preconditionOpts: { ifGenerationMatch: 0 },
      validation: 'md5',
    });
    await pipeline(body, encode, destination, { signal });
    return { bytes };
  };
}

/**
 * Loads NDJSON lines into the table with one load job: directly when `staging` is undefined or the result
 * stays within `staging.thresholdBytes`, else through GCS. Same atomicity and job-id rules as loadNdjson.
 */
export async function loadNdjsonStaged(
  bq: BigQuery,
  spec: LoadSpec,
  lines: AsyncIterable<string>,
  staging: StagingOptions | undefined,
  log: Logger = silentLogger,
): Promise<WriteResult> {
  const notStaged: StagingReport = { staged: false, objects: 0, bytes: 0 };
  if (staging === undefined) return { ...(await loadNdjson(bq, spec, lines, log)), staging: notStaged };
  const started = (staging.now ?? Date.now)();
  const source = lines[Symbol.asyncIterator]();
  const head: string[] = [];
  let held = 0;
  let ended = false;
  while (held <= staging.thresholdBytes || head.length === 0) {
    const r = await source.next();
    if (r.done) {
      ended = true;
      break;
    }
    head.push(r.value);
    held += r.value.length;
  }
  if (ended) {
    // Everything fit under the threshold: one small direct upload, no GCS objects to manage.
    return { ...(await loadNdjson(bq, spec, fromArray(head), log)), staging: notStaged };
  }
  log.info('result is larger than the staging threshold: staging NDJSON in GCS', {
    thresholdBytes: staging.thresholdBytes,
    target: `gs://${staging.target.bucket}/${staging.target.prefix}`,
  });
  const remainingMs = spec.timeoutMs - ((staging.now ?? Date.now)() - started);
  return stageAndLoad(bq, { ...spec, timeoutMs: Math.max(1000, remainingMs) }, prepend(head, source), staging, log);
}

interface StagedObject {
  name: string;
  bytes: number;
}

async function stageAndLoad(bq: BigQuery, spec: LoadSpec, source: AsyncIterator<string>, staging: StagingOptions, log: Logger): Promise<WriteResult> {
  const { storage, target } = staging;
  const nonce = (staging.nonce ?? (() => randomBytes(4).toString('hex')))();
  const folder = `${target.prefix}${spec.jobId}-${nonce}/`;
  const uri = `gs://${target.bucket}/${folder}`;
  const objects: StagedObject[] = [];
  const report = (): StagingReport => ({ staged: true, objects: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0), uri });
  const deadline = AbortSignal.timeout(spec.timeoutMs);
  const limits: UploadLimits = { signal: deadline, deadline: Date.now() + spec.timeoutMs };
  let keepObjects = false;
  try {
    await writeParts(staging.upload ?? gcsUploader(storage), target.bucket, folder, source, objects, {
      partBytes: staging.partBytes ?? DEFAULT_PART_BYTES,
      limits,
      log,
    });
    const staged = report();
    log.info('NDJSON staged in GCS: starting one load job', { uri, objects: staged.objects, bytes: staged.bytes, jobId: spec.jobId });
    const result = await loadFromGcs(bq, spec, objects.map((o) => `gs://${target.bucket}/${o.name}`), staging, deadline, log).catch((error: unknown) => {
      // A job that may still be running needs its source files: keep them (the next attempt attaches to the job).
      if (error instanceof TransferError && error.details.jobMayFinish === true) keepObjects = true;
      throw error;
    });
    return { ...result, staging: { ...staged, cleanedUp: await deleteStaged(storage, target.bucket, objects, log) } };
  } catch (error) {
    await source.return?.().catch(() => undefined);
    if (!keepObjects) await deleteStaged(storage, target.bucket, objects, log);
    else log.warn('staged objects kept: the load job may still read them', { uri, objects: objects.length });
    // The run budget ran out while staging (the upload then fails with an abort): say so, not "upload failed".
    if (deadline.aborted && !keepObjects) {
      throw new TransferError('BIGQUERY_LOAD_FAILED', `Staging the result in ${uri} did not finish within ${Math.round(spec.timeoutMs / 1000)} s`, {
        status: 504,
        hint: 'Nothing was loaded (the load job was not started) and the staged objects were deleted. Raise the run budget or reduce the result size.',
        details: { jobId: spec.jobId, stagingUri: uri },
        cause: error,
      });
    }
    if (error instanceof TransferError) throw error;
    throw gcsError(uri, error);
  }
}

/**
 * Pulls `source` into `folder/part-NNNNN.ndjson` objects of about `partBytes` each, one upload per object.
 * Parts are not needed for memory (an upload holds one piece), but several objects let BigQuery read in
 * parallel, and one load job takes them all.
 */
async function writeParts(
  upload: UploadObject,
  bucket: string,
  folder: string,
  source: AsyncIterator<string>,
  objects: StagedObject[],
  options: { partBytes: number; limits: UploadLimits; log: Logger },
): Promise<void> {
  let next = await source.next();
  while (!next.done) {
    const object: StagedObject = { name: `${folder}part-${String(objects.length).padStart(5, '0')}.ndjson`, bytes: 0 };
    // Listed before the upload: a failed upload may still have created the object, and clean-up deletes this list.
    objects.push(object);
    let chars = 0;
    // Part boundaries fall between source chunks (whole NDJSON lines), at about partBytes (counted in characters).
    const part = async function* (): AsyncGenerator<string> {
      while (!next.done && chars < options.partBytes) {
        const text = next.value;
        chars += text.length;
        yield text;
        next = await source.next();
      }
    };
    object.bytes = (await upload({ bucket, name: object.name }, part(), options.limits)).bytes;
    options.log.info('staged object written', { object: `gs://${bucket}/${object.name}`, bytes: object.bytes });
  }
}

/** Deletes staged objects; a failure is logged (with the names, for a manual clean-up) and never hides the run's outcome. */
async function deleteStaged(storage: Storage, bucket: string, objects: readonly StagedObject[], log: Logger): Promise<boolean> {
  let ok = true;
  for (const o of objects) {
    try {
      await storage.bucket(bucket).file(o.name).delete({ ignoreNotFound: true });
    } catch (error) {
      ok = false;
      log.warn('could not delete a staged object: delete it by hand or add a lifecycle rule on the staging prefix', {
        object: `gs://${bucket}/${o.name}`,
        httpStatus: googleStatus(error),
      });
    }
  }
  return ok;
}

/**
 * One load job over all staged URIs with the deterministic job id; waits for it within the deadline. A 409
 * on the id (500 "already created" on bigquery-emulator) means an earlier attempt of the same run created it:
 * attach, never load twice (DESIGN §6, §7).
 */
async function loadFromGcs(bq: BigQuery, spec: LoadSpec, sourceUris: string[], staging: StagingOptions, deadline: AbortSignal, log: Logger): Promise<LoadResult> {
  const load: Record<string, unknown> = {
    sourceUris,
    destinationTable: { projectId: spec.ref.projectId, datasetId: spec.ref.datasetId, tableId: spec.ref.tableId },
    sourceFormat: 'NEWLINE_DELIMITED_JSON',
    writeDisposition: spec.writeDisposition,
    createDisposition: 'CREATE_NEVER',
    maxBadRecords: 0,
    ignoreUnknownValues: false,
  };
  if (spec.schema) load.schema = { fields: spec.schema };
  if (spec.schemaUpdateOptions?.length) load.schemaUpdateOptions = spec.schemaUpdateOptions;
  let metadata: JobMetadata | undefined;
  try {
    const [job] = await bq.createJob({
      jobId: spec.jobId,
      ...(spec.ref.location ? { location: spec.ref.location } : {}),
      configuration: { load } as never,
    });
    metadata = job.metadata as JobMetadata | undefined;
  } catch (error) {
    if (isDuplicateJob(error)) {
      log.warn('load job id exists already: attaching to it', { jobId: spec.jobId });
      return attachToJob(bq, spec.jobId, spec.ref.location);
    }
    throw bigQueryError('load job (jobs.insert)', error, { jobId: spec.jobId, table: tableName(spec.ref) }, 'BIGQUERY_LOAD_FAILED');
  }
  log.info('bigquery load job created', { jobId: spec.jobId, table: tableName(spec.ref), sourceUris: sourceUris.length });
  const done = await waitForJob(bq, spec, metadata, staging, deadline, log);
  const rows = done.statistics?.load?.outputRows;
  return { jobId: spec.jobId, outputRows: rows === undefined || rows === null ? undefined : Number(rows), attached: false };
}

async function waitForJob(
  bq: BigQuery,
  spec: LoadSpec,
  initial: JobMetadata | undefined,
  staging: StagingOptions,
  deadline: AbortSignal,
  log: Logger,
): Promise<JobMetadata> {
  const now = staging.now ?? Date.now;
  const sleep = staging.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const job = bq.job(spec.jobId, spec.ref.location ? { location: spec.ref.location } : {});
  const started = now();
  let lastLog = started;
  let delay = staging.pollMinMs ?? 1000;
  let metadata = initial;
  for (;;) {
    if (metadata?.status?.state === 'DONE') {
      const failure = metadata.status.errorResult;
      if (failure) {
        throw bigQueryError('load job', { message: failure.message, errors: [failure, ...(metadata.status.errors ?? [])] }, { jobId: spec.jobId }, 'BIGQUERY_LOAD_FAILED');
      }
      return metadata;
    }
    if (deadline.aborted) {
      throw new TransferError('BIGQUERY_LOAD_FAILED', `Load job ${spec.jobId} into ${tableName(spec.ref)} did not finish within the run budget`, {
        status: 504,
        hint: `The job may still finish: the next run with the same run key attaches to it instead of loading again. Check it with: bq show -j ${spec.jobId}`,
        details: { jobId: spec.jobId, jobCreated: true, jobMayFinish: true, state: metadata?.status?.state },
      });
    }
    if (now() - lastLog >= (staging.progressEveryMs ?? 10_000)) {
      lastLog = now();
      log.info('progress', { stage: 'bigquery_load_job', jobId: spec.jobId, state: metadata?.status?.state, waitedSeconds: Math.round((lastLog - started) / 1000) });
    }
    await sleep(delay);
    delay = Math.min(staging.pollMaxMs ?? 5000, delay * 2);
    try {
      [metadata] = await job.getMetadata();
    } catch (error) {
      throw bigQueryError('jobs.get', error, { jobId: spec.jobId }, 'BIGQUERY_LOAD_FAILED');
    }
  }
}

/** 409 `duplicate` is BigQuery's answer to a reused job id (goccy/bigquery-emulator says 500 "already created"). */
function isDuplicateJob(error: unknown): boolean {
  if (googleStatus(error) === 409 || googleReason(error) === 'duplicate') return true;
  const message = (error as { message?: unknown } | undefined)?.message;
  return googleStatus(error) === 500 && typeof message === 'string' && /job .* is already created/.test(message);
}

/**
 * The HTTP status of a Storage failure: ApiError has a numeric `code`; the resumable upload rejects with
 * gaxios errors (`status`, `response.status`) or, after its retries, a plain Error "Retry limit exceeded -
 * status: 503 - …" (resumable-upload.js `buildRetryError`).
 */
function storageStatus(error: unknown): number | undefined {
  const e = (error ?? {}) as { status?: unknown; response?: { status?: unknown }; message?: unknown };
  const status = googleStatus(error) ?? e.status ?? e.response?.status;
  if (typeof status === 'number') return status;
  const m = typeof e.message === 'string' ? /^Retry (?:limit|total time limit) exceeded - status: (\d{3})\b/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

function gcsError(uri: string, error: unknown): TransferError {
  const status = storageStatus(error);
  const denied = status === 401 || status === 403;
  const missing = status === 404;
  // Storage's own codes: FILE_NO_UPLOAD (MD5 mismatch: object deleted), MD5_NOT_AVAILABLE, … (file.js FileExceptionMessages).
  const code = (error as { code?: unknown } | undefined)?.code;
  return new TransferError('GCS_ERROR', `Staging the result in ${uri} failed${status ? ` (HTTP ${status})` : ''}: ${denied ? 'access denied' : missing ? 'the bucket does not exist' : 'the upload failed'}`, {
    status: 502,
    hint: denied
      ? "Grant the function's service account roles/storage.objectAdmin (create + delete) on the staging bucket, or remove bigquery.staging_uri to upload directly."
      : missing
        ? 'Create the bucket named in bigquery.staging_uri (in the dataset\'s location), or fix the URI.'
        : 'Retry the run; nothing was loaded and the staged objects were deleted.',
    details: {
      stagingUri: uri,
      ...(status ? { httpStatus: status } : {}),
      ...(typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? { storageCode: code } : {}),
      errorName: error instanceof Error ? error.name : typeof error,
    },
    cause: error,
  });
}

async function* fromArray(items: readonly string[]): AsyncGenerator<string> {
  for (const item of items) yield item;
}

/** `head` then the rest of `source`, as one iterator (return() closes the source). */
function prepend(head: string[], source: AsyncIterator<string>): AsyncIterator<string> {
  let i = 0;
  return {
    async next() {
      if (i < head.length) {
        const value = head[i]!;
        head[i++] = ''; // let the held chunk go as soon as it is handed on
        return { done: false, value };
      }
      return source.next();
    },
    async return() {
      i = head.length;
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
}

/**
 * The staging options of a job: undefined without `bigquery.staging_uri`. A staging URI without a Storage
 * client is a wiring bug, reported as such rather than silently uploading directly.
 */
export function stagingOptions(stagingUri: string | undefined, thresholdMb: number, storage: Storage | undefined): StagingOptions | undefined {
  if (stagingUri === undefined) return undefined;
  if (storage === undefined) {
    throw new TransferError('INTERNAL', 'bigquery.staging_uri is set but the function has no Cloud Storage client', {
      hint: 'This is a bug in athena-to-bigquery (JobDeps.storage is missing): report it, or remove bigquery.staging_uri meanwhile.',
    });
  }
  return { storage, target: parseGcsPrefix(stagingUri), thresholdBytes: thresholdMb * MiB };
}
