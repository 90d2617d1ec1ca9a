/** Google identity: the runtime service account's ID token from the metadata server, and claim decoding. */
export { fetchIdentityToken, DEFAULT_METADATA_TIMEOUT_MS } from './fetch-token.ts';
export type { IdentityDeps, MetadataClient } from './fetch-token.ts';
export { createIdentityTokenCache, TOKEN_REFRESH_MARGIN_MS } from './cache.ts';
export type { IdentityTokenCache, IdentityTokenCacheDeps, GetTokenOptions } from './cache.ts';
export { IdentityToken } from './token.ts';
export { decodeClaims, audienceText, claimsForDiagnostics } from './claims.ts';
export type { TokenClaims } from './claims.ts';
export { readMetadataEnv, metadataBaseUrl, metadataOverrides } from './metadata-env.ts';
export type { MetadataEnv } from './metadata-env.ts';
export { MetadataUnavailable, MetadataBadResponse, IdentityTokenFailed } from './errors.ts';
export { REDACTED, redactTokens, safeSnippet } from '../redact.ts';
