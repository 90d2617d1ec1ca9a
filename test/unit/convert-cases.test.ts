/**
 * Every case of test/fixtures/athena-results.json (c01…c16): ColumnInfo -> BigQuery schema, and each data
 * row -> NDJSON value (compared digit for digit) or a rejected row. Paging and header handling belong to
 * the result reader; here pages are flattened the documented way (header = row 0 of page 1 of a SELECT).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  applyTypeHint,
  columnFromColumnInfo,
  compileRowConverter,
  toBigQuerySchema,
  type BigQueryField,
  type Column,
  type ColumnInfoLike,
  type RejectedValue,
} from '../../src/convert/index.ts';

interface Datum {
  VarCharValue?: string;
}
interface Response {
  ResultSet: { Rows: { Data: Datum[] }[]; ResultSetMetadata: { ColumnInfo: ColumnInfoLike[] } };
}
interface Case {
  id: string;
  statementType: string;
  responses: Response[];
  columns: { athenaName: string; athenaType: string; bigquery: BigQueryField }[];
  expected: unknown;
  rejectRows: { dataRowIndex: number; value: string; reason: string }[];
  typeHints?: Record<string, string>;
  extraScenario?: { response: Response; expected: unknown[] };
}

const text = readFileSync(new URL('../fixtures/athena-results.json', import.meta.url), 'utf8');
const cases = JSON.parse(text) as Case[];
// The same file parsed without losing digits (12345678901234567890 in c14), for the expected values.
const exactCases = parseExact(text) as Case[];

/** JSON.parse keeping numbers exact: integer literals -> BigInt; integral doubles -> BigInt; others -> double. */
function parseExact(json: string): unknown {
  return JSON.parse(json, ((_key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    if (/^-?\d+$/.test(context.source)) return BigInt(context.source);
    const n = Number(context.source);
    return Number.isInteger(n) ? BigInt(n) : n;
  }) as (key: string, value: unknown) => unknown);
}

const cell = (d: Datum): string | null => (d.VarCharValue === undefined ? null : d.VarCharValue);

function columnsOf(c: Case, response: Response): Column[] {
  return response.ResultSet.ResultSetMetadata.ColumnInfo.map((info) => {
    const column = columnFromColumnInfo(info);
    const hint = c.typeHints?.[column.name];
    // "json (from array(varchar))" describes a json column: BigQuery JSON, no hint to apply.
    return hint === undefined || hint.startsWith('json') ? column : applyTypeHint(column, hint);
  });
}

/** Data rows of a SELECT: the header is row 0 of the first page only (c15). */
function dataRows(c: Case, responses: Response[]): (string | null)[][] {
  return responses.flatMap((r, page) => r.ResultSet.Rows.slice(page === 0 && c.statementType === 'DML' ? 1 : 0)).map((row) => row.Data.map(cell));
}

/** Expected rows with keys of REPEATED fields dropped when null (we omit them: BigQuery stores []). */
function normalizeExpected(rows: unknown[], fields: BigQueryField[]): unknown[] {
  const repeated = new Set(fields.filter((f) => f.mode === 'REPEATED').map((f) => f.name));
  return rows.map((row) => Object.fromEntries(Object.entries(row as Record<string, unknown>).filter(([k, v]) => !(v === null && repeated.has(k)))));
}

function convertAll(columns: Column[], rows: (string | null)[][]) {
  const converter = compileRowConverter(columns);
  const lines: string[] = [];
  const rejected: { index: number; value: RejectedValue }[] = [];
  rows.forEach((cells, index) => {
    const out = converter.convert(cells);
    if (typeof out === 'string') lines.push(out);
    else rejected.push({ index, value: out });
  });
  return { lines, rejected, stats: converter.stats, warnings: converter.warnings };
}

// Counters a case must leave behind (others stay 0).
const EXPECTED_STATS: Record<string, Record<string, number>> = {
  c07_timestamp_precisions: { truncatedTimestamps: 2 },
  c08_timestamptz_time: { ambiguousLocalTimes: 1 },
  c10_arrays: { nullArraysAsEmpty: 2 },
  c11_maps: { nullArraysAsEmpty: 1 },
  c14_json_uuid_ip_interval: { jsonNullsCollapsed: 1 },
};

