/**
 * One base error, a subclass per failure. Every error carries a stable `code` (part of the public
 * response contract), a `hint` that names the fix, an HTTP status, and `details`: known, safe fields only.
 * Messages are written by us from those fields, never copied from a raw SDK answer that could carry a
 * token or credential (STYLE 9, 13).
 */
export type ErrorCode =
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'METADATA_UNAVAILABLE'
  | 'METADATA_BAD_RESPONSE'
  | 'IDENTITY_TOKEN_FAILED'
  | 'ASSUME_ROLE_DENIED'
  | 'ASSUME_ROLE_FAILED'
  | 'ATHENA_QUERY_FAILED'
  | 'ATHENA_QUERY_CANCELLED'
  | 'ATHENA_TIMEOUT'
  | 'ATHENA_ERROR'
  | 'S3_RESULT_READ_FAILED'
  | 'BAD_RECORDS'
  | 'SCHEMA_CONFLICT'
  | 'BIGQUERY_LOAD_FAILED'
  | 'BIGQUERY_ERROR'
  | 'GCS_ERROR'
  | 'RUN_BUDGET_EXCEEDED'
  | 'INTERNAL';

export type SafeDetails = Record<string, unknown>;

export interface TransferErrorOptions {
  hint: string;
  status?: number;
  details?: SafeDetails;
  cause?: unknown;
}

export class TransferError extends Error {
  override name = 'TransferError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly status: number;
  readonly details: SafeDetails;

  constructor(code: ErrorCode, message: string, options: TransferErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.status = options.status ?? 500;
    this.details = options.details ?? {};
  }

  /** The JSON body fragment sent to callers: built from our own fields only. */
  toJSON(): { code: ErrorCode; message: string; hint: string; details?: SafeDetails } {
    const body: { code: ErrorCode; message: string; hint: string; details?: SafeDetails } = {
      code: this.code,
      message: this.message,
      hint: this.hint,
    };
    if (Object.keys(this.details).length > 0) body.details = this.details;
    return body;
  }
}

/** A config file that is missing a key, has an unknown one, or a value of the wrong type. */
export class ConfigInvalid extends TransferError {
  override name = 'ConfigInvalid';
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `${i.path || '(root)'}: ${i.message}`);
    super('CONFIG_INVALID', `Invalid config ${source}: ${lines.join('; ')}`, {
      status: 500,
      hint: issues[0]?.hint ?? 'Fix the config file; see config.example.yaml for every key.',
      details: { source, issues: issues.map((i) => ({ ...i })) },
    });
    this.issues = issues;
  }
}

export interface ConfigIssue {
  /** Dotted key path, e.g. `athena.query` or `jobs[1].bigquery.table_id`. */
  path: string;
  message: string;
  hint: string;
}

/** Turns anything thrown into a TransferError without leaking raw messages of unknown errors. */
export function asTransferError(error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  const name = error instanceof Error ? error.name : typeof error;
  return new TransferError('INTERNAL', `Unexpected ${name} during the transfer`, {
    hint: 'This is a bug in athena-to-bigquery: report it with the structured log lines of this run.',
    cause: error,
    details: { errorName: name },
  });
}
