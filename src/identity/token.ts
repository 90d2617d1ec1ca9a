/**
 * A Google ID token in a container that never shows the token: `String(token)`, `JSON.stringify(token)` and
 * `util.inspect(token)` (console.log, structured loggers) all print `[REDACTED]` (STYLE 13). Only `reveal()`
 * gives the JWT, and only the STS call needs it.
 */
import { inspect } from 'node:util';
import { claimsForDiagnostics, decodeClaims, type TokenClaims } from './claims.ts';
import { REDACTED } from '../redact.ts';

export class IdentityToken {
  readonly #jwt: string;
  /** The audience the token was requested for. */
  readonly audience: string;
  /** Decoded, UNVERIFIED claims, for diagnostics and expiry. */
  readonly claims: Readonly<TokenClaims>;
  /** When the token expires (`exp`). */
  readonly expiresAt: Date;

  constructor(jwt: string, audience: string, claims: TokenClaims, expiresAt: Date) {
    this.#jwt = jwt;
    this.audience = audience;
    this.claims = Object.freeze({ ...claims });
    this.expiresAt = expiresAt;
  }

  /**
   * Wraps a JWT obtained elsewhere (e.g. google-auth-library locally). Throws `METADATA_BAD_RESPONSE` when it is
   * not a JWT; the expiry is read from `exp` (epoch when missing, so a cache treats it as stale).
   */
  static fromJwt(jwt: string, audience: string): IdentityToken {
    const claims = decodeClaims(jwt);
    return new IdentityToken(jwt, audience, claims, new Date((claims.exp ?? 0) * 1000));
  }

  /** The raw JWT. Pass it to the one API that needs it; never log, store or echo it. */
  reveal(): string {
    return this.#jwt;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): { token: string; audience: string; expiresAt: string; claims: ReturnType<typeof claimsForDiagnostics> } {
    return {
      token: REDACTED,
      audience: this.audience,
      expiresAt: this.expiresAt.toISOString(),
      claims: claimsForDiagnostics(this.claims),
    };
  }

  [inspect.custom](): string {
    return `IdentityToken ${REDACTED} ${JSON.stringify({ audience: this.audience, expiresAt: this.expiresAt.toISOString(), sub: this.claims.sub })}`;
  }
}
