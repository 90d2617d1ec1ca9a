/**
 * Streaming reader for the result file Athena writes to `<OutputLocation>/<QueryExecutionId>.csv`.
 *
 * The format (DESIGN §4; public reports A5–A7): a header line of quoted column names, then one line per
 * row; every non-NULL value is double-quoted with `"` doubled inside; NULL is an unquoted empty field;
 * values may contain newlines (inside the quotes); lines end with `\n`. So `,,` is two NULLs, `,"",` an
 * empty string, and in a one-column result an empty line is a row whose only value is NULL (A7,
 * PyAthena #117). General-purpose CSV readers lose the NULL/"" distinction (PyAthena #118, athena-express
 * PR #72), which is why this is a small dedicated state machine.
 *
 * Why hand-written and not `csv-parse`: csv-parse can tell quoted from unquoted fields only through a
 * per-field `cast(value, context)` callback (`context.quoting`), it would be a new dependency, and Athena's
 * format needs no dialect options. This parser works on decoded string chunks and jumps from quote to quote
 * with `indexOf`, so a quoted value costs one native scan and one slice.
 */
import { TransferError } from '../errors.ts';

/**
 * Rows and batches are created with `NO_SITE.slice()` rather than `[]`: V8 pretenures a hot `[]` allocation
 * site after a few GCs, and then every parsed row went straight to old space until a full GC; at 1M rows
 * that alone pushed peak RSS past 256 MiB depending on module load order (measured with `npm run bench`).
 */
const NO_SITE: never[] = [];

/** One value: `null` for SQL NULL (unquoted empty field), a string otherwise (`""` for a quoted empty field). */
export type ResultCell = string | null;
/** One data row, one cell per column in header order. */
export type ResultRow = ResultCell[];

/** Options for {@link readResultCsv}. */
export interface ReadResultCsvOptions {
  /**
   * The column names the query returned (GetQueryResults' `ColumnInfo[].Name`). The header line must
   * equal them exactly; without them the header only fixes the number of fields per line.
   */
  columns?: readonly string[];
  /** Rows per yielded batch (default 1000); the last batch may be smaller. */
  batchRows?: number;
  /** Where the bytes come from (e.g. the `s3://…` URI), used in error messages only. */
  sourceName?: string;
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const LF = 10; // \n
const CR = 13; // \r

// Parser states between characters; plain numbers because `enum` is not erasable syntax.
const FIELD_START = 0; // at the start of a field (also the start of a line)
const QUOTED = 1; // inside a quoted value
const QUOTE_SEEN = 2; // just after a `"` inside a quoted value: either `""` (escaped) or the closing quote
const UNQUOTED = 3; // inside an unquoted non-empty value (Athena never writes one; accepted, see below)
const CR_SEEN = 4; // just after a `\r` outside quotes: only `\n` may follow (CRLF line end)

type State = typeof FIELD_START | typeof QUOTED | typeof QUOTE_SEEN | typeof UNQUOTED | typeof CR_SEEN;

const DEFAULT_BATCH_ROWS = 1000;

/**
 * Parses an Athena result CSV from a stream of chunks and yields batches of data rows.
 *
 * Chunks may be split anywhere: inside a quoted value, between the two quotes of `""`, between `\r` and
 * `\n`, or inside a multi-byte UTF-8 character (bytes are decoded with a streaming, fatal UTF-8 decoder).
 * The header line is validated and dropped. CRLF line ends are accepted. A final line without `\n` is
 * still a row; the end of the file right after a `\n` is not.
 *
 * Memory: the rows of one source chunk plus one batch; nothing else grows with the file.
 *
 * @throws TransferError `S3_RESULT_READ_FAILED` with `details.line` (1-based physical line: where the bad
 *   row or unterminated quote starts) and
 *   `details.reason` for: no header, header not matching `options.columns`, a line with the wrong number
 *   of fields, an unterminated quoted value, a character after a closing quote, a `"` inside an unquoted
 *   value, a bare `\r`, invalid UTF-8. Errors thrown by `source` itself propagate unchanged.
 */
export async function* readResultCsv(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadResultCsvOptions = {},
): AsyncGenerator<ResultRow[], void, undefined> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new RangeError(`batchRows must be a positive integer, got ${String(batchRows)}`);
  }
  const parser = new AthenaCsvParser(options.columns, batchRows, options.sourceName ?? 'result file');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch (cause) {
        // Rare path: parse up to the first undecodable byte so the error names its line. (Approximate
        // only if the data itself holds U+FFFD earlier in this chunk.)
        const lossy = new TextDecoder('utf-8').decode(chunk);
        const bad = lossy.indexOf('\uFFFD');
        if (bad > 0) parser.push(lossy.slice(0, bad));
        throw parser.malformed('invalid UTF-8 bytes', 'invalid-utf8', cause);
      }
    }
    if (text.length > 0) parser.push(text);
    yield* parser.takeReady();
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch (cause) {
    // A multi-byte character cut off by the end of the stream.
    throw parser.malformed('the file ends inside a UTF-8 character', 'invalid-utf8', cause);
  }
  if (tail.length > 0) parser.push(tail);
  parser.end();
  yield* parser.takeReady();
}

