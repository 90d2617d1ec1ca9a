import { AthenaTypeInvalid } from './errors.ts';

/**
 * Every Athena (Trino) type this project knows, as a closed list. `unknown` covers everything else
 * (geometry, HyperLogLog, a type added next year): it keeps the raw text and loads as STRING.
 * `time_tz`/`timestamp_tz` are `… with time zone`; `interval_ym`/`interval_ds` are
 * `interval year to month` / `interval day to second`.
 */
export const ATHENA_TYPE_KINDS = [
  'boolean',
  'tinyint',
  'smallint',
  'integer',
  'bigint',
  'real',
  'double',
  'decimal',
  'char',
  'varchar',
  'varbinary',
  'date',
  'time',
  'time_tz',
  'timestamp',
  'timestamp_tz',
  'json',
  'uuid',
  'ipaddress',
  'interval_ym',
  'interval_ds',
  'array',
  'map',
  'row',
  'unknown',
] as const;

export type AthenaTypeKind = (typeof ATHENA_TYPE_KINDS)[number];

type SimpleKind = Exclude<AthenaTypeKind, 'decimal' | 'char' | 'varchar' | 'time' | 'time_tz' | 'timestamp' | 'timestamp_tz' | 'array' | 'map' | 'row' | 'unknown'>;

/** A field of a row type; `name` is absent for anonymous fields (`row(varchar, integer)`). */
export interface RowField {
  readonly name?: string;
  readonly type: AthenaType;
}

/**
 * A parsed Athena type. Complex types without parameters (`array`, `map`, `row`: what ColumnInfo.Type
 * reports) have no element/key/value/fields: their element types are unknown.
 */
export type AthenaType =
  | { readonly kind: SimpleKind }
  | { readonly kind: 'decimal'; readonly precision?: number; readonly scale?: number }
  | { readonly kind: 'char' | 'varchar'; readonly length?: number }
  | { readonly kind: 'time' | 'time_tz' | 'timestamp' | 'timestamp_tz'; readonly precision?: number }
  | { readonly kind: 'array'; readonly element?: AthenaType }
  | { readonly kind: 'map'; readonly key?: AthenaType; readonly value?: AthenaType }
  | { readonly kind: 'row'; readonly fields?: readonly RowField[] }
  | { readonly kind: 'unknown'; readonly text: string };

/** The type node of a given kind. */
export type AthenaTypeOf<K extends AthenaTypeKind> = Extract<AthenaType, { kind: K }>;

// Word sequences of the scalar types, after lowercasing; `#` stands for one parenthesised argument list.
// Hive/Glue spellings (int, float, string, binary) are accepted because Glue table metadata uses them.
const SCALAR_FORMS: Readonly<Record<string, AthenaTypeKind>> = {
  boolean: 'boolean',
  tinyint: 'tinyint',
  smallint: 'smallint',
  integer: 'integer',
  int: 'integer',
  bigint: 'bigint',
  real: 'real',
  float: 'real',
  double: 'double',
  'double precision': 'double',
  decimal: 'decimal',
  'decimal #': 'decimal',
  numeric: 'decimal',
  'numeric #': 'decimal',
  char: 'char',
  'char #': 'char',
  varchar: 'varchar',
  'varchar #': 'varchar',
  string: 'varchar',
  varbinary: 'varbinary',
  binary: 'varbinary',
  date: 'date',
  time: 'time',
  'time #': 'time',
  'time without time zone': 'time',
  'time # without time zone': 'time',
  'time with time zone': 'time_tz',
  'time # with time zone': 'time_tz',
  timestamp: 'timestamp',
  'timestamp #': 'timestamp',
  'timestamp without time zone': 'timestamp',
  'timestamp # without time zone': 'timestamp',
  'timestamp with time zone': 'timestamp_tz',
  'timestamp # with time zone': 'timestamp_tz',
  json: 'json',
  uuid: 'uuid',
  ipaddress: 'ipaddress',
  'interval year to month': 'interval_ym',
  'interval day to second': 'interval_ds',
};

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_$]/;

/**
 * Parses an Athena/Trino type text (typeof() output, ColumnInfo.Type, Glue/Hive DDL types):
 * `array(row(a integer, "b c" varchar(3)))`, `map(varchar, array(decimal(10,2)))`, `row(varchar, integer)`,
 * `timestamp(6) with time zone`, `struct<a:int,b:array<string>>`. Names are case-insensitive.
 * Unknown names (with any arguments) become `{kind: 'unknown', text}`; only malformed text throws
 * {@link AthenaTypeInvalid}.
 */
