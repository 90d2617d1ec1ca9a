/**
 * The runtime service account's Google ID token from the metadata server, through gcp-metadata 9
 * (DESIGN §3; public-reports F3–F5).
 *
 * Facts about gcp-metadata 9.2.3 this relies on (node_modules/gcp-metadata/build/src/index.js):
 * - it reads `GCE_METADATA_IP || GCE_METADATA_HOST` from `process.env` on every call (`getBaseUrl`);
 * - its request timeout is 0 (none) once it detects Google Cloud residency (`K_SERVICE`/`FUNCTION_NAME` set, GCE
 *   BIOS or MAC) and 3000 ms elsewhere, with 3 retries, and `instance()` accepts no timeout or signal — so a hung
 *   metadata server blocks forever on Cloud Functions (gcp-metadata #548): we race it against our own deadline;
 * - it retries 5xx answers 3 times (about 2 s), then throws a GaxiosError with `response.status`/`response.data`;
 * - it throws `RangeError("… incorrect Metadata-Flavor header. Expected 'Google', got 'X'|no header")` when the
 *   answer lacks the header (gcp-metadata #215).
 */
import * as gcpMetadata from 'gcp-metadata';
import { TransferError } from '../errors.ts';
import { decodeClaims, audienceText } from './claims.ts';
import { IdentityTokenFailed, MetadataBadResponse, MetadataUnavailable } from './errors.ts';
import { metadataBaseUrl, metadataOverrides, type MetadataEnv } from './metadata-env.ts';
import { safeSnippet } from '../redact.ts';
import { IdentityToken } from './token.ts';

/** The part of gcp-metadata we use; tests may pass a fake. */
export interface MetadataClient {
  instance(options: string | { property?: string; params?: Record<string, string> }): Promise<unknown>;
}

