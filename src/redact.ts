/**
 * The one place secrets are masked. Redaction for text we did not write (HTTP bodies, SDK messages) before it goes into an error or log line
 * (STYLE 13). A JWT is three base64url segments starting with `eyJ` (`{"`), so we mask that shape wherever
 * it appears, even when a server echoes the token back.
 */
export const REDACTED = '[REDACTED]';

const JWT_LIKE = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;
// AWS access key ids: AKIA (long-term) and ASIA (temporary, from STS).
const AWS_KEY_LIKE = /\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g;

/** Replaces every JWT-shaped substring and AWS access key id in `text` with `[REDACTED]`. */
export function redactTokens(text: string): string {
  return text.replace(JWT_LIKE, REDACTED).replace(AWS_KEY_LIKE, REDACTED);
}

/** A short, single-line, redacted excerpt of an untrusted body for error details. */
export function safeSnippet(text: string, maxLength = 200): string {
  const oneLine = redactTokens(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength)}…` : oneLine;
}
