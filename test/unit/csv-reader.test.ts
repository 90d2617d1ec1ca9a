import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readResultCsv, type ReadResultCsvOptions, type ResultRow } from '../../src/athena/csv-reader.ts';
import { TransferError } from '../../src/errors.ts';
import { csvLine, resultCsvChunks, type FakeCell } from '../emulators/athena-fake.ts';

const encoder = new TextEncoder();

async function* chunksOf(parts: readonly (Uint8Array | string)[]): AsyncGenerator<Uint8Array | string> {
  for (const part of parts) yield part;
}

async function readAll(parts: readonly (Uint8Array | string)[], options?: ReadResultCsvOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for await (const batch of readResultCsv(chunksOf(parts), options)) rows.push(...batch);
  return rows;
}

async function readError(parts: readonly (Uint8Array | string)[], options?: ReadResultCsvOptions): Promise<TransferError> {
  try {
    await readAll(parts, options);
  } catch (error) {
    assert.ok(error instanceof TransferError, `expected a TransferError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected readResultCsv to throw');
}

/** Every split of `bytes` into two chunks, plus one chunk per byte. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes]];
  for (let k = 1; k < bytes.length; k++) out.push([bytes.subarray(0, k), bytes.subarray(k)]);
  out.push(Array.from(bytes, (_, k) => bytes.subarray(k, k + 1)));
  return out;
}

describe('readResultCsv: public reports A5–A7', () => {
  const cases: { name: string; file: string; columns: string[]; rows: FakeCell[][] }[] = [
    {
      // athena-express PR #72: an unquoted empty field is NULL, "false"/"0" are values.
      name: 'A5 NULL vs quoted values',
      file: '"id","flag","qty"\n"1",,\n"2","false","0"\n',
      columns: ['id', 'flag', 'qty'],
      rows: [
        ['1', null, null],
        ['2', 'false', '0'],
      ],
    },
    {
      // athena-express #43, node-athena #18: newline and comma inside quotes, doubled quotes.
      name: 'A6 quoting',
      file: '"id","content"\n"1","first line\nsecond, line"\n"2","He said ""hi"""\n',
      columns: ['id', 'content'],
      rows: [
        ['1', 'first line\nsecond, line'],
        ['2', 'He said "hi"'],
      ],
    },
    {
      // PyAthena #117/#118: SELECT x FROM (VALUES 'a', NULL, ''): the NULL row is an empty line.
      name: 'A7 all-NULL rows',
      file: '"x"\n"a"\n\n""\n',
      columns: ['x'],
      rows: [['a'], [null], ['']],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await readAll([c.file], { columns: c.columns }), c.rows);
      assert.deepEqual(await readAll([encoder.encode(c.file)], { columns: c.columns }), c.rows);
    });
  }
});

describe('readResultCsv: values', () => {
  const cases: { name: string; file: string; rows: FakeCell[][] }[] = [
    { name: 'NULL, empty string, NULL', file: '"a","b","c"\n,"",\n', rows: [[null, '', null]] },
    { name: 'all NULL in three columns', file: '"a","b","c"\n,,\n', rows: [[null, null, null]] },
    { name: 'a value that is only a quote', file: '"a","b"\n"""","x"\n', rows: [['"', 'x']] },
    { name: 'a value that is two quotes', file: '"a"\n""""""\n', rows: [['""']] },
    { name: 'commas and quotes', file: '"a","b"\n",,,","a""b,""c"\n', rows: [[',,,', 'a"b,"c']] },
    {
      name: 'unicode: emoji, CJK, combining mark, RTL',
      file: '"a","b"\n"😀 ü","日本語"\n"é","שלום"\n',
      rows: [
        ['😀 ü', '日本語'],
        ['é', 'שלום'],
      ],
    },
    { name: 'newlines only inside quotes', file: '"a"\n"\n\n"\n', rows: [['\n\n']] },
    { name: 'CRLF line ends', file: '"a","b"\r\n"1",\r\n"2","x"\r\n', rows: [['1', null], ['2', 'x']] },
    { name: 'CR and CRLF inside quotes are data', file: '"a"\n"x\r\ny\rz"\n', rows: [['x\r\ny\rz']] },
    { name: 'last line without newline', file: '"a","b"\n"1","2"', rows: [['1', '2']] },
    { name: 'last line ends in a NULL without newline', file: '"a","b"\n"1",', rows: [['1', null]] },
    { name: 'one-column NULL as the last row', file: '"x"\n"a"\n\n', rows: [['a'], [null]] },
    { name: 'header only: no rows', file: '"a","b"\n', rows: [] },
    { name: 'header without newline: no rows', file: '"a","b"', rows: [] },
    { name: 'unquoted values (other tools) are strings', file: '"a","b"\n1,x y\n', rows: [['1', 'x y']] },
    { name: 'leading BOM is dropped', file: '\uFEFF"a"\n"1"\n', rows: [['1']] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await readAll([encoder.encode(c.file)]), c.rows);
    });
  }
});

describe('readResultCsv: chunk boundaries', () => {
  // Every feature that a chunk boundary can cut: `""` pairs, quoted newlines and commas, CRLF,
  // 2-, 3- and 4-byte UTF-8 characters, NULL vs "", a value that is just `"`.
  const tricky =
    '"id","text","note"\r\n' +
    '"1","He said ""hi""","a,b"\n' +
    '"2","line1\nline2\r\nline3",\n' +
    '"3","","ü€😀"\n' +
    ',"""",""\r\n' +
    '"5","😀😀","é"\n';
  const trickyRows: FakeCell[][] = [
    ['1', 'He said "hi"', 'a,b'],
    ['2', 'line1\nline2\r\nline3', null],
    ['3', '', 'ü€😀'],
    [null, '"', ''],
    ['5', '😀😀', 'é'],
  ];
  const oneColumn = '"x"\n"a"\n\n""\n"😀"\n\n';
  const oneColumnRows: FakeCell[][] = [['a'], [null], [''], ['😀'], [null]];

  for (const [name, file, rows, columns] of [
    ['three columns', tricky, trickyRows, ['id', 'text', 'note']],
    ['one column with empty lines', oneColumn, oneColumnRows, ['x']],
  ] as const) {
    it(`${name}: split at every byte offset and byte by byte`, async () => {
      const bytes = encoder.encode(file);
      for (const parts of splits(bytes)) {
        assert.deepEqual(await readAll(parts, { columns: [...columns] }), rows, `split into ${parts.map((p) => p.length).join('+')} bytes`);
      }
    });
    it(`${name}: string chunks split at every character offset`, async () => {
      for (let k = 0; k <= file.length; k++) {
        assert.deepEqual(await readAll([file.slice(0, k), file.slice(k)], { columns: [...columns] }), rows, `split at ${k}`);
      }
    });
  }

  it('an unterminated quote gives the same error at every split', async () => {
    const bytes = encoder.encode('"a","b"\n"1","x\ny"\n"2","z\n,\n');
    for (const parts of splits(bytes)) {
      const error = await readError(parts);
      assert.equal(error.code, 'S3_RESULT_READ_FAILED');
      assert.equal(error.details['reason'], 'unterminated-quote');
      // "2","z… opens its last quote on line 4 and never closes it.
      assert.equal(error.details['line'], 4);
    }
  });
});

describe('readResultCsv: batches and streaming', () => {
  it('yields batches of batchRows rows, the last one smaller', async () => {
    const lines = ['"n"\n'];
    for (let i = 0; i < 2500; i++) lines.push(`"${i}"\n`);
    const sizes: number[] = [];
    const all: ResultRow[] = [];
    for await (const batch of readResultCsv(chunksOf(lines), { batchRows: 1000 })) {
      sizes.push(batch.length);
      all.push(...batch);
    }
    assert.deepEqual(sizes, [1000, 1000, 500]);
    assert.deepEqual(all.at(-1), ['2499']);
    assert.equal(all.length, 2500);
  });

  it('stops reading the source when the consumer stops', async () => {
    let pulled = 0;
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        yield '"n"\n';
        for (let i = 0; ; i++) {
          pulled++;
          yield `"${i}"\n`;
        }
      } finally {
        closed = true;
      }
    }
    for await (const batch of readResultCsv(source(), { batchRows: 10 })) {
      assert.equal(batch.length, 10);
      break;
    }
    assert.equal(closed, true);
    assert.equal(pulled, 10);
  });

  it('rejects a non-positive batchRows', async () => {
    await assert.rejects(readAll(['"a"\n'], { batchRows: 0 }), RangeError);
  });

  it('round-trips the fake writer: quotes, commas, newlines, unicode, NULL vs ""', async () => {
    // A deterministic generator of awkward values; the same bytes the Athena fake serves from S3.
    const alphabet = ['a', '"', ',', '\n', '\r\n', ' ', 'é', '😀', '日', '""', ''];
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const rows: FakeCell[][] = [];
    for (let i = 0; i < 3000; i++) {
      const row: FakeCell[] = [];
      for (let k = 0; k < 4; k++) {
        if (next() % 7 === 0) {
          row.push(null);
          continue;
        }
        let v = '';
        const length = next() % 6;
        for (let j = 0; j < length; j++) v += alphabet[next() % alphabet.length];
        row.push(v);
      }
      rows.push(row);
    }
    const columns = ['c1', 'c 2', 'c"3', 'c,4'];
    const bytes = resultCsvChunks(columns, rows.length, (i) => rows[i]!);
    const read: ResultRow[] = [];
    for await (const batch of readResultCsv(bytes, { columns })) read.push(...batch);
    assert.deepEqual(read, rows);
  });
});

