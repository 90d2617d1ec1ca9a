import { createHash, randomUUID } from 'node:crypto';
import type { JobConfig } from './config/index.ts';

/**
 * A run key names one logical run (DESIGN §7). Cloud Scheduler sends the same
 * `X-CloudScheduler-ScheduleTime` on every retry of one tick, so retries share a key and converge on the
 * same Athena execution and BigQuery job instead of scanning or loading twice.
 */
export interface RunKey {
  value: string;
  source: 'scheduler' | 'header' | 'body' | 'generated';
}

const KEY_PATTERN = /^[A-Za-z0-9_.:+@=-]{1,128}$/;

export function isValidRunKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

export function resolveRunKey(
  input: { scheduleTime?: string | undefined; idempotencyKey?: string | undefined; bodyKey?: string | undefined },
  generate: () => string = randomUUID,
): RunKey {
  if (input.scheduleTime) return { value: `scheduled-${input.scheduleTime}`, source: 'scheduler' };
  if (input.idempotencyKey) return { value: input.idempotencyKey, source: 'header' };
  if (input.bodyKey) return { value: input.bodyKey, source: 'body' };
  return { value: generate(), source: 'generated' };
}

export interface RunIds {
  /** Athena ClientRequestToken: 32–128 chars; the same run and SQL re-attach to the same execution. */
  clientRequestToken: string;
  /** BigQuery job id base; the loader appends `_<generation>` (a failed job id cannot be reused). */
  loadJobIdBase: string;
}

/**
 * Ids derive from the run key, the job, and what the job does (SQL, target, write mode): editing the
 * config between retries gives new ids rather than re-attaching to work that no longer matches.
 */
export function deriveRunIds(job: JobConfig, runKey: string): RunIds {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([runKey, job.name, job.athena.query, job.athena.workgroup, job.athena.catalog, job.athena.database]))
    .update(JSON.stringify([job.bigquery.projectId, job.bigquery.datasetId, job.bigquery.tableId, job.bigquery.writeMode]))
    .digest('hex');
  const safeName = job.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return {
    clientRequestToken: `a2bq-${fingerprint}`.slice(0, 128),
    loadJobIdBase: `athena_to_bq_${safeName}_${fingerprint.slice(0, 32)}`,
  };
}
