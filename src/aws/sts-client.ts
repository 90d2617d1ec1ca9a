/**
 * The STS client for AssumeRoleWithWebIdentity. The call is unsigned: client-sts 3.1178 lists
 * `smithy.api#noAuth` first for this operation, so the SDK neither signs nor resolves credentials (checked: no
 * Authorization header, a credentials provider that throws is never called, and no lookup in the environment).
 * We still pass a provider that throws with a clear message, so a future SDK change fails loudly instead of
 * quietly picking up whatever credentials the environment holds.
 */
import { STSClient, type AssumeRoleWithWebIdentityCommand, type AssumeRoleWithWebIdentityCommandOutput } from '@aws-sdk/client-sts';
import { TransferError } from '../errors.ts';

export interface StsClientConfig {
  region: string;
  /** Per-attempt request timeout. */
  requestTimeoutMs: number;
  /** SDK attempts (standard retry mode: throttling, 5xx, timeouts and `IDPCommunicationError`). */
  maxAttempts: number;
  /** Override endpoint (moto in integration tests); default: the regional endpoint. */
  endpoint?: string | undefined;
}

/** The one method of the STS client we use. */
export interface StsSender {
  send(command: AssumeRoleWithWebIdentityCommand): Promise<AssumeRoleWithWebIdentityCommandOutput>;
}

/** Production STS client factory. */
export function createStsClient(config: StsClientConfig): StsSender {
  return new STSClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    // @smithy/node-http-handler 4.x only *warns* when requestTimeout passes unless throwOnRequestTimeout is set
    // (dist-cjs/index.js setRequestTimeout); without it a stuck STS call would wait forever.
    requestHandler: {
      requestTimeout: config.requestTimeoutMs,
      connectionTimeout: Math.min(5_000, config.requestTimeoutMs),
      throwOnRequestTimeout: true,
    },
    credentials: unsignedOperation,
  });
}

async function unsignedOperation(): Promise<never> {
  throw new TransferError('INTERNAL', 'The AWS SDK asked for credentials to sign AssumeRoleWithWebIdentity, which must be sent unsigned', {
    hint: 'An @aws-sdk/client-sts upgrade changed how AssumeRoleWithWebIdentity is authenticated: report this as a bug.',
  });
}
