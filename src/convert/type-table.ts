import type { AthenaType, AthenaTypeKind, AthenaTypeOf } from './athena-type.ts';
import {
  fieldCompatibility,
  normalizeBigQueryType,
  normalizeMode,
  validateFieldNames,
  type BigQueryField,
  type BigQueryType,
} from './bigquery-field.ts';
import { Cursor, compactJson, describe } from './cursor.ts';
import type { SchemaConflictItem } from './errors.ts';
import {
  ConvertFailure,
  booleanLeaf,
  dateLeaf,
  decimalLeaf,
  doubleLeaf,
  integerLeaf,
  jsonLeaf,
  stringLeaf,
  timeLeaf,
  timestampLeaf,
  timestampTzLeaf,
  varbinaryLeaf,
  type ConvertStats,
  type DecimalLimits,
  type LeafFn,
  type Out,
} from './leaves.ts';

/**
 * THE dispatch table (STYLE 8): every Athena type kind -> its BigQuery type and its converter factory.
 * When a type is reported as converted wrongly, this file is the place to read. Converters are built once
 * per column (and per nested element/field) before any row is seen; the row loop only calls them.
 */

/** A compiled converter for one type node. */
export interface Codec {
  /** The whole Athena text rendering of a value (a cell; for complex types `[1, 2]` / `{k=v}`). */
  text(s: string): Out;
  /** One JSON value at the cursor (cells that are `CAST(… AS JSON)` output). */
  json(c: Cursor): Out;
  /** One value of Athena's native rendering at the cursor (inside `[…]`/`{…}`). */
  native(c: Cursor): Out;
}

/** BigQuery shape of a type node, before it gets a name and mode. */
export interface Shape {
  type: BigQueryType;
  repeated: boolean;
  fields?: BigQueryField[];
}

export interface Compiled {
  shape: Shape;
  codec: Codec;
}

export interface CompileContext {
  stats: ConvertStats;
  /** Dotted path of the node, for messages: `items`, `items.price`. */
  path: string;
  /** Conflicts with the target schema found while compiling. */
  conflicts: SchemaConflictItem[];
}

interface TypeRule<K extends AthenaTypeKind> {
  /**
   * True when values of this type can be read back from Athena's native rendering of an array/map/row:
   * their text never contains `,` `=` `[` `]` `{` `}` and never equals `null` (c10, c11). Strings, json,
   * varbinary and unknown types can, so a complex value holding them is loaded as raw STRING text unless
   * the query delivers it as `CAST(… AS JSON)`.
   */
  readonly nativeSafe: boolean;
  readonly compile: (type: AthenaTypeOf<K>, cx: CompileContext, target: BigQueryField | undefined) => Compiled;
}

// ---------------------------------------------------------------------------------------------------
// Leaves

type JsonStrings = 'raw' | 'decode';

function leafCodec(leaf: LeafFn, strings: JsonStrings): Codec {
  return {
    text: leaf,
    json: (c) => readJsonLeaf(c, leaf, strings),
    native: (c) => readNativeLeaf(c, leaf),
  };
}

/**
 * One JSON value for a scalar: strings are copied raw (STRING targets: they already are JSON strings) or
 * decoded and converted like Athena text (`"2024-01-01"`, `"NaN"`, map keys `"1"`); numbers and booleans
 * are converted from their exact token text.
 */
function readJsonLeaf(c: Cursor, leaf: LeafFn, strings: JsonStrings): Out {
  c.ws();
  const code = c.code();
  if (code === 0x22) {
    const start = c.pos;
    const escaped = c.skipString();
    if (escaped < 0) return new ConvertFailure(`invalid JSON: ${c.problem}`);
    const raw = c.text.slice(start, c.pos);
    if (strings === 'raw') return raw;
    return leaf(escaped === 1 ? (JSON.parse(raw) as string) : raw.slice(1, -1));
  }
  if (code === 0x5b || code === 0x7b) {
    if (strings !== 'raw') return new ConvertFailure(`expected a scalar value, found ${describe(c.text, c.pos)}`);
    const start = c.pos;
    if (!c.skipValue()) return new ConvertFailure(`invalid JSON: ${c.problem}`);
    return JSON.stringify(compactJson(c.text.slice(start, c.pos)));
  }
  const token = c.literal();
  if (token === undefined) return new ConvertFailure(`invalid JSON: ${c.problem}`);
  if (token === 'null') return null;
  return leaf(token);
}