/**
 * The state machine behind {@link readResultCsv}. Exported for tests and benchmarks that drive it
 * without an async source; most callers want `readResultCsv`.
 */
export class AthenaCsvParser {
  private readonly expectedNames: readonly string[] | undefined;
  private readonly batchRows: number;
  private readonly sourceName: string;
  private state: State = FIELD_START;
  /** Field count per line, from `columns` or the header; -1 until known. */
  private width: number;
  private headerDone = false;
  private row: ResultCell[] = [];
  /** The part of the current quoted/unquoted value seen so far (values can span chunks). */
  private value = '';
  /** 1-based physical line of the parser's position. */
  private line = 1;
  /** Line where the current row started (a row can span lines through quoted newlines). */
  private rowLine = 1;
  /** Line where the current quoted value opened. */
  private quoteLine = 1;
  private batch: ResultRow[] = [];
  private ready: ResultRow[][] = [];
  /** Data rows completed so far (header excluded). */
  rowsRead = 0;

  constructor(columns: readonly string[] | undefined, batchRows = DEFAULT_BATCH_ROWS, sourceName = 'result file') {
    this.expectedNames = columns;
    this.width = columns === undefined ? -1 : columns.length;
    this.batchRows = batchRows;
    this.sourceName = sourceName;
  }

  /** Feeds decoded text; completed rows become available from {@link takeReady}. */
  push(text: string): void {
    const n = text.length;
    let i = 0;
    let state = this.state;
    let lf = -1;
    while (i < n) {
      if (state === QUOTED) {
        // Jump to the next quote: everything before it is value text, newlines included.
        const q = text.indexOf('"', i);
        if (q === -1) {
          this.value += text.slice(i);
          i = n;
        } else {
          this.value = this.value.length === 0 ? text.slice(i, q) : this.value + text.slice(i, q);
          i = q + 1;
          state = QUOTE_SEEN;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (state === FIELD_START) {
        if (c === QUOTE) {
          // Fast path (almost every value): the closing quote and the `,` or `\n` after it are in this
          // chunk and the value holds no `""`; one indexOf and one slice.
          const q = text.indexOf('"', i + 1);
          if (q !== -1 && q + 1 < n) {
            const d = text.charCodeAt(q + 1);
            if (d === COMMA || d === LF) {
              // Count newlines inside the value for error line numbers: `lf` is the next '\n' not yet
              // counted, so each '\n' of the chunk is searched for once.
              if (lf < i) lf = nextLf(text, i);
              while (lf < q) {
                this.line++;
                lf = nextLf(text, lf + 1);
              }
              this.row.push(text.slice(i + 1, q));
              i = q + 2;
              if (d === LF) this.endRow();
              continue;
            }
          }
          state = QUOTED;
          this.value = '';
          this.quoteLine = this.line;
          i++;
        } else if (c === COMMA) {
          this.row.push(null);
          i++;
        } else if (c === LF) {
          // An empty field at the end of a line; on an empty line this makes the row `[null]` (A7).
          this.row.push(null);
          this.endRow();
          i++;
        } else if (c === CR) {
          this.row.push(null);
          state = CR_SEEN;
          i++;
        } else {
          state = UNQUOTED;
          this.value = '';
        }
      } else if (state === QUOTE_SEEN) {
        if (c === QUOTE) {
          // `""` inside quotes is one literal quote.
          this.value += '"';
          state = QUOTED;
          i++;
          continue;
        }
        this.finishQuotedValue();
        if (c === COMMA) {
          state = FIELD_START;
          i++;
        } else if (c === LF) {
          this.endRow();
          state = FIELD_START;
          i++;
        } else if (c === CR) {
          state = CR_SEEN;
          i++;
        } else {
          this.state = state;
          throw this.malformed(
            `unexpected character ${describeChar(c)} after the closing quote of a value (expected , or end of line)`,
            'text-after-quote',
          );
        }
      } else if (state === UNQUOTED) {
        // Athena quotes every non-NULL value, so this path only serves hand-written or other tools'
        // files (e.g. moto's); it is exact as long as the text holds no `"`.
        let j = i;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR || d === QUOTE) break;
          j++;
        }
        this.value += text.slice(i, j);
        i = j;
        if (j === n) break;
        const d = text.charCodeAt(j);
        if (d === QUOTE) {
          this.state = state;
          throw this.malformed('a `"` inside an unquoted value (Athena quotes every non-NULL value)', 'quote-in-unquoted');
        }
        this.row.push(this.value);
        this.value = '';
        i++;
        if (d === COMMA) {
          state = FIELD_START;
        } else if (d === LF) {
          this.endRow();
          state = FIELD_START;
        } else {
          state = CR_SEEN;
        }
      } else {
        // CR_SEEN: a `\r` outside quotes is only valid as the first half of CRLF.
        if (c !== LF) {
          this.state = state;
          throw this.malformed('a carriage return not followed by a line feed outside quotes', 'bare-cr');
        }
        this.endRow();
        state = FIELD_START;
        i++;
      }
    }
    this.state = state;
  }

