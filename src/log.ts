/**
 * Structured JSON logging in the shape Cloud Logging parses from stdout (`severity`, `message`, and
 * `logging.googleapis.com/labels`), one line per event. Redaction happens here, in one place (STYLE 13):
 * any field whose name looks like a secret is masked, and values that look like JWTs or AWS secrets are
 * masked wherever they appear.
 */
import { redactTokens } from './redact.ts';

export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_KEY = /(token|secret|password|credential|authorization|sessiontoken|accesskey)/i;

/** Masks secrets in any JSON-able value. Keys like `clientRequestToken` are ids, not secrets: kept. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') {
    return redactTokens(value);
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && !/requesttoken|nexttoken/i.test(k) ? '[REDACTED]' : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export interface LoggerOptions {
  write?: (line: string) => void;
  minSeverity?: Severity;
  base?: Record<string, unknown>;
  now?: () => Date;
}

const ORDER: Record<Severity, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const min = ORDER[options.minSeverity ?? 'INFO'];
  const base = options.base ?? {};
  const now = options.now ?? (() => new Date());
  const emit = (severity: Severity, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[severity] < min) return;
    const entry = redact({ severity, time: now().toISOString(), message, ...base, ...fields });
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything: the default in unit tests. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
