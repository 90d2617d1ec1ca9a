/**
 * Official SDK clients pointed at a running stack, configured the way that was checked to work
 * (see scripts/stack/COMPATIBILITY.md).
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { BigQuery } from '@google-cloud/bigquery';
import { Storage } from '@google-cloud/storage';
import { OAuth2Client } from 'google-auth-library';
import type { Stack } from './stack.ts';

/** Static AWS credentials, as returned by STS (or any fixed pair: moto checks no signature). */
export interface AwsTestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * A fixed-token auth client. Without one, google-auth-library looks for Application Default
 * Credentials and probes the GCE metadata server before giving up (the BigQuery client, unlike Storage,
 * authenticates even with a custom `apiEndpoint`); the emulators ignore the bearer token.
 */
function emulatorAuth(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'emulator-token', expiry_date: Date.now() + 24 * 3600 * 1000 });
  return client;
}

/**
 * `@google-cloud/storage` against fake-gcs-server. `apiEndpoint` must carry `http://` (without a scheme
 * the client assumes https). `STORAGE_EMULATOR_HOST` must be unset in this process: when set, the client
 * uses it verbatim as base URL and ignores `apiEndpoint` (requests then miss `/storage/v1` and 404).
 */
export function storageClient(stack: Pick<Stack, 'gcsUrl' | 'projectId'>): Storage {
  return new Storage({ apiEndpoint: stack.gcsUrl, projectId: stack.projectId });
}

/**
 * `@google-cloud/bigquery` against bigquery-emulator: `apiEndpoint` with `http://` (the client adds
 * `https://` to a bare host), `projectId`, and no `BIGQUERY_EMULATOR_HOST` (used verbatim as base URL).
 */
export function bigQueryClient(stack: Pick<Stack, 'bigqueryUrl' | 'projectId'>): BigQuery {
  return new BigQuery({ apiEndpoint: stack.bigqueryUrl, projectId: stack.projectId, authClient: emulatorAuth() });
}

/** STS client for moto; AssumeRoleWithWebIdentity needs no credentials. */
export function stsClient(stack: Pick<Stack, 'motoUrl' | 'region'>, credentials?: AwsTestCredentials): STSClient {
  return new STSClient({ region: stack.region, endpoint: stack.motoUrl, ...(credentials ? { credentials } : {}) });
}

/** Athena client for moto; the credentials pick the moto account the calls land in. */
export function athenaClient(stack: Pick<Stack, 'motoUrl' | 'region'>, credentials: AwsTestCredentials): AthenaClient {
  return new AthenaClient({ region: stack.region, endpoint: stack.motoUrl, credentials });
}

/** S3 client for moto, path-style (`http://127.0.0.1:PORT/bucket/key`). */
export function s3Client(stack: Pick<Stack, 'motoUrl' | 'region'>, credentials: AwsTestCredentials): S3Client {
  return new S3Client({ region: stack.region, endpoint: stack.motoUrl, forcePathStyle: true, credentials });
}