  /** Signals the end of input: completes a last line without `\n` or reports a truncated file. */
  end(): void {
    switch (this.state) {
      case QUOTED:
        throw this.malformed(
          'a quoted value opened on this line is not closed before the end of the file (truncated file?)',
          'unterminated-quote',
          undefined,
          this.quoteLine,
        );
      case QUOTE_SEEN:
        this.finishQuotedValue();
        this.endRow();
        break;
      case UNQUOTED:
        this.row.push(this.value);
        this.value = '';
        this.endRow();
        break;
      case CR_SEEN:
        this.endRow();
        break;
      case FIELD_START:
        // After a comma the line still needs its last (NULL) field; at a line start there is no row.
        if (this.row.length > 0) {
          this.row.push(null);
          this.endRow();
        }
        break;
    }
    this.state = FIELD_START;
    if (!this.headerDone) {
      throw this.malformed('the file is empty: no header line', 'no-header');
    }
    if (this.batch.length > 0) {
      this.ready.push(this.batch);
      this.batch = [];
    }
  }

  /** Removes and returns the complete batches (each of `batchRows` rows; the last one after `end()` may be smaller). */
  takeReady(): ResultRow[][] {
    if (this.ready.length === 0) return EMPTY;
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Builds the typed error for a malformed file at the current line. */
  malformed(problem: string, reason: string, cause?: unknown, line = this.line): TransferError {
    return new TransferError(
      'S3_RESULT_READ_FAILED',
      `Athena result CSV ${this.sourceName} is malformed at line ${line}: ${problem}`,
      {
        status: 502,
        hint:
          'The file is not an intact Athena result CSV (truncated download, overwritten object, or written by ' +
          'another tool). Re-read it; if it persists, check that the path is the OutputLocation GetQueryExecution ' +
          'reports for this query, or read the rows with GetQueryResults instead.',
        details: { source: this.sourceName, line, reason, dataRowsRead: this.rowsRead },
        cause,
      },
    );
  }

  private finishQuotedValue(): void {
    const value = this.value;
    this.value = '';
    // Keep the physical line count right for error messages: quoted values may contain newlines.
    let p = value.indexOf('\n');
    while (p !== -1) {
      this.line++;
      p = value.indexOf('\n', p + 1);
    }
    this.row.push(value);
  }

  private endRow(): void {
    const row = this.row;
    this.row = NO_SITE.slice();
    if (!this.headerDone) {
      this.checkHeader(row);
    } else {
      if (row.length !== this.width) {
        throw this.malformed(
          `the row has ${row.length} field(s), expected ${this.width}` +
            (row.length === 1 && row[0] === null ? ' (an empty line is only valid in a one-column result)' : ''),
          'field-count',
          undefined,
          this.rowLine,
        );
      }
      this.rowsRead++;
      this.batch.push(row);
      if (this.batch.length === this.batchRows) {
        this.ready.push(this.batch);
        this.batch = NO_SITE.slice();
      }
    }
    this.line++;
    this.rowLine = this.line;
  }

  private checkHeader(header: ResultRow): void {
    if (header.some((name) => name === null)) {
      throw this.malformed('the header line has an unquoted empty column name', 'header-mismatch');
    }
    const names = header as string[];
    const expected = this.expectedNames;
    if (expected !== undefined) {
      const same = names.length === expected.length && names.every((name, k) => name === expected[k]);
      if (!same) {
        throw this.malformed(
          `the header ${JSON.stringify(names)} does not match the query's columns ${JSON.stringify(expected)}`,
          'header-mismatch',
        );
      }
    } else {
      this.width = names.length;
    }
    this.headerDone = true;
  }
}

const EMPTY: ResultRow[][] = [];

/** Index of the next `\n` at or after `from`, or the text length when there is none. */
function nextLf(text: string, from: number): number {
  const p = text.indexOf('\n', from);
  return p === -1 ? text.length : p;
}

function describeChar(code: number): string {
  return code >= 32 && code < 127 ? `'${String.fromCharCode(code)}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
