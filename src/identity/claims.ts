/**
 * Decoding of a Google ID token's claims for diagnostics. The signature is NOT verified: AWS STS verifies it;
 * we only read the claims to explain a trust-policy mismatch (public-reports F1) and to know when the token
 * expires (cache refresh, DESIGN §3).
 */
import { TransferError } from '../errors.ts';

/** The claims we read from a Google ID token (unverified). Missing claims stay `undefined`. */
export interface TokenClaims {
  /** `https://accounts.google.com` for Google-issued tokens. */
  iss?: string;
  /** The requested audience (`sts.amazonaws.com`); AWS condition key `accounts.google.com:oaud`. */
  aud?: string | readonly string[];
  /** Authorized party: the SA's numeric unique id on GCP, its e-mail after local impersonation;
   * AWS condition key `accounts.google.com:aud`. */
  azp?: string;
  /** The SA's numeric unique id; AWS condition key `accounts.google.com:sub`. */
  sub?: string;
  email?: string;
  /** Seconds since the epoch. */
  exp?: number;
  /** Seconds since the epoch. */
  iat?: number;
}

/**
 * Decodes the payload of a compact JWS (`header.payload.signature`) without verifying it.
 * Pure. Throws `METADATA_BAD_RESPONSE` when the text is not a JWT; the message never includes the text.
 */
export function decodeClaims(jwt: string): TokenClaims {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((part) => part === '' || !/^[\w-]+$/.test(part))) {
    throw notAJwt(`expected 3 non-empty base64url segments separated by dots, got ${parts.length} segment(s)`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  } catch {
    throw notAJwt('its payload segment is not base64url-encoded JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw notAJwt('its payload is not a JSON object');
  }
  const record = payload as Record<string, unknown>;
  const claims: TokenClaims = {};
  const iss = stringClaim(record.iss);
  if (iss !== undefined) claims.iss = iss;
  const aud = audienceClaim(record.aud);
  if (aud !== undefined) claims.aud = aud;
  const azp = stringClaim(record.azp);
  if (azp !== undefined) claims.azp = azp;
  const sub = stringClaim(record.sub);
  if (sub !== undefined) claims.sub = sub;
  const email = stringClaim(record.email);
  if (email !== undefined) claims.email = email;
  const exp = numericClaim(record.exp);
  if (exp !== undefined) claims.exp = exp;
  const iat = numericClaim(record.iat);
  if (iat !== undefined) claims.iat = iat;
  return claims;
}

/** `aud` as text: a single audience as is, several joined with `, `. */
export function audienceText(aud: TokenClaims['aud']): string | undefined {
  if (aud === undefined) return undefined;
  return typeof aud === 'string' ? aud : aud.join(', ');
}

/** The claims as a flat, JSON-safe record for error details and logs (adds `expIso`). */
export function claimsForDiagnostics(claims: TokenClaims): Record<string, string | number | undefined> {
  return {
    iss: claims.iss,
    aud: audienceText(claims.aud),
    azp: claims.azp,
    sub: claims.sub,
    email: claims.email,
    exp: claims.exp,
    expIso: claims.exp === undefined ? undefined : new Date(claims.exp * 1000).toISOString(),
    iat: claims.iat,
  };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numericClaim(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function audienceClaim(value: unknown): string | readonly string[] | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return undefined;
}

function notAJwt(reason: string): TransferError {
  return new TransferError('METADATA_BAD_RESPONSE', `The identity token is not a JWT: ${reason}`, {
    status: 502,
    hint:
      'The metadata server (or whatever answers at GCE_METADATA_HOST) returned something that is not an ID token; ' +
      'check that the variable points at a real metadata server.',
    details: { reason },
  });
}
