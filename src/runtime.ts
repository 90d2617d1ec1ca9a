import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { BigQuery } from '@google-cloud/bigquery';
import { Storage } from '@google-cloud/storage';
import { roleSessionName, webIdentityCredentials, type WebIdentityProvider } from './aws/index.ts';
import { defaultConfigReaders, gcsConfigReader, loadConfig, type JobConfig, type TransferConfig } from './config/index.ts';
import { createHandler, type HttpRequest, type HttpResponse } from './handler.ts';
import { createIdentityTokenCache, readMetadataEnv } from './identity/index.ts';
import { createLogger, type Logger, type Severity } from './log.ts';
import { runJob, type JobDeps } from './transfer.ts';

/** Everything the function reads from its environment, parsed once at the edge (STYLE 4). */
export interface RuntimeOptions {
  configUri: string;
  budgetMs: number;
  logLevel: Severity;
  /** Emulator/endpoint overrides; unset in production. */
  endpoints: { sts?: string; athena?: string; s3?: string; bigquery?: string; storage?: string };
  metadataEnv: Readonly<Record<string, string | undefined>>;
}

const AUDIENCE = 'sts.amazonaws.com';

export function parseOptions(env: Readonly<Record<string, string | undefined>> = process.env): RuntimeOptions {
  const budgetSeconds = Number(env.RUN_BUDGET_SECONDS ?? 3300);
  const level = (env.LOG_LEVEL ?? 'INFO').toUpperCase();
  const endpoints: RuntimeOptions['endpoints'] = {};
  const pick = (key: keyof RuntimeOptions['endpoints'], value: string | undefined): void => {
    if (value) endpoints[key] = value;
  };
  // AWS_ENDPOINT_URL_<SERVICE> are the AWS SDKs' own service-specific endpoint variables.
  pick('sts', env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL);
  pick('athena', env.AWS_ENDPOINT_URL_ATHENA ?? env.AWS_ENDPOINT_URL);
  pick('s3', env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  pick('bigquery', env.BIGQUERY_API_ENDPOINT);
  pick('storage', env.STORAGE_API_ENDPOINT);
  return {
    configUri: env.CONFIG_URI ?? 'config.yaml',
    budgetMs: Number.isFinite(budgetSeconds) && budgetSeconds > 0 ? budgetSeconds * 1000 : 3300 * 1000,
    logLevel: (['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const).find((s) => s === level) ?? 'INFO',
    endpoints,
    metadataEnv: env,
  };
}

/** Per-call timeouts for AWS clients: a hung connection must never hold the function until its own timeout. */
const AWS_REQUEST_HANDLER = { requestTimeout: 30_000, connectionTimeout: 5_000, throwOnRequestTimeout: true };
/**
 * S3 result-file reads: requestTimeout bounds the wait for the response headers only (@smithy/node-http-handler
 * clears it once they arrive), so the body also gets a socket idle timeout; a stream that breaks on it is
 * resumed with a ranged GetObject (athena/s3-result.ts), which also covers long backpressure pauses.
 */
const S3_REQUEST_HANDLER = { ...AWS_REQUEST_HANDLER, socketTimeout: 60_000 };

/**
 * Builds the production dependencies. Clients and credential providers are memoized per process, so a
 * warm Cloud Functions instance reuses connections, the Google token and the STS session.
 */
export function createRuntime(options: RuntimeOptions, log: Logger = createLogger({ minSeverity: options.logLevel })): {
  jobDeps: JobDeps;
  loadConfig: () => Promise<TransferConfig>;
  handler: (req: HttpRequest, res: HttpResponse) => Promise<void>;
} {
  const tokens = createIdentityTokenCache({ env: readMetadataEnv(options.metadataEnv) });
  const providers = new Map<string, WebIdentityProvider>();
  const bigqueries = new Map<string, BigQuery>();
  let storage: Storage | undefined;
  // One Storage client for the config reader and staging (it skips auth for a custom apiEndpoint).
  const gcs = (): Storage => (storage ??= new Storage(options.endpoints.storage ? { apiEndpoint: options.endpoints.storage } : {}));

  const jobDeps: JobDeps = {
    log,
    credentials: (job: JobConfig) => {
      const key = `${job.aws.roleArn}|${job.aws.region}|${job.aws.sessionDurationSeconds}`;
      let provider = providers.get(key);
      if (!provider) {
        provider = webIdentityCredentials({
          roleArn: job.aws.roleArn,
          region: job.aws.region,
          sessionName: roleSessionName(job.name),
          durationSeconds: job.aws.sessionDurationSeconds,
          getToken: ({ forceRefresh }) => tokens.getToken(AUDIENCE, { forceRefresh }),
          ...(options.endpoints.sts ? { endpoint: options.endpoints.sts } : {}),
        });
        providers.set(key, provider);
      }
      return provider;
    },
    athena: (job, credentials) =>
      new AthenaClient({
        region: job.aws.region,
        credentials,
        maxAttempts: 5,
        requestHandler: AWS_REQUEST_HANDLER,
        ...(options.endpoints.athena ? { endpoint: options.endpoints.athena } : {}),
      }),
    s3: (job, credentials) =>
      new S3Client({
        region: job.aws.region,
        credentials,
        maxAttempts: 5,
        requestHandler: S3_REQUEST_HANDLER,
        // A result bucket in another region than the workgroup answers 301; follow it instead of failing.
        followRegionRedirects: true,
        // An endpoint override (emulator, VPC endpoint by IP) has no per-bucket DNS names: path-style URLs.
        ...(options.endpoints.s3 ? { endpoint: options.endpoints.s3, forcePathStyle: true } : {}),
      }),
    storage: () => gcs(),
    bigquery: (job) => {
      const key = `${job.bigquery.projectId}|${job.bigquery.location ?? ''}`;
      let client = bigqueries.get(key);
      if (!client) {
        client = new BigQuery({
          projectId: job.bigquery.projectId,
          ...(job.bigquery.location ? { location: job.bigquery.location } : {}),
          ...(options.endpoints.bigquery ? { apiEndpoint: options.endpoints.bigquery } : {}),
        });
        bigqueries.set(key, client);
      }
      return client;
    },
  };

  const readers = defaultConfigReaders();
  const load = (): Promise<TransferConfig> =>
    loadConfig(options.configUri, {
      ...readers,
      readGcsObject: (bucket, object) => gcsConfigReader(gcs())(bucket, object),
    });

  const handler = createHandler({
    loadConfig: load,
    runJob: (job, context) => runJob(job, context, jobDeps),
    budgetMs: options.budgetMs,
    log,
  });
  return { jobDeps, loadConfig: load, handler };
}
