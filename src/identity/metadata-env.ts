/**
 * The environment variables that change where gcp-metadata goes and whether it thinks it is on Google Cloud.
 * gcp-metadata 9 reads them from `process.env` on every call (build/src/index.js `getBaseUrl`,
 * `isAvailable`); we receive their values through deps, only to report them when the metadata server fails
 * (public-reports F3) — nothing in `src/` reads `process.env` itself.
 */

/** Values of the metadata override variables in effect (unset = `undefined`). */
export interface MetadataEnv {
  /** Host[:port] or URL of the metadata server; gcp-metadata uses it when `GCE_METADATA_IP` is unset. */
  GCE_METADATA_HOST?: string | undefined;
  /** Takes precedence over `GCE_METADATA_HOST` in gcp-metadata's `getBaseUrl`. */
  GCE_METADATA_IP?: string | undefined;
  /** `assume-present` | `none` | `bios-only` | `ping-only`: only consulted by gcp-metadata's `isAvailable()`. */
  METADATA_SERVER_DETECTION?: string | undefined;
}

/** Picks the metadata variables out of an environment (call at the edge: `readMetadataEnv(process.env)`). */
export function readMetadataEnv(env: Readonly<Record<string, string | undefined>>): MetadataEnv {
  return {
    GCE_METADATA_HOST: env.GCE_METADATA_HOST,
    GCE_METADATA_IP: env.GCE_METADATA_IP,
    METADATA_SERVER_DETECTION: env.METADATA_SERVER_DETECTION,
  };
}

/** The variables that are set, for error details (unset ones are left out). */
export function metadataOverrides(env: MetadataEnv): Record<string, string> {
  const set: Record<string, string> = {};
  for (const key of ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'METADATA_SERVER_DETECTION'] as const) {
    const value = env[key];
    if (value !== undefined && value !== '') set[key] = value;
  }
  return set;
}

/**
 * The base URL gcp-metadata 9 requests, computed the way its `getBaseUrl` does: `GCE_METADATA_IP` ||
 * `GCE_METADATA_HOST` || `http://169.254.169.254`, `http://` added when there is no scheme, then
 * `/computeMetadata/v1`.
 */
export function metadataBaseUrl(env: MetadataEnv): string {
  let base = env.GCE_METADATA_IP || env.GCE_METADATA_HOST || 'http://169.254.169.254';
  if (!/^https?:\/\//.test(base)) base = `http://${base}`;
  try {
    return new URL('/computeMetadata/v1', base).href;
  } catch {
    return `${base}/computeMetadata/v1`;
  }
}
