/**
 * STS AssumeRoleWithWebIdentity errors → our errors (DESIGN §3; public-reports F1). Messages and hints are ours;
 * AWS's own message is kept only in `details.aws.message`, shortened and with anything JWT-shaped masked.
 *
 * SDK names (client-sts 3.1178): `AccessDenied` (not modelled, so the wire code is the name),
 * `InvalidIdentityTokenException` (code `InvalidIdentityToken`), `ExpiredTokenException`,
 * `IDPCommunicationErrorException` (code `IDPCommunicationError`), `IDPRejectedClaimException`,
 * `RegionDisabledException`, `ValidationError`, `MalformedPolicyDocumentException`, `PackedPolicyTooLargeException`.
 */
import { claimsForDiagnostics, type TokenClaims } from '../identity/claims.ts';
import { safeSnippet } from '../redact.ts';
import { classifyAwsError } from './classify.ts';
import { diagnoseTrust } from './diagnose.ts';
import { AssumeRoleDenied, AssumeRoleFailed } from './errors.ts';

export interface StsCallContext {
  roleArn: string;
  region: string;
  sessionName: string;
  durationSeconds: number;
  /** Claims of the token that was sent. */
  claims: Readonly<TokenClaims>;
  nowMs: number;
  /** Provider-level attempts made (each with its own SDK retries). */
  attempts: number;
  requestTimeoutMs: number;
}

/** The AWS error's code, normalised to the wire name (`InvalidIdentityTokenException` → `InvalidIdentityToken`). */
export function stsErrorCode(error: unknown): string {
  const code = field(error, 'Code');
  const name = typeof code === 'string' && code !== '' ? code : field(error, 'name');
  if (typeof name !== 'string' || name === '') return 'Unknown';
  if (name === 'InvalidIdentityTokenException') return 'InvalidIdentityToken';
  if (name === 'IDPCommunicationErrorException') return 'IDPCommunicationError';
  if (name === 'IDPRejectedClaimException') return 'IDPRejectedClaim';
  return name;
}