// Columns that load as raw STRING text and must say so (c10 as_raw, c11 m_raw).
const EXPECTED_WARNINGS: Record<string, string[]> = {
  c10_arrays: ['as_raw'],
  c11_maps: ['m_raw'],
};

describe('athena-results.json cases', () => {
  it('covers every case id in the fixture', () => {
    assert.deepEqual(
      cases.map((c) => c.id),
      [
        'c01_integers',
        'c02_real_double',
        'c03_decimals',
        'c04_varchar_edge_cases',
        'c05_char_boolean_unknown',
        'c06_dates',
        'c07_timestamp_precisions',
        'c08_timestamptz_time',
        'c09_varbinary',
        'c10_arrays',
        'c11_maps',
        'c14_json_uuid_ip_interval',
        'c15_paging_and_header',
        'c16_utility_no_header',
      ],
    );
  });

  for (const [i, c] of cases.entries()) {
    if (c.id === 'c16_utility_no_header') continue;
    const exact = exactCases[i]!;
    describe(c.id, () => {
      const columns = columnsOf(c, c.responses[0]!);
      const rows = dataRows(c, c.responses);

      it('maps ColumnInfo (+ type hints) to the expected BigQuery fields', () => {
        assert.deepEqual(
          toBigQuerySchema(columns),
          c.columns.map((col) => col.bigquery),
        );
      });

      it('writes the expected NDJSON values and rejects the expected rows', () => {
        const { lines, rejected, stats, warnings } = convertAll(columns, rows);
        assert.deepEqual(
          rejected.map((r) => r.index),
          c.rejectRows.map((r) => r.dataRowIndex),
          `rejected rows: ${JSON.stringify(rejected)}`,
        );
        for (const [k, want] of c.rejectRows.entries()) {
          const got = rejected[k]!.value;
          // The fixture names the offending cell(s): "-0001-12-31", or "ai='[1, null, 3]', adt='[null]'".
          assert.ok(want.value === got.value || want.value.includes(`${got.column}='${got.value}'`), `value ${JSON.stringify(got)}`);
          if (c.id === 'c06_dates') assert.equal(got.reason, want.reason);
          else assert.match(got.reason, /NULL element/);
        }
        const fields = c.columns.map((col) => col.bigquery);
        assert.deepEqual(lines.map(parseExact), normalizeExpected(exact.expected as unknown[], fields));
        const wantStats = EXPECTED_STATS[c.id] ?? {};
        for (const [name, value] of Object.entries(stats)) assert.equal(value, wantStats[name] ?? 0, `stats.${name}`);
        assert.deepEqual(
          warnings.map((w) => w.column),
          EXPECTED_WARNINGS[c.id] ?? [],
        );
      });
    });
  }

  it('c15: a SELECT with only the header row converts to no lines', () => {
    const c = cases.find((x) => x.id === 'c15_paging_and_header')!;
    const scenario = c.extraScenario!;
    const { lines } = convertAll(columnsOf(c, scenario.response), dataRows(c, [scenario.response]));
    assert.deepEqual(lines, scenario.expected);
  });

  describe('c16_utility_no_header', () => {
    const c = cases.find((x) => x.id === 'c16_utility_no_header')!;
    const expected = c.expected as { show_tables: unknown[]; describe: unknown[] };
    it('SHOW TABLES: every row is data (no header), the value equal to the column name included', () => {
      const response = c.responses[0]!;
      const columns = columnsOf(c, response);
      assert.deepEqual(toBigQuerySchema(columns), [c.columns[0]!.bigquery]);
      const { lines } = convertAll(columns, dataRows(c, [response]));
      assert.deepEqual(lines.map((l) => JSON.parse(l)), expected.show_tables);
    });
    it('DESCRIBE: string values convert exactly once the reader has split the packed datum', () => {
      const response = c.responses[1]!;
      const columns = columnsOf(c, response);
      assert.deepEqual(
        toBigQuerySchema(columns),
        ['col_name', 'data_type', 'comment'].map((name) => ({ name, type: 'STRING', mode: 'NULLABLE' })),
      );
      // The reader's job (another module): one tab-separated, space-padded datum -> three cells.
      const rows = dataRows(c, [response]).map((cells) => (cells.length === 1 ? cells[0]!.split('\t').map((s) => s.trim()) : cells));
      const { lines } = convertAll(columns, rows);
      assert.deepEqual(lines.map((l) => JSON.parse(l)), expected.describe);
    });
  });
});