/** One scalar of the native rendering: the text up to the next `,` `]` `}` `=`; `null` is SQL NULL. */
function readNativeLeaf(c: Cursor, leaf: LeafFn): Out {
  const t = c.text;
  const start = c.pos;
  let i = start;
  for (;;) {
    const code = t.charCodeAt(i);
    // , ] } = or end of text
    if (code === 0x2c || code === 0x5d || code === 0x7d || code === 0x3d || Number.isNaN(code)) break;
    i++;
  }
  c.pos = i;
  const token = t.slice(start, i);
  return token === 'null' ? null : leaf(token);
}

/** A value written as its exact text into a STRING field (B8), whatever its Athena type. */
function stringCodec(): Codec {
  return {
    text: stringLeaf,
    json: (c) => readJsonLeaf(c, stringLeaf, 'raw'),
    native: (c) => {
      // A nested array/map/row value: its balanced text.
      const code = c.code();
      if (code !== 0x5b && code !== 0x7b) return readNativeLeaf(c, stringLeaf);
      const start = c.pos;
      let depth = 0;
      for (let i = start; i < c.text.length; i++) {
        const k = c.text.charCodeAt(i);
        if (k === 0x5b || k === 0x7b) depth++;
        else if (k === 0x5d || k === 0x7d) {
          depth--;
          if (depth === 0) {
            c.pos = i + 1;
            return stringLeaf(c.text.slice(start, c.pos));
          }
        }
      }
      return new ConvertFailure('unbalanced brackets in the value');
    },
  };
}

/** json values: the raw JSON (validated, line breaks removed); JSON null -> SQL NULL, counted. */
function jsonCodec(stats: ConvertStats): Codec {
  const leaf = jsonLeaf(stats);
  return {
    text: leaf,
    json: (c) => {
      c.ws();
      const start = c.pos;
      c.sawLineBreak = false;
      if (!c.skipValue()) return new ConvertFailure(`invalid JSON: ${c.problem}`);
      const raw = c.text.slice(start, c.pos);
      if (raw === 'null') {
        stats.jsonNullsCollapsed++;
        return null;
      }
      return c.sawLineBreak ? compactJson(raw) : raw;
    },
    native: () => new ConvertFailure('json values cannot be read from Athena text rendering'),
  };
}

function leafRule<K extends AthenaTypeKind>(
  type: BigQueryType | ((t: AthenaTypeOf<K>) => BigQueryType),
  make: (t: AthenaTypeOf<K>, cx: CompileContext, target: BigQueryField | undefined) => LeafFn,
  nativeSafe: boolean,
  strings: JsonStrings = 'decode',
): TypeRule<K> {
  return {
    nativeSafe,
    compile: (t, cx, target) => ({
      shape: { type: typeof type === 'function' ? type(t) : type, repeated: false },
      codec: leafCodec(make(t, cx, target), strings),
    }),
  };
}

const asString = <K extends AthenaTypeKind>(nativeSafe: boolean): TypeRule<K> => leafRule<K>('STRING', () => stringLeaf, nativeSafe, 'raw');

/** NUMERIC holds 29 integer + 9 fraction digits; anything wider needs BIGNUMERIC (c03). */
export function decimalBigQueryType(precision: number | undefined, scale: number | undefined): 'NUMERIC' | 'BIGNUMERIC' {
  if (precision === undefined) return 'BIGNUMERIC'; // Trino's bare decimal is decimal(38,0)
  const s = scale ?? 0;
  return s <= 9 && precision - s <= 29 ? 'NUMERIC' : 'BIGNUMERIC';
}

