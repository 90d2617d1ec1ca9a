import { TransferError } from '../errors.ts';

/** The parts of an SDK v3 service exception we read; never its raw message into a response as is. */
interface SdkErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

// Athena messages are plain text about the request (no secrets), but they can be long: cap them.
function shortMessage(error: SdkErrorLike): string {
  const text = typeof error.message === 'string' ? error.message : '';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Maps a failed Athena API call to a typed error whose hint names the fix. The SDK has already retried
 * throttling and transient errors by the time we see one (standard retry mode), so everything here is final.
 */
export function athenaCallError(operation: string, error: unknown, context: Record<string, unknown>): TransferError {
  if (error instanceof TransferError) return error;
  const e = (error ?? {}) as SdkErrorLike;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = shortMessage(e);
  const details = { operation, errorName: name, ...(status ? { httpStatus: status } : {}), ...context };
  if (name === 'AccessDeniedException' || /not authorized/i.test(message)) {
    return new TransferError('ATHENA_ERROR', `Athena ${operation} was denied: ${message}`, {
      status: 502,
      hint: `Grant the AWS role athena:${operation} (plus athena:GetQueryExecution, GetQueryResults, StopQueryExecution) on the workgroup, and s3:PutObject/GetObject on the query result location.`,
      details,
      cause: error,
    });
  }
  if (name === 'InvalidRequestException') {
    const outputHint = /output location/i.test(message)
      ? 'Set athena.output_location (s3://bucket/prefix/) or configure a result location on the workgroup.'
      : /workgroup/i.test(message)
        ? 'Check athena.workgroup: it must exist in the configured region and be ENABLED.'
        : 'Check the athena section of the config (workgroup, catalog, database, query).';
    return new TransferError('ATHENA_ERROR', `Athena rejected ${operation}: ${message}`, {
      status: 502,
      hint: outputHint,
      details,
      cause: error,
    });
  }
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException') {
    return new TransferError('ATHENA_ERROR', `Athena kept throttling ${operation} after retries`, {
      status: 503,
      hint: 'Too many concurrent Athena calls for this account: run fewer jobs at once or ask AWS for a higher quota, then retry.',
      details,
      cause: error,
    });
  }
  return new TransferError('ATHENA_ERROR', `Athena ${operation} failed (${name}${status ? `, HTTP ${status}` : ''})`, {
    status: 502,
    hint: 'Retry the run; if it keeps failing, check the region and network access to Athena from the function.',
    details,
    cause: error,
  });
}
