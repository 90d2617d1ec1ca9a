/**
 * A position in a cell's text, shared by the two readers of complex values:
 * - JSON (the output of `CAST(col AS JSON)`): a small validating scanner that hands out exact token text,
 *   so big integers and decimals keep every digit (`JSON.parse` would round 12345678901234567890);
 * - Athena's native rendering (`[1, 2]`, `{k=v}`, `{a=1, b=x}`): read only for leaf types whose text can
 *   never contain the separators (see `nativeSafe` in the type table).
 */
export class Cursor {
  readonly text: string;
  pos: number;
  /** Set when a JSON value read by {@link skipValue} had a line break outside strings. */
  sawLineBreak = false;
  /** Why the last scan failed. */
  problem = '';

  constructor(text: string, pos = 0) {
    this.text = text;
    this.pos = pos;
  }

  ws(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x09) i++;
      else if (c === 0x0a || c === 0x0d) {
        this.sawLineBreak = true;
        i++;
      } else break;
    }
    this.pos = i;
  }

  code(): number {
    return this.text.charCodeAt(this.pos);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(problem: string): false {
    this.problem = problem;
    return false;
  }

  /** Skips `"…"` (the cursor is on the opening quote), validating escapes. Returns 0/1 (had escapes) or -1. */
  skipString(): number {
    const t = this.text;
    let i = this.pos + 1;
    let escaped = 0;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return escaped;
      }
      if (c === 0x5c) {
        escaped = 1;
        const e = t.charCodeAt(i + 1);
        if (e === 0x75) {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(i + 2, i + 6))) {
            this.pos = i;
            this.problem = 'bad \\u escape in a JSON string';
            return -1;
          }
          i += 6;
          continue;
        }
        // " \ / b f n r t
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        this.pos = i;
        this.problem = 'bad escape in a JSON string';
        return -1;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = i;
        this.problem = Number.isNaN(c) ? 'unterminated JSON string' : 'control character inside a JSON string';
        return -1;
      }
      i++;
    }
  }

  /**
   * Reads a JSON literal (number, true, false, null) and returns its exact text, or undefined.
   * Numbers are checked against the JSON grammar, so the text can be written into NDJSON as is.
   */
  literal(): string | undefined {
    const t = this.text;
    const start = this.pos;
    let i = start;
    for (;;) {
      const c = t.charCodeAt(i);
      // - + . 0-9 E e and letters of true/false/null
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x61 && c <= 0x7a) || c === 0x45) i++;
      else break;
    }
    const token = t.slice(start, i);
    if (token === 'null' || token === 'true' || token === 'false' || JSON_NUMBER.test(token)) {
      this.pos = i;
      return token;
    }
    this.problem = token === '' ? `unexpected ${describe(t, start)}` : `invalid JSON token ${JSON.stringify(token.slice(0, 40))}`;
    return undefined;
  }

  /** Skips one JSON value of any kind, validating it. */
  skipValue(depth = 0): boolean {
    if (depth > 1000) return this.fail('JSON nested deeper than 1000 levels');
    this.ws();
    const c = this.code();
    if (c === 0x22) return this.skipString() >= 0;
    if (c === 0x5b || c === 0x7b) {
      const object = c === 0x7b;
      const close = object ? 0x7d : 0x5d;
      this.pos++;
      this.ws();
      if (this.code() === close) {
        this.pos++;
        return true;
      }
      for (;;) {
        this.ws();
        if (object) {
          if (this.code() !== 0x22) return this.fail(`expected a JSON object key, found ${describe(this.text, this.pos)}`);
          if (this.skipString() < 0) return false;
          this.ws();
          if (this.code() !== 0x3a) return this.fail(`expected ':' in a JSON object, found ${describe(this.text, this.pos)}`);
          this.pos++;
        }
        if (!this.skipValue(depth + 1)) return false;
        this.ws();
        const n = this.code();
        this.pos++;
        if (n === close) return true;
        if (n !== 0x2c) {
          this.pos--;
          return this.fail(`expected ',' or '${object ? '}' : ']'}', found ${describe(this.text, this.pos)}`);
        }
      }
    }
    return this.literal() !== undefined;
  }
}

export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** `end of text` or the next few characters, for error messages. */
export function describe(text: string, pos: number): string {
  if (pos >= text.length) return 'the end of the text';
  return JSON.stringify(text.slice(pos, pos + 12));
}

/** Removes whitespace outside strings from valid JSON text (keeps one NDJSON record on one line). */
export function compactJson(text: string): string {
  let out = '';
  let i = 0;
  let segment = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      out += text.slice(segment, i);
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x20 || d === 0x09 || d === 0x0a || d === 0x0d) i++;
        else break;
      }
      segment = i;
      continue;
    }
    i++;
  }
  return out + text.slice(segment);
}
