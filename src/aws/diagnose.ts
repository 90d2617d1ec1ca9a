/**
 * Why STS refused a Google token, from the token's decoded (unverified) claims (public-reports F1; DESIGN §3).
 *
 * AWS condition keys for the `accounts.google.com` provider (IAM reference, "Available keys for AWS web identity
 * federation"): `accounts.google.com:oaud` ↔ token `aud`; `accounts.google.com:aud` ↔ token `azp` (the `aud`
 * claim only when there is no `azp`); `accounts.google.com:sub` ↔ `sub`.
 */
import { audienceText, type TokenClaims } from '../identity/claims.ts';

export const STS_AUDIENCE = 'sts.amazonaws.com';
export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface TrustDiagnosis {
  /** The condition values a trust policy needs to accept exactly this token. */
  conditions: {
    'accounts.google.com:oaud': string | undefined;
    'accounts.google.com:aud': string | undefined;
    'accounts.google.com:sub': string | undefined;
  };
  /** A trust-policy statement that would accept this token (for copy and paste). */
  statement: Record<string, unknown>;
  /** What looks wrong with the token itself. */
  notes: string[];
}

/** Pure: the matching conditions and notes for `claims` at time `nowMs`. */
export function diagnoseTrust(claims: Readonly<TokenClaims>, nowMs: number): TrustDiagnosis {
  const aud = audienceText(claims.aud);
  const conditions = {
    'accounts.google.com:oaud': aud,
    'accounts.google.com:aud': claims.azp ?? aud,
    'accounts.google.com:sub': claims.sub,
  };
  const notes: string[] = [];
  if (claims.iss !== GOOGLE_ISSUER && claims.iss !== 'accounts.google.com') {
    notes.push(`The token's issuer is ${claims.iss ?? '(missing)'}; AWS federates only tokens issued by ${GOOGLE_ISSUER} (Principal {"Federated": "accounts.google.com"}).`);
  }
  if (aud !== STS_AUDIENCE) {
    notes.push(`The token's audience is ${aud ?? '(missing)'}, not ${STS_AUDIENCE}: request the token with audience ${STS_AUDIENCE}, or make accounts.google.com:oaud match it.`);
  }
  if (claims.azp === undefined) {
    notes.push('The token has no azp claim, so AWS compares accounts.google.com:aud with its aud claim.');
  } else if (claims.azp.includes('@')) {
    notes.push(`azp is an e-mail (${claims.azp}): this token came from local impersonation (google-auth-library puts the service account e-mail in azp unless includeEmail is false). On Cloud Functions azp is the numeric unique id, so a policy written for one will not match the other.`);
  } else if (claims.sub !== undefined && claims.azp !== claims.sub) {
    notes.push(`azp (${claims.azp}) differs from sub (${claims.sub}); accounts.google.com:aud must name the azp value.`);
  }
  if (claims.sub === undefined) notes.push('The token has no sub claim: accounts.google.com:sub cannot match.');
  if (claims.exp !== undefined && claims.exp * 1000 <= nowMs) {
    notes.push(`The token expired at ${new Date(claims.exp * 1000).toISOString()}, ${Math.round(nowMs / 1000 - claims.exp)} s ago.`);
  }
  const equals: Record<string, string> = {};
  for (const [key, value] of Object.entries(conditions)) if (value !== undefined) equals[key] = value;
  const statement = {
    Effect: 'Allow',
    Principal: { Federated: 'accounts.google.com' },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: equals },
  };
  return { conditions, statement, notes };
}
