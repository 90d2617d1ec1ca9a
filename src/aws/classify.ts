/**
 * Transient or terminal, decided in one pure place (STYLE 10). Only what this calls transient is retried; an
 * error we do not recognise is terminal. The lists follow smithy's service-error-classification
 * (@smithy/core retry/service-error-classification/constants.js) plus the service-specific names we meet:
 * STS `IDPCommunicationError` (AWS: "the request can be retried") and Athena/AWS `InternalServerException`.
 */

export type ErrorClass = 'transient' | 'terminal';

const TRANSIENT_NAMES = new Set([
  // throttling (smithy THROTTLING_ERROR_CODES)
  'BandwidthLimitExceeded', 'EC2ThrottledException', 'LimitExceededException', 'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException',
  'SlowDown', 'ThrottledException', 'Throttling', 'ThrottlingException', 'TooManyRequestsException',
  'TransactionInProgressException',
  // transient (smithy TRANSIENT_ERROR_CODES) and server-side failures named by services
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalFailure',
  'InternalServerError', 'InternalServerException', 'ServiceUnavailable', 'ServiceUnavailableException',
  'IDPCommunicationError', 'IDPCommunicationErrorException',
]);

/** HTTP statuses that mean "try again" (smithy TRANSIENT_ERROR_STATUS_CODES, plus 408 and 429). */
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Socket-level failures (smithy NODEJS_TIMEOUT_ERROR_CODES + NODEJS_NETWORK_ERROR_CODES, undici's socket codes). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Classifies an error thrown by an AWS SDK v3 call (or by the network under it). Pure.
 * Reads `name`, `Code`, `$retryable` (set on errors the service model marks retryable), `$metadata.httpStatusCode`
 * and network `code`s, looking one `cause` deep.
 */
export function classifyAwsError(error: unknown): ErrorClass {
  for (const candidate of [error, field(error, 'cause')]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const name = field(candidate, 'name');
    const code = field(candidate, 'Code');
    if ((typeof name === 'string' && TRANSIENT_NAMES.has(name)) || (typeof code === 'string' && TRANSIENT_NAMES.has(code))) {
      return 'transient';
    }
    const retryable = field(candidate, '$retryable');
    if (typeof retryable === 'object' && retryable !== null) return 'transient';
    const status = field(field(candidate, '$metadata'), 'httpStatusCode');
    if (typeof status === 'number' && TRANSIENT_STATUS.has(status)) return 'transient';
    for (const key of ['code', 'errno']) {
      const value = field(candidate, key);
      if (typeof value === 'string' && TRANSIENT_NETWORK_CODES.has(value)) return 'transient';
    }
  }
  return 'terminal';
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
