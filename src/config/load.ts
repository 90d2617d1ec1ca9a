/**
 * Where the config comes from: `gs://bucket/object.yaml` (CONFIG_URI in production) or a local path.
 * Reading is injected; this module decides what each read failure means and what the fix is, from the
 * status, reason and errno only, never from the SDK's message text (it can name accounts, and GCS/gaxios
 * errors carry request headers).
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { TransferError } from '../errors.ts';
import { decodeConfigBytes, gcsConfigReader } from './gcs.ts';
import { MAX_CONFIG_BYTES, parseConfig } from './parse.ts';
import type { TransferConfig } from './types.ts';

/** The two reads `loadConfig` needs; tests pass fakes, production uses {@link defaultConfigReaders}. */
export interface ConfigReaders {
  /** The object's text; throws the storage client's error (with `code` = HTTP status) on failure. */
  readGcsObject(bucket: string, object: string): Promise<string>;
  /** The file's text; throws Node's fs error (with `code` = errno name) on failure. */
  readFile(path: string): Promise<string>;
}

export type ConfigLocation =
  | { kind: 'gcs'; uri: string; bucket: string; object: string }
  | { kind: 'file'; uri: string; path: string };

/** Bucket names: 3–222 of a-z 0-9 . _ -, starting and ending with a letter or digit (GCS naming rules). */
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

const URI_HINT = 'Set CONFIG_URI to gs://BUCKET/config.yaml or to a file path.';

function notFound(message: string, hint: string, details: Record<string, unknown>): TransferError {
  return new TransferError('CONFIG_NOT_FOUND', message, { status: 500, hint, details });
}