/** Digit limits of an existing NUMERIC/BIGNUMERIC column (parameterized or not). */
function decimalLimits(target: BigQueryField | undefined): DecimalLimits | undefined {
  if (target === undefined) return undefined;
  const type = normalizeBigQueryType(target.type);
  if (type !== 'NUMERIC' && type !== 'BIGNUMERIC') return undefined;
  if (target.precision !== undefined) {
    const p = Number(target.precision);
    const s = Number(target.scale ?? 0);
    return { integerDigits: p - s, fractionDigits: s, label: `${type}(${p},${s})` };
  }
  // BIGNUMERIC: 38 full integer digits (plus a partial 39th, which Athena's max precision 38 never reaches).
  return type === 'NUMERIC' ? { integerDigits: 29, fractionDigits: 9, label: 'NUMERIC' } : { integerDigits: 38, fractionDigits: 38, label: 'BIGNUMERIC' };
}

const isDatetimeTarget = (target: BigQueryField | undefined): boolean => target !== undefined && normalizeBigQueryType(target.type) === 'DATETIME';

// ---------------------------------------------------------------------------------------------------
// Complex

function expect(c: Cursor, code: number, what: string): ConvertFailure | undefined {
  if (c.code() === code) {
    c.pos++;
    return undefined;
  }
  return new ConvertFailure(`expected ${what}, found ${describe(c.text, c.pos)}`);
}

function readNull(c: Cursor): boolean {
  if (c.text.startsWith('null', c.pos)) {
    c.pos += 4;
    return true;
  }
  return false;
}

/** Skips the `, ` between native elements; returns false at the closing bracket. */
function nativeNext(c: Cursor, close: number): boolean | ConvertFailure {
  const code = c.code();
  if (code === close) {
    c.pos++;
    return false;
  }
  if (code !== 0x2c) return new ConvertFailure(`expected ',' or '${String.fromCharCode(close)}', found ${describe(c.text, c.pos)}`);
  c.pos++;
  while (c.code() === 0x20) c.pos++;
  return true;
}

function prefix(failure: ConvertFailure, where: string): ConvertFailure {
  return new ConvertFailure(`${where}: ${failure.reason}`);
}

/** Wraps a "read one value at the cursor" function into a whole-cell converter that rejects trailing text. */
export function whole(read: (c: Cursor) => Out, json: boolean): LeafFn {
  return (s) => {
    const c = new Cursor(s);
    const v = read(c);
    if (v instanceof ConvertFailure) return v;
    if (json) c.ws();
    if (!c.atEnd()) return new ConvertFailure(`unexpected text ${describe(s, c.pos)} after the value`);
    return v;
  };
}

/**
 * array(T) -> REPEATED T. BigQuery has no NULL elements (B5, c10): a NULL element rejects the row. BigQuery
 * has no array of arrays either: array(array(T)) (and array(map(…))) becomes REPEATED RECORD with one
 * REPEATED field `element`, i.e. `[[1],[2,3]]` -> `[{"element":["1"]},{"element":["2","3"]}]`; a NULL inner
 * array is written as `{}` (empty, like a NULL array column).
 */