export interface IdentityDeps {
  /** Values of the metadata override variables, for diagnostics (`readMetadataEnv(process.env)` at the edge). */
  env: MetadataEnv;
  /** Default: the gcp-metadata module. */
  metadata?: MetadataClient;
  /** Our deadline for one token fetch, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Aborts the wait (e.g. the run budget); the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export const DEFAULT_METADATA_TIMEOUT_MS = 10_000;
/** The e-mail lookup only decorates an error (F5): it gets a short deadline of its own. */
const EMAIL_LOOKUP_TIMEOUT_MS = 3_000;
const IDENTITY_PROPERTY = 'service-accounts/default/identity';
const EMAIL_PROPERTY = 'service-accounts/default/email';
/** Codes of a request that got no HTTP answer at all (gaxios/node-fetch and gcp-metadata's own list). */
const NO_ANSWER_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN',
  'EPIPE', 'TimeoutError', 'AbortError', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Fetches an ID token for `audience` (`format=full`) from the metadata server, bounded by `deps.timeoutMs`.
 * Errors: `METADATA_UNAVAILABLE` (no answer in time / unreachable: host, elapsed time and overrides in details),
 * `METADATA_BAD_RESPONSE` (not a metadata server: header value received and base URL), `IDENTITY_TOKEN_FAILED`
 * (HTTP error from the identity endpoint: status, body snippet and the SA e-mail).
 */
export async function fetchIdentityToken(audience: string, deps: IdentityDeps): Promise<IdentityToken> {
  const metadata = deps.metadata ?? gcpMetadata;
  const now = deps.now ?? Date.now;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_METADATA_TIMEOUT_MS;
  const baseUrl = metadataBaseUrl(deps.env);
  deps.signal?.throwIfAborted();
  const started = now();
  let raw: unknown;
  try {
    raw = await withDeadline(
      metadata.instance({ property: IDENTITY_PROPERTY, params: { audience, format: 'full' } }),
      timeoutMs,
      deps.signal,
    );
  } catch (error) {
    if (deps.signal?.aborted && error === deps.signal.reason) throw error;
    const context = { audience, baseUrl, timeoutMs, elapsedMs: Math.max(0, now() - started), env: deps.env };
    throw await describeFailure(error, context, metadata);
  }
  return toIdentityToken(raw, audience, baseUrl);
}

interface FailureContext {
  audience: string;
  baseUrl: string;
  timeoutMs: number;
  elapsedMs: number;
  env: MetadataEnv;
}

async function describeFailure(error: unknown, context: FailureContext, metadata: MetadataClient): Promise<Error> {
  const { audience, baseUrl, timeoutMs, elapsedMs, env } = context;
  const overrides = metadataOverrides(env);
  const overrideText = Object.keys(overrides).length === 0
    ? 'no metadata override variables are set'
    : `overrides in effect: ${Object.entries(overrides).map(([key, value]) => `${key}=${value}`).join(', ')}`;

  if (error instanceof DeadlineExceeded || noAnswerCode(error) !== undefined) {
    const networkCode = error instanceof DeadlineExceeded ? undefined : noAnswerCode(error);
    const what = networkCode === undefined
      ? `did not answer within ${timeoutMs} ms`
      : `could not be reached (${networkCode}) after ${elapsedMs} ms`;
    return new MetadataUnavailable(
      `The metadata server at ${baseUrl} ${what} while fetching an identity token for audience ${audience}; ${overrideText}.`,
      {
        baseUrl,
        elapsedMs,
        hint:
          'On Cloud Functions/Cloud Run the metadata server answers within milliseconds: retry the run, and if it persists ' +
          'check that GCE_METADATA_HOST/GCE_METADATA_IP are not set in the function environment (GCE_METADATA_IP wins ' +
          'over GCE_METADATA_HOST). Off Google Cloud, point GCE_METADATA_HOST at a running metadata server or emulator.',
        details: { host: new URL(baseUrl).host, timeoutMs, networkCode, overrides },
        cause: error,
      },
    );
  }

  const flavor = flavorMismatch(error);
  if (flavor !== undefined) {
    const received = flavor.received === null ? 'no Metadata-Flavor header' : `Metadata-Flavor: ${JSON.stringify(flavor.received)}`;
    return new MetadataBadResponse(
      `The server at ${baseUrl} is not a Google metadata server: it answered with ${received} instead of ` +
        `"Metadata-Flavor: Google"; ${overrideText}.`,
      {
        baseUrl,
        hint:
          'A proxy or a wrong GCE_METADATA_HOST/GCE_METADATA_IP is answering instead of the metadata server: unset the ' +
          'variable on Google Cloud, or point it at a server that answers with the header "Metadata-Flavor: Google".',
        details: { receivedMetadataFlavor: flavor.received, overrides },
        cause: error,
      },
    );
  }

  const http = httpFailure(error);
  if (http !== undefined) {
    const email = await lookupEmail(metadata, Math.min(EMAIL_LOOKUP_TIMEOUT_MS, timeoutMs));
    const account = email ?? '(unknown: the e-mail lookup failed too)';
    return new IdentityTokenFailed(
      `The metadata server at ${baseUrl} answered HTTP ${http.status} for an identity token (audience ${audience}) ` +
        `of service account ${account}: ${http.body === '' ? '(empty body)' : JSON.stringify(http.body)}`,
      {
        httpStatus: http.status,
        serviceAccountEmail: email,
        hint: httpHint(http.status, email),
        details: { baseUrl, audience, bodySnippet: http.body, elapsedMs, overrides },
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function httpHint(status: number, email: string | undefined): string {
  const account = email ?? 'the runtime service account';
  if (status === 404) {
    return 'This runtime has no service account that can mint ID tokens: deploy the function with ' +
      '--service-account=<account e-mail> (a user-managed service account).';
  }
  if (status === 400) return 'The metadata server rejected the request: the audience must be a non-empty string such as sts.amazonaws.com.';
  if (status >= 500) {
    return `The metadata server could not mint an ID token for ${account} (gcp-metadata already retried 3 times). ` +
      `Check that the account exists and is enabled (gcloud iam service-accounts describe ${account}); if it is, retry the run later.`;
  }
  return `The metadata server refused the identity request for ${account}; check the function's service-account settings.`;
}

async function lookupEmail(metadata: MetadataClient, timeoutMs: number): Promise<string | undefined> {
  try {
    const email = await withDeadline(metadata.instance(EMAIL_PROPERTY), timeoutMs);
    return typeof email === 'string' && email.includes('@') ? email : undefined;
  } catch {
    return undefined;
  }
}

function toIdentityToken(raw: unknown, audience: string, baseUrl: string): IdentityToken {
  const bad = (message: string, cause?: unknown): MetadataBadResponse =>
    new MetadataBadResponse(`The metadata server at ${baseUrl} ${message}`, {
      baseUrl,
      hint: 'Check that GCE_METADATA_HOST/GCE_METADATA_IP (if set) point at a real metadata server.',
      details: { audience },
      cause,
    });
  if (typeof raw !== 'string') throw bad(`answered the identity request with a ${typeof raw} instead of a JWT.`);
  let claims;
  try {
    claims = decodeClaims(raw.trim());
  } catch (error) {
    throw bad(`answered the identity request with something that is not a JWT (${error instanceof TransferError ? String(error.details.reason) : 'undecodable'}).`, error);
  }
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (!audiences.includes(audience)) {
    throw bad(`returned a token for audience ${audienceText(claims.aud) ?? '(none)'} instead of ${audience}.`);
  }
  if (claims.exp === undefined) throw bad('returned a token without an exp claim.');
  return new IdentityToken(raw.trim(), audience, claims, new Date(claims.exp * 1000));
}

/** Our deadline or an abort won the race. */
class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/**
 * Races `work` against a timer (and `signal`). `work` keeps running in the background after losing — gcp-metadata
 * offers no way to cancel it — but its late rejection is handled by the race and goes nowhere.
 */
async function withDeadline<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${timeoutMs} ms`)), timeoutMs);
    if (signal !== undefined) {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** A network-level failure code when the request got no HTTP answer (looks one `cause` deep). */
function noAnswerCode(error: unknown): string | undefined {
  if (field(error, 'response') !== undefined) return undefined;
  for (const candidate of [error, field(error, 'cause')]) {
    for (const key of ['code', 'name']) {
      const value = field(candidate, key);
      if (typeof value === 'string' && NO_ANSWER_CODES.has(value)) return value;
    }
  }
  return undefined;
}

/** gcp-metadata's header check: `RangeError("… Expected 'Google', got 'X'")` or `"… got no header"`. */
function flavorMismatch(error: unknown): { received: string | null } | undefined {
  if (!(error instanceof RangeError) || !error.message.includes('Metadata-Flavor')) return undefined;
  const match = /got (?:'(.*)'|no header)\s*$/.exec(error.message);
  const received = match?.[1];
  return { received: received === undefined ? null : safeSnippet(received, 100) };
}

/** An HTTP error answer from gaxios: status and a short, redacted body. */
function httpFailure(error: unknown): { status: number; body: string } | undefined {
  const response = field(error, 'response');
  const status = field(response, 'status');
  if (typeof status !== 'number') return undefined;
  const data = field(response, 'data');
  const body = typeof data === 'string' ? data : data === undefined ? '' : JSON.stringify(data);
  return { status, body: safeSnippet(body ?? '') };
}
