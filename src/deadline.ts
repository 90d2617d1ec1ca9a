import { TransferError, type ErrorCode } from './errors.ts';

/** Deadline for one metadata-sized cloud call (tables.get, jobs.get, …), including its auth token fetch. */
export const CALL_TIMEOUT_MS = 30_000;

/**
 * Bounds a promise by our own deadline. The Google client libraries set no timeout on metadata calls and
 * their token fetch can hang on an unresponsive metadata server (gcp-metadata sets none on Google Cloud),
 * so every such call is raced here; the losing request is left to its own socket timeout.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string, code: ErrorCode = 'BIGQUERY_ERROR'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TransferError(code, `${what} did not answer within ${Math.round(ms / 1000)} s`, {
          status: 504,
          hint: 'A Google API or the metadata server (which issues the access token) did not answer; check the function\'s network egress and retry.',
          details: { call: what, timeoutMs: ms },
        }),
      );
    }, ms);
    timer.unref?.();
  });
  promise.catch(() => {}); // a late rejection of the losing call must not become unhandled
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