function arrayCodec(element: Codec, wrapped: boolean, stats: ConvertStats): Codec {
  const open = wrapped ? '{"element":' : '';
  const close = wrapped ? '}' : '';
  const onNull = (): string | ConvertFailure => {
    if (wrapped) {
      stats.nullArraysAsEmpty++;
      return '{}';
    }
    return new ConvertFailure(`NULL element cannot be written to a BigQuery REPEATED field (BigQuery arrays have no NULL elements; CAST the column AS JSON into a JSON column to keep it)`);
  };
  const codec: Codec = {
    text: (s) => wholeNative(s),
    json: (c) => {
      c.ws();
      if (c.code() !== 0x5b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected a JSON array, found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      c.ws();
      let out = '[';
      if (c.code() === 0x5d) {
        c.pos++;
        return '[]';
      }
      for (let index = 0; ; index++) {
        let v = element.json(c);
        if (v === null) v = onNull();
        else if (typeof v === 'string') v = open + v + close;
        if (typeof v !== 'string') return prefix(v, `[${index}]`);
        out += index === 0 ? v : `,${v}`;
        c.ws();
        const code = c.code();
        c.pos++;
        if (code === 0x5d) return `${out}]`;
        if (code !== 0x2c) {
          c.pos--;
          return new ConvertFailure(`expected ',' or ']' in a JSON array, found ${describe(c.text, c.pos)}`);
        }
      }
    },
    native: (c) => {
      if (c.code() !== 0x5b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected '[', found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      if (c.code() === 0x5d) {
        c.pos++;
        return '[]';
      }
      let out = '[';
      for (let index = 0; ; index++) {
        let v = element.native(c);
        if (v === null) v = onNull();
        else if (typeof v === 'string') v = open + v + close;
        if (typeof v !== 'string') return prefix(v, `[${index}]`);
        out += index === 0 ? v : `,${v}`;
        const more = nativeNext(c, 0x5d);
        if (more instanceof ConvertFailure) return more;
        if (!more) return `${out}]`;
      }
    },
  };
  // Built once: the whole-cell reader of the native rendering (no closure per value).
  const wholeNative = whole(codec.native, false);
  return codec;
}

/**
 * map(K,V) -> REPEATED RECORD<key, value> (BigQuery has no MAP; c11). JSON form is an object (Trino casts
 * keys to strings: `{"1":2}`); native form `{1=2, 3=4}`. A NULL value is written as `"value":null`.
 */
function mapCodec(key: Codec, value: Codec, valueRepeated: boolean, keyName: string, valueName: string, stats: ConvertStats): Codec {
  const keyPrefix = `{${JSON.stringify(keyName)}:`;
  const valuePrefix = `,${JSON.stringify(valueName)}:`;
  const entry = (k: Out, v: Out, index: number): string | ConvertFailure => {
    if (k === null) return new ConvertFailure(`NULL map key at entry ${index}`);
    if (k instanceof ConvertFailure) return prefix(k, `key of entry ${index}`);
    if (v instanceof ConvertFailure) return prefix(v, `value of entry ${index}`);
    if (v === null) {
      if (valueRepeated) {
        stats.nullArraysAsEmpty++;
        return `${keyPrefix}${k}}`;
      }
      return `${keyPrefix}${k}${valuePrefix}null}`;
    }
    return `${keyPrefix}${k}${valuePrefix}${v}}`;
  };
  const codec: Codec = {
    text: (s) => wholeNative(s),
    json: (c) => {
      c.ws();
      if (c.code() !== 0x7b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected a JSON object for a map, found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      c.ws();
      if (c.code() === 0x7d) {
        c.pos++;
        return '[]';
      }
      let out = '[';
      for (let index = 0; ; index++) {
        c.ws();
        if (c.code() !== 0x22) return new ConvertFailure(`expected a JSON object key, found ${describe(c.text, c.pos)}`);
        const k = key.json(c);
        c.ws();
        const colon = expect(c, 0x3a, "':'");
        if (colon) return colon;
        const e = entry(k, value.json(c), index);
        if (typeof e !== 'string') return e;
        out += index === 0 ? e : `,${e}`;
        c.ws();
        const code = c.code();
        c.pos++;
        if (code === 0x7d) return `${out}]`;
        if (code !== 0x2c) {
          c.pos--;
          return new ConvertFailure(`expected ',' or '}' in a JSON object, found ${describe(c.text, c.pos)}`);
        }
      }
    },
    native: (c) => {
      if (c.code() !== 0x7b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected '{', found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      if (c.code() === 0x7d) {
        c.pos++;
        return '[]';
      }
      let out = '[';
      for (let index = 0; ; index++) {
        const k = key.native(c);
        const eq = expect(c, 0x3d, "'=' between a map key and its value");
        if (eq) return eq;
        const e = entry(k, value.native(c), index);
        if (typeof e !== 'string') return e;
        out += index === 0 ? e : `,${e}`;
        const more = nativeNext(c, 0x7d);
        if (more instanceof ConvertFailure) return more;
        if (!more) return `${out}]`;
      }
    },
  };
  // Built once: the whole-cell reader of the native rendering (no closure per value).
  const wholeNative = whole(codec.native, false);
  return codec;
}

interface RowFieldCodec {
  /** Athena's field name ('' when anonymous). */
  athenaName: string;
  /** `"name":` as written. */
  key: string;
  codec: Codec;
  repeated: boolean;
  required: boolean;
}

/**
 * row(…) -> RECORD. JSON form: an object keyed by field name (Trino), or a positional array (Presto and
 * Trino's legacy cast; anonymous fields give `""` keys, so they are matched by position). Native form
 * `{a=1, b=2}` (names optional). NULL fields are written as null (REPEATED ones omitted = empty).
 */
function rowCodec(fields: readonly RowFieldCodec[], stats: ConvertStats): Codec {
  const n = fields.length;
  const byName = new Map<string, number>();
  fields.forEach((f, i) => {
    if (f.athenaName !== '' && !byName.has(f.athenaName)) byName.set(f.athenaName, i);
    const lower = f.athenaName.toLowerCase();
    if (lower !== '' && !byName.has(lower)) byName.set(lower, i);
  });
  const assemble = (values: Out[]): string | ConvertFailure => {
    let out = '{';
    let sep = '';
    for (let i = 0; i < n; i++) {
      const f = fields[i]!;
      const v = values[i];
      if (v instanceof ConvertFailure) return prefix(v, `field ${f.athenaName || i}`);
      if (v === null || v === undefined) {
        if (f.repeated) {
          stats.nullArraysAsEmpty++;
          continue;
        }
        if (f.required) return new ConvertFailure(`field ${f.athenaName || i} is NULL but the target field is REQUIRED`);
        out += `${sep}${f.key}null`;
      } else out += sep + f.key + v;
      sep = ',';
    }
    return `${out}}`;
  };
  const codec: Codec = {
    text: (s) => wholeNative(s),
    json: (c) => {
      c.ws();
      const open = c.code();
      if (open !== 0x5b && open !== 0x7b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected a JSON object or array for a row, found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      const close = open === 0x5b ? 0x5d : 0x7d;
      const values: Out[] = new Array<Out>(n).fill(null);
      c.ws();
      if (c.code() === close) {
        c.pos++;
        if (n > 0) return new ConvertFailure(`the row has no values, expected ${n}`);
        return assemble(values);
      }
      for (let index = 0; ; index++) {
        let target = index;
        if (open === 0x7b) {
          c.ws();
          if (c.code() !== 0x22) return new ConvertFailure(`expected a JSON object key, found ${describe(c.text, c.pos)}`);
          const start = c.pos;
          const escaped = c.skipString();
          if (escaped < 0) return new ConvertFailure(`invalid JSON: ${c.problem}`);
          const raw = c.text.slice(start, c.pos);
          const name = escaped === 1 ? (JSON.parse(raw) as string) : raw.slice(1, -1);
          if (name !== '') {
            const found = byName.get(name) ?? byName.get(name.toLowerCase());
            if (found === undefined) return new ConvertFailure(`unexpected row field ${JSON.stringify(name)}`);
            target = found;
          }
          c.ws();
          const colon = expect(c, 0x3a, "':'");
          if (colon) return colon;
        }
        if (target >= n) return new ConvertFailure(`the row has more than the ${n} fields of its type`);
        values[target] = fields[target]!.codec.json(c);
        if (values[target] instanceof ConvertFailure) return assemble(values);
        c.ws();
        const code = c.code();
        c.pos++;
        if (code === close) {
          if (open === 0x5b && index + 1 !== n) return new ConvertFailure(`the row has ${index + 1} values, expected ${n}`);
          return assemble(values);
        }
        if (code !== 0x2c) {
          c.pos--;
          return new ConvertFailure(`expected ',' in a JSON row, found ${describe(c.text, c.pos)}`);
        }
      }
    },
    native: (c) => {
      if (c.code() !== 0x7b) {
        if (readNull(c)) return null;
        return new ConvertFailure(`expected '{', found ${describe(c.text, c.pos)}`);
      }
      c.pos++;
      const values: Out[] = new Array<Out>(n);
      for (let index = 0; index < n; index++) {
        skipNativeFieldName(c);
        values[index] = fields[index]!.codec.native(c);
        if (values[index] instanceof ConvertFailure) return assemble(values);
        const more = nativeNext(c, 0x7d);
        if (more instanceof ConvertFailure) return more;
        if (!more) {
          if (index + 1 !== n) return new ConvertFailure(`the row has ${index + 1} values, expected ${n}`);
          return assemble(values);
        }
      }
      return new ConvertFailure(`the row has more than the ${n} fields of its type`);
    },
  };
  // Built once: the whole-cell reader of the native rendering (no closure per value).
  const wholeNative = whole(codec.native, false);
  return codec;
}

/** Skips `name=` before a native row value (present for named fields; safe because leaf values have no `=`). */
function skipNativeFieldName(c: Cursor): void {
  const t = c.text;
  for (let i = c.pos; i < t.length; i++) {
    const code = t.charCodeAt(i);
    if (code === 0x3d) {
      c.pos = i + 1;
      return;
    }
    // , ] } [ {
    if (code === 0x2c || code === 0x5d || code === 0x7d || code === 0x5b || code === 0x7b) return;
  }
}

function subField(target: BigQueryField | undefined, name: string): BigQueryField | undefined {
  const lower = name.toLowerCase();
  return target?.fields?.find((f) => f.name.toLowerCase() === lower);
}

/** A field built from a compiled node. */
export function fieldOf(name: string, compiled: Compiled, mode: 'NULLABLE' | 'REQUIRED' = 'NULLABLE'): BigQueryField {
  const field: BigQueryField = { name, type: compiled.shape.type, mode: compiled.shape.repeated ? 'REPEATED' : mode };
  if (compiled.shape.fields) field.fields = compiled.shape.fields;
  return field;
}

const arrayRule: TypeRule<'array'> = {
  nativeSafe: true,
  compile: (t, cx, target) => {
    if (t.element === undefined) return rawStringCompiled();
    const probe = compileType(t.element, { ...cx, conflicts: [] }, undefined);
    const wrapped = probe.shape.repeated;
    const elementTarget = target === undefined ? undefined : wrapped ? subField(target, 'element') : { ...target, mode: 'NULLABLE' as const };
    const element = compileType(t.element, { ...cx, path: `${cx.path}[]` }, elementTarget);
    const shape: Shape = wrapped
      ? { type: 'RECORD', repeated: true, fields: [fieldOf('element', element)] }
      : { type: element.shape.type, repeated: true, ...(element.shape.fields ? { fields: element.shape.fields } : {}) };
    return { shape, codec: arrayCodec(element.codec, wrapped, cx.stats) };
  },
};

const mapRule: TypeRule<'map'> = {
  nativeSafe: true,
  compile: (t, cx, target) => {
    if (t.key === undefined || t.value === undefined) return rawStringCompiled();
    const keyTarget = subField(target, 'key');
    const valueTarget = subField(target, 'value');
    const key = compileType(t.key, { ...cx, path: `${cx.path}.key` }, keyTarget);
    const value = compileType(t.value, { ...cx, path: `${cx.path}.value` }, valueTarget);
    return {
      shape: { type: 'RECORD', repeated: true, fields: [fieldOf(keyTarget?.name ?? 'key', key, 'REQUIRED'), fieldOf(valueTarget?.name ?? 'value', value)] },
      codec: mapCodec(key.codec, value.codec, value.shape.repeated, keyTarget?.name ?? 'key', valueTarget?.name ?? 'value', cx.stats),
    };
  },
};

const rowRule: TypeRule<'row'> = {
  nativeSafe: true,
  compile: (t, cx, target) => {
    if (t.fields === undefined) return rawStringCompiled();
    // Anonymous fields are named field0, field1, … by position.
    const names = t.fields.map((f, i) => f.name ?? `field${i}`);
    validateFieldNames(names, `${cx.path}.`);
    const fields: BigQueryField[] = [];
    const codecs: RowFieldCodec[] = t.fields.map((f, i) => {
      const fieldTarget = subField(target, names[i]!);
      const outName = fieldTarget?.name ?? names[i]!;
      const compiled = compileType(f.type, { ...cx, path: `${cx.path}.${names[i]!}` }, fieldTarget);
      fields.push(fieldOf(outName, compiled));
      return {
        athenaName: f.name ?? '',
        key: `${JSON.stringify(outName)}:`,
        codec: compiled.codec,
        repeated: compiled.shape.repeated,
        required: fieldTarget !== undefined && normalizeMode(fieldTarget.mode) === 'REQUIRED',
      };
    });
    return { shape: { type: 'RECORD', repeated: false, fields }, codec: rowCodec(codecs, cx.stats) };
  },
};

function rawStringCompiled(): Compiled {
  return { shape: { type: 'STRING', repeated: false }, codec: stringCodec() };
}

/**
 * Athena kind -> BigQuery type and converter (DESIGN §5). The order follows ATHENA_TYPE_KINDS.
 */
export const TYPE_TABLE: { readonly [K in AthenaTypeKind]: TypeRule<K> } = {
  boolean: leafRule('BOOL', () => booleanLeaf, true),
  tinyint: leafRule('INT64', () => integerLeaf, true),
  smallint: leafRule('INT64', () => integerLeaf, true),
  integer: leafRule('INT64', () => integerLeaf, true),
  bigint: leafRule('INT64', () => integerLeaf, true),
  real: leafRule('FLOAT64', () => doubleLeaf, true),
  double: leafRule('FLOAT64', () => doubleLeaf, true),
  decimal: leafRule<'decimal'>((t) => decimalBigQueryType(t.precision, t.scale), (_t, _cx, target) => decimalLeaf(decimalLimits(target)), true),
  char: asString(false),
  varchar: asString(false),
  varbinary: leafRule('BYTES', () => varbinaryLeaf, false),
  date: leafRule('DATE', () => dateLeaf, true),
  time: leafRule('TIME', (_t, cx) => timeLeaf(cx.stats), true),
  time_tz: asString(true),
  timestamp: leafRule('TIMESTAMP', (_t, cx, target) => timestampLeaf(cx.stats, isDatetimeTarget(target)), true),
  timestamp_tz: leafRule('TIMESTAMP', (_t, cx, target) => timestampTzLeaf(cx.stats, isDatetimeTarget(target)), true),
  json: { nativeSafe: false, compile: (_t, cx) => ({ shape: { type: 'JSON', repeated: false }, codec: jsonCodec(cx.stats) }) },
  uuid: asString(true),
  ipaddress: asString(true),
  interval_ym: asString(true),
  interval_ds: asString(true),
  array: arrayRule,
  map: mapRule,
  row: rowRule,
  unknown: asString(false),
};

/** True when a value of this type can be parsed from Athena's native text rendering (see TypeRule). */
export function nativeSafe(type: AthenaType): boolean {
  switch (type.kind) {
    case 'array':
      return type.element !== undefined && nativeSafe(type.element);
    case 'map':
      return type.key !== undefined && type.value !== undefined && nativeSafe(type.key) && nativeSafe(type.value);
    case 'row':
      return type.fields !== undefined && type.fields.every((f) => nativeSafe(f.type));
    default:
      return TYPE_TABLE[type.kind].nativeSafe;
  }
}

/**
 * Compiles the converter of one type node. With `target` (the existing table's field for this node), the
 * value is written in the form that field takes: exact text for a STRING field (B8), digit limits for a
 * NUMERIC field (B4), wall time for DATETIME. Incompatible targets are recorded in `cx.conflicts`.
 */
export function compileType(type: AthenaType, cx: CompileContext, target: BigQueryField | undefined): Compiled {
  const rule = TYPE_TABLE[type.kind] as TypeRule<AthenaTypeKind>;
  const own = rule.compile(type as never, cx, undefined);
  if (target === undefined) return own;
  const compatibility = fieldCompatibility(fieldOf('', own), target, cx.path);
  switch (compatibility.kind) {
    case 'string':
      // REPEATED STRING target: the array is kept and each element is written as text (by the element's target).
      if (own.shape.repeated && normalizeMode(target.mode) === 'REPEATED') return rule.compile(type as never, cx, target);
      return { shape: own.shape, codec: stringCodec() };
    case 'conflict':
      cx.conflicts.push({
        path: cx.path,
        existingType: describeField(target),
        wantedType: describeField(fieldOf('', own)),
        hint: compatibility.hint,
      });
      return own;
    default:
      return rule.compile(type as never, cx, target);
  }
}

/** `REPEATED INT64`, `NUMERIC(10,2)`, `RECORD`: a field's type as people write it. */
export function describeField(field: BigQueryField): string {
  const type = normalizeBigQueryType(field.type);
  const params = field.precision !== undefined ? `(${field.precision}${field.scale !== undefined ? `,${field.scale}` : ''})` : '';
  return `${normalizeMode(field.mode) === 'REPEATED' ? 'REPEATED ' : ''}${type}${params}`;
}
