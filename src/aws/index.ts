/** AWS access from the Google identity: web-identity credentials, role ARNs, session names, error classification. */
export { webIdentityCredentials, CREDENTIALS_REFRESH_MARGIN_MS, DEFAULT_STS_REQUEST_TIMEOUT_MS, DEFAULT_DURATION_SECONDS } from './web-identity.ts';
export type { WebIdentityOptions, WebIdentityProvider } from './web-identity.ts';
export { AwsCredentials, credentialsFromSts } from './credentials.ts';
export { createStsClient } from './sts-client.ts';
export type { StsClientConfig, StsSender } from './sts-client.ts';
export { roleArn } from './arn.ts';
export { roleSessionName, ROLE_SESSION_NAME } from './session-name.ts';
export { classifyAwsError } from './classify.ts';
export type { ErrorClass } from './classify.ts';
export { diagnoseTrust, STS_AUDIENCE, GOOGLE_ISSUER } from './diagnose.ts';
export type { TrustDiagnosis } from './diagnose.ts';
export { mapStsError, stsErrorCode } from './sts-errors.ts';
export type { StsCallContext } from './sts-errors.ts';
export { AssumeRoleDenied, AssumeRoleFailed } from './errors.ts';
