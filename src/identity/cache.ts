/**
 * Per-audience cache of ID tokens. Google ID tokens live one hour; we refresh when less than 5 minutes remain
 * (DESIGN §3), the same margin the AWS SDK uses for credentials, and share one in-flight fetch per audience.
 */
import { fetchIdentityToken, type IdentityDeps } from './fetch-token.ts';
import type { IdentityToken } from './token.ts';

export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

export interface GetTokenOptions {
  /** Skip the cache (e.g. STS said the token expired). */
  forceRefresh?: boolean;
}

export interface IdentityTokenCache {
  /** A token for `audience` with at least 5 minutes left, fetched when needed. */
  getToken(audience: string, options?: GetTokenOptions): Promise<IdentityToken>;
  /** Forgets every cached token. */
  clear(): void;
}

export interface IdentityTokenCacheDeps extends IdentityDeps {
  /** Default: `fetchIdentityToken`. */
  fetchToken?: (audience: string, deps: IdentityDeps) => Promise<IdentityToken>;
  /** Default 5 minutes. */
  refreshMarginMs?: number;
}

/** Creates a token cache; production passes `{ env: readMetadataEnv(process.env) }`. */
export function createIdentityTokenCache(deps: IdentityTokenCacheDeps): IdentityTokenCache {
  const fetchToken = deps.fetchToken ?? fetchIdentityToken;
  const now = deps.now ?? Date.now;
  const margin = deps.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS;
  const tokens = new Map<string, IdentityToken>();
  const inFlight = new Map<string, Promise<IdentityToken>>();

  return {
    getToken(audience, options = {}) {
      const cached = tokens.get(audience);
      if (!options.forceRefresh && cached !== undefined && cached.expiresAt.getTime() - now() > margin) {
        return Promise.resolve(cached);
      }
      // A fetch already under way started after the cached token went stale, so it is fresh enough for a
      // forced refresh too.
      const pending = inFlight.get(audience);
      if (pending !== undefined) return pending;
      const fetching = fetchToken(audience, deps).then(
        (token) => {
          tokens.set(audience, token);
          inFlight.delete(audience);
          return token;
        },
        (error: unknown) => {
          inFlight.delete(audience);
          throw error;
        },
      );
      inFlight.set(audience, fetching);
      return fetching;
    },
    clear() {
      tokens.clear();
    },
  };
}