describe('readResultCsv: malformed files', () => {
  const cases: { name: string; file: string | Uint8Array; columns?: string[]; reason: string; line: number; message: RegExp }[] = [
    { name: 'empty file', file: '', reason: 'no-header', line: 1, message: /no header line/ },
    {
      name: 'header differs from the query columns',
      file: '"id","name"\n"1","x"\n',
      columns: ['id', 'title'],
      reason: 'header-mismatch',
      line: 1,
      message: /\["id","name"\] does not match the query's columns \["id","title"\]/,
    },
    {
      name: 'header has fewer columns than the query',
      file: '"id"\n"1"\n',
      columns: ['id', 'title'],
      reason: 'header-mismatch',
      line: 1,
      message: /does not match/,
    },
    { name: 'unquoted empty column name', file: '"a",\n', reason: 'header-mismatch', line: 1, message: /empty column name/ },
    { name: 'too few fields', file: '"a","b"\n"1","2"\n"3"\n', reason: 'field-count', line: 3, message: /line 3: the row has 1 field\(s\), expected 2/ },
    { name: 'too many fields', file: '"a","b"\n"1","2",\n', reason: 'field-count', line: 2, message: /3 field\(s\), expected 2/ },
    {
      name: 'wrong count after a quoted newline names the row start',
      file: '"a","b"\n"1","x\ny"\n"2","p\nq","r"\n',
      reason: 'field-count',
      line: 4,
      message: /line 4:/,
    },
    {
      name: 'an empty line in a multi-column file',
      file: '"a","b"\n"1","2"\n\n"3","4"\n',
      reason: 'field-count',
      line: 3,
      message: /only valid in a one-column result/,
    },
    {
      name: 'unterminated quote names where it opened',
      file: '"a","b"\n"1","2"\n"3","never\nclosed\n',
      reason: 'unterminated-quote',
      line: 3,
      message: /line 3: a quoted value opened on this line is not closed/,
    },
    { name: 'text after a closing quote', file: '"a"\n"1"x\n', reason: 'text-after-quote', line: 2, message: /unexpected character 'x' after the closing quote/ },
    { name: 'quote inside an unquoted value', file: '"a"\nab"c"\n', reason: 'quote-in-unquoted', line: 2, message: /inside an unquoted value/ },
    { name: 'bare carriage return', file: '"a","b"\n"1",\r"2"\n', reason: 'bare-cr', line: 2, message: /carriage return/ },
    {
      name: 'invalid UTF-8 names its line',
      file: new Uint8Array([0x22, 0x61, 0x22, 0x0a, 0x22, 0x31, 0x22, 0x0a, 0x22, 0xff, 0x22, 0x0a]),
      reason: 'invalid-utf8',
      line: 3,
      message: /line 3: invalid UTF-8/,
    },
    {
      name: 'file cut inside a UTF-8 character',
      file: new Uint8Array([0x22, 0x61, 0x22, 0x0a, 0x22, 0xf0, 0x9f, 0x98]),
      reason: 'invalid-utf8',
      line: 2,
      message: /ends inside a UTF-8 character/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const bytes = typeof c.file === 'string' ? encoder.encode(c.file) : c.file;
      const options: ReadResultCsvOptions = { sourceName: 's3://bucket/q.csv' };
      if (c.columns !== undefined) options.columns = c.columns;
      const error = await readError([bytes], options);
      assert.equal(error.code, 'S3_RESULT_READ_FAILED');
      assert.equal(error.details['reason'], c.reason);
      assert.equal(error.details['line'], c.line);
      assert.match(error.message, c.message);
      assert.match(error.message, /s3:\/\/bucket\/q\.csv/);
      assert.ok(error.hint.length > 0);
    });
  }

  it('rows before the error are delivered, the error comes after them', async () => {
    const lines = ['"n"\n'];
    for (let i = 0; i < 5; i++) lines.push(`"${i}"\n`);
    lines.push('"5",\n');
    const seen: ResultRow[] = [];
    await assert.rejects(async () => {
      for await (const batch of readResultCsv(chunksOf(lines), { batchRows: 2 })) seen.push(...batch);
    }, (error: unknown) => error instanceof TransferError && error.details['dataRowsRead'] === 5);
    assert.equal(seen.length, 4);
  });
});

describe('csvLine (the fake writer the reader is tested against)', () => {
  const cases: { cells: FakeCell[]; line: string }[] = [
    { cells: ['1', null, null], line: '"1",,\n' },
    { cells: [null], line: '\n' },
    { cells: [''], line: '""\n' },
    { cells: ['He said "hi"'], line: '"He said ""hi"""\n' },
    { cells: ['a\nb', 'c,d'], line: '"a\nb","c,d"\n' },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.cells), () => {
      assert.equal(csvLine(c.cells), c.line);
    });
  }
});