/** Splits a config URI; `file://` URLs and plain paths are files. */
export function parseConfigUri(uri: string): ConfigLocation {
  const trimmed = uri.trim();
  if (trimmed === '') throw notFound('No config location was given', URI_HINT, {});
  if (trimmed.startsWith('gs://')) {
    const rest = trimmed.slice('gs://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const object = slash < 0 ? '' : rest.slice(slash + 1);
    if (!GCS_BUCKET.test(bucket)) {
      throw notFound(`Config URI ${JSON.stringify(trimmed)} has an invalid bucket name`, `${URI_HINT} Bucket names use a-z, 0-9, ".", "_" and "-".`, { source: trimmed });
    }
    if (object === '' || object.endsWith('/')) {
      throw notFound(`Config URI ${JSON.stringify(trimmed)} names no object`, `Name the YAML object, e.g. gs://${bucket}/config.yaml.`, { source: trimmed });
    }
    return { kind: 'gcs', uri: trimmed, bucket, object };
  }
  if (trimmed.startsWith('file://')) {
    try {
      return { kind: 'file', uri: trimmed, path: fileURLToPath(trimmed) };
    } catch {
      throw notFound(`Config URI ${JSON.stringify(trimmed)} is not a valid file URL`, URI_HINT, { source: trimmed });
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
  if (scheme) {
    throw notFound(`Config URI scheme ${scheme[1]}:// is not supported`, `${URI_HINT} (copy the file to GCS with: gcloud storage cp config.yaml gs://BUCKET/config.yaml)`, { source: trimmed });
  }
  return { kind: 'file', uri: trimmed, path: trimmed };
}

/**
 * Reads and parses the config at `uri`.
 * @throws TransferError CONFIG_NOT_FOUND (missing, no permission, bad URI), GCS_ERROR (GCS unreachable or
 *   failing), or ConfigInvalid (CONFIG_INVALID) listing every problem in the file
 */
export async function loadConfig(uri: string, deps: ConfigReaders = defaultConfigReaders()): Promise<TransferConfig> {
  const location = parseConfigUri(uri);
  let text: string;
  try {
    text = location.kind === 'gcs' ? await deps.readGcsObject(location.bucket, location.object) : await deps.readFile(location.path);
  } catch (error) {
    throw readFailure(location, error);
  }
  return parseConfig(text, location.uri);
}

// --- failures ---------------------------------------------------------------------------------------

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** HTTP status of a storage error: ApiError `code`, or gaxios `status` / `response.status`. */
function httpStatus(error: unknown): number | undefined {
  for (const candidate of [field(error, 'code'), field(error, 'status'), field(field(error, 'response'), 'status')]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}

/** GCS's machine reason (`notFound`, `forbidden`…); only a plain word is trusted into details. */
function gcsReason(error: unknown): string | undefined {
  const errors = field(error, 'errors');
  const reason = Array.isArray(errors) ? field(errors[0], 'reason') : undefined;
  return typeof reason === 'string' && /^[A-Za-z]{1,64}$/.test(reason) ? reason : undefined;
}

/** Node's errno name (`ENOENT`, `ECONNRESET`…). */
function errnoName(error: unknown): string | undefined {
  const code = field(error, 'code');
  return typeof code === 'string' && /^E[A-Z0-9_]{1,30}$/.test(code) ? code : undefined;
}

const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH']);

/** A read failure → a typed error with a fix. Exported for tests. */
export function readFailure(location: ConfigLocation, error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  return location.kind === 'gcs' ? gcsFailure(location, error) : fileFailure(location, error);
}

function gcsFailure(location: Extract<ConfigLocation, { kind: 'gcs' }>, error: unknown): TransferError {
  const { uri, bucket } = location;
  const status = httpStatus(error);
  const reason = gcsReason(error);
  const errno = status === undefined ? errnoName(error) : undefined;
  const details: Record<string, unknown> = { source: uri };
  if (status !== undefined) details['status'] = status;
  if (reason !== undefined) details['reason'] = reason;
  if (errno !== undefined) details['errno'] = errno;
  const tag = [status ?? errno, reason].filter((x) => x !== undefined).join(' ');

  if (status === 404) {
    return notFound(`Config object ${uri} does not exist`, `Upload it with: gcloud storage cp config.yaml ${uri} (or gsutil cp config.yaml ${uri}); or check CONFIG_URI.`, details);
  }
  if (status === 403) {
    return notFound(
      `Permission denied reading config ${uri} (GCS ${tag})`,
      `Grant the function's service account roles/storage.objectViewer on the bucket: gcloud storage buckets add-iam-policy-binding gs://${bucket} --member=serviceAccount:SA_EMAIL --role=roles/storage.objectViewer. GCS also answers 403 for a missing object when the account may not list the bucket, so check CONFIG_URI too.`,
      details,
    );
  }
  if (status === 401) {
    return new TransferError('GCS_ERROR', `GCS rejected the credentials used to read ${uri} (${tag})`, {
      status: 500,
      hint: 'On Cloud Functions the runtime service account is used; locally run gcloud auth application-default login.',
      details,
    });
  }
  if (status === 408 || status === 429 || (status !== undefined && status >= 500) || (errno !== undefined && NETWORK_ERRNOS.has(errno))) {
    return new TransferError('GCS_ERROR', `GCS could not serve config ${uri} right now (${tag})`, {
      status: 503,
      hint: 'This is usually transient: retry the request. If it persists, check GCS status and the function\'s network egress.',
      details,
    });
  }
  return new TransferError('GCS_ERROR', `Could not read config ${uri}${tag === '' ? '' : ` (${tag})`}`, {
    status: 500,
    hint: 'Check CONFIG_URI and that the object is readable: gcloud storage cat ' + uri,
    details,
  });
}

function fileFailure(location: Extract<ConfigLocation, { kind: 'file' }>, error: unknown): TransferError {
  const { uri, path } = location;
  const errno = errnoName(error);
  const details: Record<string, unknown> = { source: uri };
  if (errno !== undefined) details['errno'] = errno;
  switch (errno) {
    case 'ENOENT':
    case 'ENOTDIR':
      return notFound(`Config file ${path} does not exist`, `Check CONFIG_URI (a path is relative to the working directory), or create the file from config.example.yaml. ${URI_HINT}`, details);
    case 'EACCES':
    case 'EPERM':
      return notFound(`Permission denied reading config file ${path}`, 'Make the file readable by the user the function runs as (e.g. chmod a+r).', details);
    case 'EISDIR':
      return notFound(`Config path ${path} is a directory`, `Point CONFIG_URI at the YAML file, e.g. ${path.replace(/\/+$/, '')}/config.yaml.`, details);
    default:
      return notFound(`Could not read config file ${path}${errno === undefined ? '' : ` (${errno})`}`, `Check the file and CONFIG_URI. ${URI_HINT}`, details);
  }
}

// --- production readers -----------------------------------------------------------------------------

/**
 * Real readers: node:fs for paths, @google-cloud/storage (Application Default Credentials) for gs://,
 * created on first use so a path-only run never loads the storage client.
 */
export function defaultConfigReaders(): ConfigReaders {
  let gcs: ((bucket: string, object: string) => Promise<string>) | undefined;
  return {
    async readGcsObject(bucket, object) {
      if (gcs === undefined) {
        const { Storage } = await import('@google-cloud/storage');
        gcs = gcsConfigReader(new Storage());
      }
      return gcs(bucket, object);
    },
    async readFile(path) {
      const info = await stat(path);
      if (info.isFile() && info.size > MAX_CONFIG_BYTES) {
        throw new TransferError('CONFIG_INVALID', `Config file ${path} is ${info.size} bytes; a config is at most ${MAX_CONFIG_BYTES}`, {
          status: 500,
          hint: 'Check that CONFIG_URI points at the config YAML and not at a data file.',
          details: { source: path },
        });
      }
      return decodeConfigBytes(await readFile(path), path);
    },
  };
}
