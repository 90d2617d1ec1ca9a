/**
 * Failures of AssumeRoleWithWebIdentity (DESIGN §3; public-reports F1, F2). Details hold the decoded claims and
 * the role ARN — never the token — and a redacted, shortened copy of AWS's own message (STYLE 9, 13).
 */
import { TransferError } from '../errors.ts';

/** STS `AccessDenied`: the role's trust policy does not accept the token (or the role does not exist). */
export class AssumeRoleDenied extends TransferError {
  override name = 'AssumeRoleDenied';
  readonly roleArn: string;
  readonly awsErrorName: string;
  constructor(message: string, options: { roleArn: string; awsErrorName: string; hint: string; details: Record<string, unknown>; cause?: unknown }) {
    super('ASSUME_ROLE_DENIED', message, { status: 500, hint: options.hint, details: options.details, cause: options.cause });
    this.roleArn = options.roleArn;
    this.awsErrorName = options.awsErrorName;
  }
}

/** Any other AssumeRoleWithWebIdentity failure; `transient` says whether a later run may succeed as is. */
export class AssumeRoleFailed extends TransferError {
  override name = 'AssumeRoleFailed';
  readonly roleArn: string;
  readonly awsErrorName: string;
  readonly transient: boolean;
  constructor(message: string, options: { roleArn: string; awsErrorName: string; transient: boolean; hint: string; details: Record<string, unknown>; cause?: unknown }) {
    super('ASSUME_ROLE_FAILED', message, { status: 502, hint: options.hint, details: options.details, cause: options.cause });
    this.roleArn = options.roleArn;
    this.awsErrorName = options.awsErrorName;
    this.transient = options.transient;
  }
}
