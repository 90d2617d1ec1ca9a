/**
 * `RoleSessionName` from the job/run key, so CloudTrail shows which run assumed the role. STS allows 2–64
 * characters of `[\w+=,.@-]` (AssumeRoleWithWebIdentity API reference).
 */
import { createHash } from 'node:crypto';

export const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MAX = 64;

/**
 * A valid session name for `key`: `a2bq-<key>` with disallowed characters replaced by `-`; keys too long keep a
 * prefix and an 8-hex-digit SHA-256 suffix so different long keys stay distinct. Pure.
 */
export function roleSessionName(key: string, prefix = 'a2bq'): string {
  const clean = `${prefix}-${key}`.replace(/[^\w+=,.@-]+/g, '-').replace(/-+$/, '');
  if (clean.length <= MAX && clean.length >= 2) return clean;
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${clean.slice(0, MAX - digest.length - 1).replace(/-+$/, '')}-${digest}`;
}
