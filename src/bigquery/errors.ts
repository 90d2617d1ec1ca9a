import { TransferError, type ErrorCode } from '../errors.ts';

/** The fields of @google-cloud/common's ApiError (and a BigQuery job's errorResult) that we read. */
interface GoogleErrorLike {
  code?: number | string;
  message?: string;
  errors?: { reason?: string; message?: string; location?: string }[];
  reason?: string;
}

export function googleStatus(error: unknown): number | undefined {
  const code = (error as GoogleErrorLike | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function googleReason(error: unknown): string | undefined {
  const e = error as GoogleErrorLike | undefined;
  return e?.errors?.[0]?.reason ?? e?.reason;
}

function snippet(text: unknown, max = 400): string {
  const s = typeof text === 'string' ? text : '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const REASON_HINTS: Record<string, string> = {
  accessDenied:
    "Grant the function's service account roles/bigquery.dataEditor on the dataset and roles/bigquery.jobUser on the project.",
  notFound: 'Check gcp.project_id, bigquery.dataset_id and bigquery.table_id; create the dataset first (bq mk --dataset PROJECT:DATASET).',
  invalid: 'A value or the schema was rejected by BigQuery; the error names the field. Nothing was written (load jobs are atomic).',
  quotaExceeded: 'A BigQuery quota was hit (e.g. 1,500 load jobs per table per day); wait or batch runs, then retry.',
  rateLimitExceeded: 'BigQuery rate limit: retry later.',
  duplicate: 'The job id already exists; the run attaches to it instead of loading again.',
  backendError: 'A transient BigQuery backend error: retry the run (the same run key attaches to finished work).',
};

/** Maps a BigQuery API failure to a typed error; the hint comes from the documented error reason. */
export function bigQueryError(
  action: string,
  error: unknown,
  details: Record<string, unknown>,
  code: ErrorCode = 'BIGQUERY_ERROR',
): TransferError {
  if (error instanceof TransferError) return error;
  const e = (error ?? {}) as GoogleErrorLike;
  const status = googleStatus(error);
  const reason = googleReason(error);
  const message = snippet(e.errors?.[0]?.message ?? e.message);
  return new TransferError(code, `BigQuery ${action} failed${reason ? ` (${reason})` : ''}: ${message}`, {
    status: 502,
    hint: (reason && REASON_HINTS[reason]) ?? 'Retry the run; if it persists, check the BigQuery console for the job or table named here.',
    details: { action, ...(status ? { httpStatus: status } : {}), ...(reason ? { reason } : {}), ...details },
    cause: error,
  });
}
