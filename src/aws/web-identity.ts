/**
 * AWS credentials from the Google identity, as a memoized provider for AWS SDK v3 clients (STYLE 5; DESIGN §3).
 *
 * Every refresh fetches a fresh Google token through `getToken()`: `fromWebToken` with a fixed token string
 * replays a token that expires after an hour, and runs longer than that fail with ExpiredTokenException
 * (public-reports F2; aws-sdk-js-v3 #5270).
 */
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { TransferError } from '../errors.ts';
import type { IdentityToken } from '../identity/token.ts';
import { AwsCredentials, credentialsFromSts } from './credentials.ts';
import { AssumeRoleFailed } from './errors.ts';
import { ROLE_SESSION_NAME } from './session-name.ts';
import { createStsClient, type StsClientConfig, type StsSender } from './sts-client.ts';
import { mapStsError, stsErrorCode } from './sts-errors.ts';

/** Same margin as the SDK's own credential refresh: 5 minutes before `expiration`. */
export const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60 * 1000;
export const DEFAULT_STS_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_DURATION_SECONDS = 3600;

export interface WebIdentityOptions {
  /** `arn:aws:iam::<account>:role/<name>` (see `roleArn`). */
  roleArn: string;
  region: string;
  /** 2–64 characters of `[\w+=,.@-]` (see `roleSessionName`). */
  sessionName: string;
  /** 900–43200 and at most the role's MaxSessionDuration. Default 3600. */
  durationSeconds?: number;
  /**
   * A Google ID token with audience `sts.amazonaws.com`, called on EVERY refresh; `forceRefresh` asks to bypass a
   * cache (STS said the token expired).
   */
  getToken: (options: { forceRefresh: boolean }) => Promise<IdentityToken>;
  /** Default: `createStsClient` (a real STSClient). Called once, on the first refresh. */
  stsClientFactory?: (config: StsClientConfig) => StsSender;
  /** STS endpoint override (moto). */
  endpoint?: string;
  /** Per-attempt STS request timeout. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** SDK attempts per call (standard retry). Default 3. */
  maxAttempts?: number;
  /** Extra provider-level retries, with backoff, after `IDPCommunicationError` survives the SDK's retries. Default 2. */
  idpRetries?: number;
  /** Base backoff for those retries. Default 1000 ms, doubled each time, jittered to 50–100 %. */
  idpBackoffMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Default 5 minutes. */
  refreshMarginMs?: number;
}

/**
 * An `AwsCredentialIdentityProvider`-compatible function: memoized, refreshed `refreshMarginMs` before
 * `expiration` (or when called with `{ forceRefresh: true }`), one STS call in flight at a time.
 * Errors: `ASSUME_ROLE_DENIED` (trust policy, with the decoded claims and matching conditions) and
 * `ASSUME_ROLE_FAILED`; identity errors from `getToken` pass through.
 */
export type WebIdentityProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

export function webIdentityCredentials(options: WebIdentityOptions): WebIdentityProvider {
  const durationSeconds = options.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  validate(options.sessionName, durationSeconds);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const margin = options.refreshMarginMs ?? CREDENTIALS_REFRESH_MARGIN_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_STS_REQUEST_TIMEOUT_MS;
  const idpRetries = options.idpRetries ?? 2;
  const idpBackoffMs = options.idpBackoffMs ?? 1000;
  const clientConfig: StsClientConfig = {
    region: options.region,
    requestTimeoutMs,
    maxAttempts: options.maxAttempts ?? 3,
    endpoint: options.endpoint,
  };
  let client: StsSender | undefined;
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;

  const assume = async (): Promise<AwsCredentials> => {
    client ??= (options.stsClientFactory ?? createStsClient)(clientConfig);
    let forceRefresh = false;
    let expiredRetried = false;
    let idpAttempts = 0;
    for (let attempt = 1; ; attempt += 1) {
      const token = await options.getToken({ forceRefresh });
      forceRefresh = false;
      try {
        const output = await client.send(new AssumeRoleWithWebIdentityCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName,
          WebIdentityToken: token.reveal(),
          DurationSeconds: durationSeconds,
        }));
        const credentials = credentialsFromSts(output);
        if (credentials === undefined) {
          throw new AssumeRoleFailed(`AWS STS answered AssumeRoleWithWebIdentity for role ${options.roleArn} without complete credentials.`, {
            roleArn: options.roleArn, awsErrorName: 'MalformedResponse', transient: false,
            hint: 'Check that the STS endpoint is the real regional endpoint (or a faithful emulator).',
            details: { roleArn: options.roleArn, region: options.region, endpoint: options.endpoint },
          });
        }
        return credentials;
      } catch (error) {
        if (error instanceof TransferError) throw error;
        const code = stsErrorCode(error);
        // F2: the token expired between fetch and use (or a cache served a stale one): once more with a new one.
        if (code === 'ExpiredTokenException' && !expiredRetried) {
          expiredRetried = true;
          forceRefresh = true;
          continue;
        }
        // STS could not fetch Google's keys. The SDK already retried quickly ($retryable); wait longer here.
        if (code === 'IDPCommunicationError' && idpAttempts < idpRetries) {
          idpAttempts += 1;
          await sleep(Math.round(idpBackoffMs * 2 ** (idpAttempts - 1) * (0.5 + random() / 2)));
          continue;
        }
        throw mapStsError(error, {
          roleArn: options.roleArn,
          region: options.region,
          sessionName: options.sessionName,
          durationSeconds,
          claims: token.claims,
          nowMs: now(),
          attempts: attempt,
          requestTimeoutMs,
        });
      }
    }
  };

  return async (props = {}) => {
    if (!props.forceRefresh && current !== undefined && current.expiration.getTime() - now() > margin) return current;
    pending ??= assume().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current;
  };
}

function validate(sessionName: string, durationSeconds: number): void {
  if (!ROLE_SESSION_NAME.test(sessionName)) {
    throw new TransferError('CONFIG_INVALID', `RoleSessionName ${JSON.stringify(sessionName)} is not 2-64 characters of [\\w+=,.@-]`, {
      hint: 'Derive it with roleSessionName(runKey).',
      details: { sessionName },
    });
  }
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
    throw new TransferError('CONFIG_INVALID', `The AWS session duration must be a whole number of seconds from 900 to 43200, got ${durationSeconds}`, {
      hint: 'Use 3600 (the default role MaxSessionDuration) unless the role allows longer sessions.',
      details: { durationSeconds },
    });
  }
}