export function parseAthenaType(text: string): AthenaType {
  const parser = new TypeParser(text);
  const type = parser.type();
  parser.skipSpace();
  if (!parser.atEnd()) throw parser.fail('unexpected text after the type');
  return type;
}

class TypeParser {
  readonly text: string;
  pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  fail(problem: string): AthenaTypeInvalid {
    return new AthenaTypeInvalid(this.text, this.pos, problem);
  }

  word(): string | undefined {
    this.skipSpace();
    if (!WORD_START.test(this.peek())) return undefined;
    const start = this.pos;
    while (this.pos < this.text.length && WORD_CHAR.test(this.text.charAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** `"a ""b"""` (Trino) or `` `a b` `` (Hive): doubled quote chars escape themselves. */
  quoted(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) throw this.fail(`unterminated quoted name (missing ${quote})`);
      const ch = this.text.charAt(this.pos++);
      if (ch === quote) {
        if (this.peek() === quote) {
          out += quote;
          this.pos++;
          continue;
        }
        return out;
      }
      out += ch;
    }
  }

  /** True when the next significant character ends the current type (or there is nothing left). */
  atTerminator(): boolean {
    this.skipSpace();
    const ch = this.peek();
    return ch === '' || ch === ',' || ch === ')' || ch === '>';
  }

  expectClose(open: string): void {
    this.skipSpace();
    const want = open === '(' ? ')' : '>';
    if (this.peek() !== want) throw this.fail(this.atEnd() ? `missing ${want}` : `expected ${want} or a comma`);
    this.pos++;
  }

  type(): AthenaType {
    this.skipSpace();
    const start = this.pos;
    const first = this.word();
    if (first === undefined) {
      throw this.fail(this.atEnd() ? 'expected a type, found the end of the text' : `expected a type name, found ${JSON.stringify(this.peek())}`);
    }
    const name = first.toLowerCase();
    if (name === 'array' || name === 'map' || name === 'row' || name === 'struct') {
      this.skipSpace();
      const open = this.peek();
      if (open === '(' || open === '<') {
        this.pos++;
        if (name === 'array') {
          const element = this.type();
          this.expectClose(open);
          return { kind: 'array', element };
        }
        if (name === 'map') {
          const key = this.type();
          this.skipSpace();
          if (this.peek() !== ',') throw this.fail('map needs a key type and a value type: map(K, V)');
          this.pos++;
          const value = this.type();
          this.expectClose(open);
          return { kind: 'map', key, value };
        }
        return { kind: 'row', fields: this.rowFields(open) };
      }
      if (this.atTerminator()) return name === 'struct' ? { kind: 'row' } : { kind: name };
    }
    return this.scalar(start, name);
  }

  /** Any other type: words and parenthesised argument lists up to the next `,`, `)`, `>` or the end. */
  scalar(start: number, firstWord: string): AthenaType {
    const words = [firstWord];
    const args: string[] = [];
    for (;;) {
      this.skipSpace();
      const ch = this.peek();
      if (ch === '(' || ch === '<') {
        args.push(this.group());
        words.push('#');
        continue;
      }
      const w = this.word();
      if (w === undefined) break;
      words.push(w.toLowerCase());
    }
    const text = this.text.slice(start, this.pos).trim();
    const kind = SCALAR_FORMS[words.join(' ')];
    const nums = args.length === 1 ? parseArgs(args[0]!) : args.length === 0 ? [] : undefined;
    if (kind === undefined || nums === undefined) return { kind: 'unknown', text };
    switch (kind) {
      case 'decimal':
        if (nums.length > 2 || nums.length === 0 && args.length > 0) return { kind: 'unknown', text };
        return nums.length === 0 ? { kind } : { kind, precision: nums[0]!, scale: nums[1] ?? 0 };
      case 'char':
      case 'varchar':
        if (nums.length > 1 || nums.length === 0 && args.length > 0) return { kind: 'unknown', text };
        return nums.length === 0 ? { kind } : { kind, length: nums[0]! };
      case 'time':
      case 'time_tz':
      case 'timestamp':
      case 'timestamp_tz':
        if (nums.length > 1 || nums.length === 0 && args.length > 0) return { kind: 'unknown', text };
        return nums.length === 0 ? { kind } : { kind, precision: nums[0]! };
      default:
        return { kind } as AthenaType;
    }
  }

  /** A balanced `( … )` or `< … >` group (quotes respected); returns the text between the brackets. */
  group(): string {
    const start = this.pos;
    const stack: string[] = [];
    while (!this.atEnd()) {
      const ch = this.text.charAt(this.pos);
      if (ch === '"' || ch === '`' || ch === "'") {
        this.quoted();
        continue;
      }
      this.pos++;
      if (ch === '(') stack.push(')');
      else if (ch === '<') stack.push('>');
      else if (ch === ')' || ch === '>') {
        if (stack.pop() !== ch) {
          this.pos--;
          throw this.fail(`unbalanced ${ch}`);
        }
        if (stack.length === 0) return this.text.slice(start + 1, this.pos - 1);
      }
    }
    throw this.fail(`missing ${stack[stack.length - 1] ?? ')'}`);
  }

  rowFields(open: string): RowField[] {
    const fields: RowField[] = [];
    for (;;) {
      fields.push(this.rowField());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      this.expectClose(open);
      return fields;
    }
  }

  /**
   * `name type`, `"quoted name" type`, Hive `name:type`, or an anonymous `type`. A field whose whole text
   * is a known type is anonymous (`row(varchar, integer)`); otherwise the first word is its name
   * (`row(date date)`, `row(a double precision)`).
   */
  rowField(): RowField {
    this.skipSpace();
    const ch = this.peek();
    if (ch === '"' || ch === '`') {
      const name = this.quoted();
      this.skipSpace();
      if (this.peek() === ':') this.pos++;
      return { name, type: this.type() };
    }
    if (ch === ')' || ch === '>' || ch === ',' || ch === '') throw this.fail('expected a row field');
    const save = this.pos;
    try {
      const anonymous = this.type();
      if (anonymous.kind !== 'unknown' && this.atTerminator()) return { type: anonymous };
    } catch {
      // Not a type by itself: read it as `name type` below.
    }
    this.pos = save;
    const name = this.word();
    if (name === undefined) throw this.fail(`expected a field name, found ${JSON.stringify(this.peek())}`);
    this.skipSpace();
    if (this.peek() === ':') this.pos++;
    else if (this.atTerminator()) {
      // A single unknown word (`row(geometry)`): an anonymous field of an unknown type.
      this.pos = save;
      return { type: this.type() };
    }
    return { name, type: this.type() };
  }
}

/** `10, 2` -> [10, 2]; anything that is not a list of non-negative integers -> undefined. */
function parseArgs(text: string): number[] | undefined {
  const parts = text.split(',');
  const out: number[] = [];
  for (const part of parts) {
    const t = part.trim();
    if (!/^\d{1,9}$/.test(t)) return undefined;
    out.push(Number(t));
  }
  return out;
}

/** Trino's canonical spelling of a type, e.g. `array(row(a integer, "b c" varchar))`. */
export function formatAthenaType(type: AthenaType): string {
  switch (type.kind) {
    case 'decimal':
      return type.precision === undefined ? 'decimal' : `decimal(${type.precision},${type.scale ?? 0})`;
    case 'char':
    case 'varchar':
      return type.length === undefined ? type.kind : `${type.kind}(${type.length})`;
    case 'time':
    case 'timestamp':
      return type.precision === undefined ? type.kind : `${type.kind}(${type.precision})`;
    case 'time_tz':
    case 'timestamp_tz': {
      const base = type.kind === 'time_tz' ? 'time' : 'timestamp';
      return `${type.precision === undefined ? base : `${base}(${type.precision})`} with time zone`;
    }
    case 'interval_ym':
      return 'interval year to month';
    case 'interval_ds':
      return 'interval day to second';
    case 'array':
      return type.element ? `array(${formatAthenaType(type.element)})` : 'array';
    case 'map':
      return type.key && type.value ? `map(${formatAthenaType(type.key)}, ${formatAthenaType(type.value)})` : 'map';
    case 'row':
      return type.fields
        ? `row(${type.fields.map((f) => (f.name === undefined ? formatAthenaType(f.type) : `${quoteFieldName(f.name)} ${formatAthenaType(f.type)}`)).join(', ')})`
        : 'row';
    case 'unknown':
      return type.text;
    default:
      return type.kind;
  }
}

function quoteFieldName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !(name in SCALAR_FORMS) && !['array', 'map', 'row', 'struct'].includes(name)
    ? name
    : `"${name.replace(/"/g, '""')}"`;
}

/** True when the type (or any element/field of it) is array, map or row without its parameters. */
export function hasBareComplex(type: AthenaType): boolean {
  switch (type.kind) {
    case 'array':
      return type.element === undefined || hasBareComplex(type.element);
    case 'map':
      return type.key === undefined || type.value === undefined || hasBareComplex(type.key) || hasBareComplex(type.value);
    case 'row':
      return type.fields === undefined || type.fields.some((f) => hasBareComplex(f.type));
    default:
      return false;
  }
}

/** True for array, map and row. */
export function isComplex(type: AthenaType): type is AthenaTypeOf<'array' | 'map' | 'row'> {
  return type.kind === 'array' || type.kind === 'map' || type.kind === 'row';
}
