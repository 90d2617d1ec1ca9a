/**
 * Reading BigQuery tables back in tests as plain JSON-safe values, independent of the Node client's
 * row parsing (which turns INT64 into lossy numbers, NUMERIC into Big objects, and the emulator's
 * `+Inf`/`-Inf` into NaN).
 */
import type { BigQuery } from '@google-cloud/bigquery';
import { bigQueryClient } from './clients.ts';
import type { Stack } from './stack.ts';

/** A JSON-safe value as {@link readTable} returns it. */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [key: string]: PlainValue };

/** A row: column name to value. */
export type PlainRow = Record<string, PlainValue>;

/** Options for {@link readTable}. */
export interface ReadTableOptions {
  /** `ORDER BY` expression, e.g. `id` or `k DESC`. Without it the order is the emulator's. */
  orderBy?: string;
  /** A client to reuse; default a new {@link bigQueryClient}. */
  client?: BigQuery;
}

interface WireField {
  name: string;
  type: string;
  mode?: string;
  fields?: WireField[];
}

interface WireCell {
  v: unknown;
}

interface WireQueryResponse {
  jobComplete?: boolean;
  jobReference?: { jobId: string; projectId: string; location?: string };
  schema?: { fields?: WireField[] };
  rows?: Array<{ f: WireCell[] }>;
  pageToken?: string;
}

const MICROS_PER_MS = 1000n;

/** `1704164645123456` (µs since epoch, as text) → `2024-01-02T03:04:05.123456Z`. */
export function microsToIso(micros: string): string {
  const us = BigInt(micros);
  let ms = us / MICROS_PER_MS;
  let rest = us % MICROS_PER_MS;
  if (rest < 0n) {
    rest += MICROS_PER_MS;
    ms -= 1n;
  }
  const iso = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

/** The emulator writes infinities as Go does (`+Inf`); BigQuery itself says `Infinity`. */
function float(text: string): number | string {
  switch (text) {
    case 'NaN':
      return 'NaN';
    case '+Inf':
    case 'Inf':
    case 'Infinity':
      return 'Infinity';
    case '-Inf':
    case '-Infinity':
      return '-Infinity';
    default:
      return Number(text);
  }
}

function scalar(field: WireField, value: unknown): PlainValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') {
    throw new Error(`column ${field.name} (${field.type}): expected text on the wire, got ${JSON.stringify(value)}`);
  }
  switch (field.type) {
    case 'BOOL':
    case 'BOOLEAN':
      return value === 'true';
    case 'FLOAT':
    case 'FLOAT64':
      return float(value);
    case 'TIMESTAMP':
      // Asked for with formatOptions.useInt64Timestamp, so the value is exact microseconds.
      return microsToIso(value);
    // INT64, NUMERIC, BIGNUMERIC stay exact text; BYTES stays base64; DATE/TIME/DATETIME/JSON/GEOGRAPHY as sent.
    default:
      return value;
  }
}

function cell(field: WireField, value: unknown): PlainValue {
  if (field.mode === 'REPEATED') {
    // BigQuery stores a NULL array as empty; the emulator may still answer null inside a RECORD.
    if (value === null || value === undefined) return [];
    if (!Array.isArray(value)) throw new Error(`column ${field.name}: expected an array, got ${JSON.stringify(value)}`);
    return value.map((element: WireCell) => single(field, element.v));
  }
  return single(field, value);
}

function single(field: WireField, value: unknown): PlainValue {
  if (field.type === 'RECORD' || field.type === 'STRUCT') {
    if (value === null || value === undefined) return null;
    return record(field.fields ?? [], (value as { f: WireCell[] }).f);
  }
  return scalar(field, value);
}

function record(fields: readonly WireField[], cells: readonly WireCell[]): PlainRow {
  const row: PlainRow = {};
  fields.forEach((field, i) => {
    row[field.name] = cell(field, cells[i]?.v ?? null);
  });
  return row;
}

/** One REST call through the client (its base URL and auth), answering the raw JSON body. */
function rest(client: BigQuery, options: Parameters<BigQuery['request']>[0]): Promise<WireQueryResponse> {
  return new Promise((resolve, reject) => {
    client.request(options, (error, body) => {
      if (error) reject(error);
      else resolve(body as WireQueryResponse);
    });
  });
}

/** Backtick-quotes a table path part; test names are plain identifiers, anything else is refused. */
function ident(part: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error(`refusing to quote identifier ${JSON.stringify(part)}`);
  return part;
}

/**
 * Every row of `dataset.table`, with INT64/NUMERIC/BIGNUMERIC as exact strings, FLOAT64 as numbers
 * (`"NaN"`, `"Infinity"`, `"-Infinity"` as strings), BOOL as booleans, BYTES as base64, TIMESTAMP as
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, DATE/TIME/JSON as their text, REPEATED as arrays (NULL → `[]`) and
 * RECORD as objects.
 *
 * Reads with a fully qualified query rather than tabledata.list: bigquery-emulator v0.8.1 answers
 * tabledata.list with `SELECT * FROM <table>` resolved without the dataset, so two datasets holding a
 * table of the same name return the first one's rows.
 */
export async function readTable(
  stack: Pick<Stack, 'bigqueryUrl' | 'projectId'>,
  dataset: string,
  table: string,
  options: ReadTableOptions = {},
): Promise<PlainRow[]> {
  const client = options.client ?? bigQueryClient(stack);
  const from = `\`${ident(stack.projectId)}.${ident(dataset)}.${ident(table)}\``;
  const query = `SELECT * FROM ${from}${options.orderBy ? ` ORDER BY ${options.orderBy}` : ''}`;
  let response = await rest(client, {
    method: 'POST',
    uri: '/queries',
    json: { query, useLegacySql: false, formatOptions: { useInt64Timestamp: true } },
  });
  const fields = response.schema?.fields ?? [];
  const rows: PlainRow[] = [];
  for (;;) {
    for (const row of response.rows ?? []) rows.push(record(fields, row.f));
    if (!response.pageToken || !response.jobReference) break;
    response = await rest(client, {
      uri: `/queries/${response.jobReference.jobId}`,
      qs: { pageToken: response.pageToken, 'formatOptions.useInt64Timestamp': true },
    });
  }
  return rows;
}

/**
 * Loads NDJSON text into a table with one load job through `table.createWriteStream` (the path the
 * function uses) and resolves with the job's metadata once the `complete` event fires.
 */
export async function loadNdjson(
  stack: Pick<Stack, 'bigqueryUrl' | 'projectId'>,
  dataset: string,
  table: string,
  ndjson: string,
  metadata: Record<string, unknown> = {},
  client: BigQuery = bigQueryClient(stack),
): Promise<Record<string, unknown>> {
  const stream = client.dataset(dataset).table(table).createWriteStream({
    sourceFormat: 'NEWLINE_DELIMITED_JSON',
    ...metadata,
  });
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.on('complete', (job: { metadata: Record<string, unknown> }) => resolve(job.metadata));
    stream.end(ndjson);
  });
}