/** Builds the error for a failed AssumeRoleWithWebIdentity call. Pure. */
export function mapStsError(error: unknown, context: StsCallContext): AssumeRoleDenied | AssumeRoleFailed {
  const code = stsErrorCode(error);
  const { roleArn, region, sessionName, durationSeconds } = context;
  const aws = {
    name: code,
    httpStatus: field(field(error, '$metadata'), 'httpStatusCode'),
    requestId: field(field(error, '$metadata'), 'requestId'),
    message: typeof field(error, 'message') === 'string' ? safeSnippet(field(error, 'message') as string, 300) : undefined,
  };
  const base = { roleArn, region, sessionName, durationSeconds, attempts: context.attempts, aws };

  if (code === 'AccessDenied' || code === 'InvalidIdentityToken' || code === 'IDPRejectedClaim') {
    const diagnosis = diagnoseTrust(context.claims, context.nowMs);
    const claims = claimsForDiagnostics(context.claims);
    const c = diagnosis.conditions;
    const show = (value: string | number | undefined): string => (value === undefined ? '(missing)' : String(value));
    const why = code === 'AccessDenied'
      ? "refused AssumeRoleWithWebIdentity (AccessDenied): the role's trust policy does not accept this Google token, or the role does not exist"
      : `rejected the Google token (${code})`;
    const message =
      `AWS STS ${why}, for role ${roleArn}. Token claims (decoded, unverified): iss=${show(claims.iss)}, aud=${show(claims.aud)}, ` +
      `azp=${show(claims.azp)}, sub=${show(claims.sub)}, exp=${show(claims.expIso)}. A trust policy that accepts it allows ` +
      `Federated "accounts.google.com" with accounts.google.com:oaud = ${show(c['accounts.google.com:oaud'])}, ` +
      `accounts.google.com:aud = ${show(c['accounts.google.com:aud'])}, accounts.google.com:sub = ${show(c['accounts.google.com:sub'])}.` +
      (diagnosis.notes.length > 0 ? ` ${diagnosis.notes.join(' ')}` : '');
    const hint =
      `Check that ${roleArn} exists, then set its trust policy to details.matchingTrustPolicyStatement. ` +
      'accounts.google.com:aud is compared with the token\'s azp (the service account\'s numeric unique id), so ' +
      'sts.amazonaws.com there can never match: it belongs in accounts.google.com:oaud.';
    const details = {
      ...base,
      claims,
      expectedConditions: c,
      matchingTrustPolicyStatement: diagnosis.statement,
      notes: diagnosis.notes,
    };
    if (code === 'AccessDenied') return new AssumeRoleDenied(message, { roleArn, awsErrorName: code, hint, details, cause: error });
    return new AssumeRoleFailed(message, { roleArn, awsErrorName: code, transient: false, hint, details, cause: error });
  }

  if (code === 'ExpiredTokenException') {
    const claims = claimsForDiagnostics(context.claims);
    return new AssumeRoleFailed(
      `AWS STS said the Google token for role ${roleArn} had expired, even after a fresh token was fetched (token exp ${claims.expIso ?? '(missing)'}).`,
      {
        roleArn, awsErrorName: code, transient: false,
        hint: 'Check the clock of the machine running the transfer and that the metadata server hands out fresh tokens (exp = iat + 3600).',
        details: { ...base, claims },
        cause: error,
      },
    );
  }
  if (code === 'IDPCommunicationError') {
    return new AssumeRoleFailed(
      `AWS STS could not reach Google to verify the token for role ${roleArn} (IDPCommunicationError) after ${context.attempts} attempts.`,
      {
        roleArn, awsErrorName: code, transient: true,
        hint: 'This is a transient failure between AWS and Google: retry the run later.',
        details: base,
        cause: error,
      },
    );
  }
  if (code === 'ValidationError') {
    const durationHint = durationSeconds > 3600
      ? ` DurationSeconds ${durationSeconds} is above the 1-hour default MaxSessionDuration: raise the role's maximum ` +
        `(aws iam update-role --role-name <name> --max-session-duration ${durationSeconds}) or lower the configured duration.`
      : '';
    return new AssumeRoleFailed(
      `AWS STS rejected the AssumeRoleWithWebIdentity parameters for role ${roleArn} (ValidationError: ${aws.message ?? 'no message'}).`,
      {
        roleArn, awsErrorName: code, transient: false,
        hint: `DurationSeconds must be 900-43200 and at most the role's MaxSessionDuration; RoleSessionName 2-64 characters of [\\w+=,.@-].${durationHint}`,
        details: base,
        cause: error,
      },
    );
  }
  if (code === 'RegionDisabledException') {
    return new AssumeRoleFailed(`AWS STS is not activated in region ${region} for the account of role ${roleArn} (RegionDisabledException).`, {
      roleArn, awsErrorName: code, transient: false,
      hint: `Activate STS in ${region} (IAM console > Account settings > Security Token Service (STS) > Endpoints), or set aws.region to a region where it is active.`,
      details: base,
      cause: error,
    });
  }
  const transient = classifyAwsError(error) === 'transient';
  const timedOut = code === 'TimeoutError';
  return new AssumeRoleFailed(
    timedOut
      ? `AWS STS did not answer AssumeRoleWithWebIdentity for role ${roleArn} within ${context.requestTimeoutMs} ms per attempt.`
      : `AWS STS AssumeRoleWithWebIdentity failed for role ${roleArn} (${code}).`,
    {
      roleArn, awsErrorName: code, transient,
      hint: transient
        ? `A transient failure reaching STS in ${region}: retry the run later; if it persists, check outbound network access to sts.${region}.amazonaws.com.`
        : 'See details.aws for what AWS said; check the role ARN, the region and the role\'s trust policy.',
      details: base,
      cause: error,
    },
  );
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
