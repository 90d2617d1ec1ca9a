/**
 * Failures of the identity stage (public-reports F3–F5). Each names what was tried and the fix; none carries a
 * token (STYLE 9, 13).
 */
import { TransferError } from '../errors.ts';

/** The metadata server did not answer in time, or could not be reached (F3). */
export class MetadataUnavailable extends TransferError {
  override name = 'MetadataUnavailable';
  readonly baseUrl: string;
  readonly elapsedMs: number;
  constructor(message: string, options: { baseUrl: string; elapsedMs: number; hint: string; details: Record<string, unknown>; cause?: unknown }) {
    super('METADATA_UNAVAILABLE', message, {
      status: 503,
      hint: options.hint,
      details: { baseUrl: options.baseUrl, elapsedMs: options.elapsedMs, ...options.details },
      cause: options.cause,
    });
    this.baseUrl = options.baseUrl;
    this.elapsedMs = options.elapsedMs;
  }
}

/** Something answered, but not like a metadata server: wrong `Metadata-Flavor`, not a JWT, wrong audience (F4). */
export class MetadataBadResponse extends TransferError {
  override name = 'MetadataBadResponse';
  readonly baseUrl: string;
  constructor(message: string, options: { baseUrl: string; hint: string; details: Record<string, unknown>; cause?: unknown }) {
    super('METADATA_BAD_RESPONSE', message, {
      status: 502,
      hint: options.hint,
      details: { baseUrl: options.baseUrl, ...options.details },
      cause: options.cause,
    });
    this.baseUrl = options.baseUrl;
  }
}

/** The identity endpoint answered with an HTTP error while the metadata server itself works (F5). */
export class IdentityTokenFailed extends TransferError {
  override name = 'IdentityTokenFailed';
  readonly httpStatus: number;
  readonly serviceAccountEmail: string | undefined;
  constructor(message: string, options: { httpStatus: number; serviceAccountEmail: string | undefined; hint: string; details: Record<string, unknown>; cause?: unknown }) {
    super('IDENTITY_TOKEN_FAILED', message, {
      status: 502,
      hint: options.hint,
      details: { httpStatus: options.httpStatus, serviceAccountEmail: options.serviceAccountEmail, ...options.details },
      cause: options.cause,
    });
    this.httpStatus = options.httpStatus;
    this.serviceAccountEmail = options.serviceAccountEmail;
  }
}
