/**
 * AWS session credentials as a domain type (STYLE 3): the STS wire shape `Credentials {AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration}` passes a guard and becomes `AwsCredentials`. The class keeps the
 * field names the AWS SDK reads, and masks the secrets in `JSON.stringify`, `String` and `util.inspect` (STYLE 13).
 */
import { inspect } from 'node:util';
import { REDACTED } from '../redact.ts';

export class AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** `AssumedRoleUser.Arn`, for reports (`arn:aws:sts::<account>:assumed-role/<role>/<session>`). */
  readonly assumedRoleArn: string | undefined;

  constructor(fields: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date; assumedRoleArn?: string | undefined }) {
    this.accessKeyId = fields.accessKeyId;
    this.secretAccessKey = fields.secretAccessKey;
    this.sessionToken = fields.sessionToken;
    this.expiration = fields.expiration;
    this.assumedRoleArn = fields.assumedRoleArn;
  }

  toString(): string {
    return `AwsCredentials ${this.accessKeyId} ${REDACTED}`;
  }

  toJSON(): Record<string, string | undefined> {
    return {
      accessKeyId: this.accessKeyId,
      secretAccessKey: REDACTED,
      sessionToken: REDACTED,
      expiration: this.expiration.toISOString(),
      assumedRoleArn: this.assumedRoleArn,
    };
  }

  [inspect.custom](): string {
    return `AwsCredentials ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * Guard + mapper for an AssumeRoleWithWebIdentity answer. Returns `undefined` when the credentials are missing
 * or malformed (the caller turns that into an error naming the role).
 */
export function credentialsFromSts(output: unknown): AwsCredentials | undefined {
  const credentials = field(output, 'Credentials');
  const accessKeyId = field(credentials, 'AccessKeyId');
  const secretAccessKey = field(credentials, 'SecretAccessKey');
  const sessionToken = field(credentials, 'SessionToken');
  const rawExpiration = field(credentials, 'Expiration');
  const expiration = rawExpiration instanceof Date
    ? rawExpiration
    : typeof rawExpiration === 'string' || typeof rawExpiration === 'number' ? new Date(rawExpiration) : undefined;
  if (
    !nonEmpty(accessKeyId) || !nonEmpty(secretAccessKey) || !nonEmpty(sessionToken) ||
    expiration === undefined || Number.isNaN(expiration.getTime())
  ) {
    return undefined;
  }
  const assumedRoleArn = field(field(output, 'AssumedRoleUser'), 'Arn');
  return new AwsCredentials({
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration,
    assumedRoleArn: typeof assumedRoleArn === 'string' ? assumedRoleArn : undefined,
  });
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
