/**
 * Converter throughput vs a bare JSON.stringify of the same rows as JS objects (the floor a naive
 * implementation cannot beat without doing less work). 200k rows of 8 mixed columns.
 *
 *   ./node_modules/.bin/node bench/convert-core.ts [rows]
 *
 * Target: the converter runs at least half as fast as JSON.stringify (it validates and reformats every
 * value: exact integers/decimals as strings, timestamps to RFC 3339 µs, dates range-checked).
 */
import { compileRowConverter, type Column } from '../src/convert/index.ts';
import { COLUMNS, benchRow } from './data.ts';

const ROWS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 7;

// The bench's own result shape (bench/data.ts): the same 8 columns and values as `npm run bench` serves.
const columns: Column[] = COLUMNS.map((c) => ({ name: c.name, type: c.type }));

// Cells as GetQueryResults gives them, and the same values as the objects a naive loader would build.
const cells: (string | null)[][] = [];
const objects: Record<string, unknown>[] = [];
for (let i = 0; i < ROWS; i++) {
  const row = benchRow(i);
  const [id, account, name, amount, score, active, created, day] = row as string[];
  cells.push(row);
  objects.push({
    id,
    account,
    name,
    amount,
    score: Number(score),
    active: active === 'true',
    created_at: `${created!.replace(' ', 'T')}000Z`,
    day,
  });
}

function stringifyAll(): number {
  let bytes = 0;
  for (let i = 0; i < ROWS; i++) bytes += JSON.stringify(objects[i]).length + 1;
  return bytes;
}

const converter = compileRowConverter(columns);
function convertAll(): number {
  let bytes = 0;
  for (let i = 0; i < ROWS; i++) {
    const line = converter.convert(cells[i]!);
    if (typeof line !== 'string') throw new Error(`row ${i} rejected: ${line.reason}`);
    bytes += line.length + 1;
  }
  return bytes;
}

function time(fn: () => number): { seconds: number; bytes: number } {
  const start = process.hrtime.bigint();
  const bytes = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

// Rounds alternate between the two so that machine noise (shared CPUs, GC of the setup) hits both alike;
// the best round of each counts.
let bestStringify = Infinity;
let bestConvert = Infinity;
let stringifyBytes = 0;
let convertBytes = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = time(stringifyAll);
  const b = time(convertAll);
  bestStringify = Math.min(bestStringify, a.seconds);
  bestConvert = Math.min(bestConvert, b.seconds);
  stringifyBytes = a.bytes;
  convertBytes = b.bytes;
}
const report = (label: string, seconds: number, bytes: number): number => {
  const rate = ROWS / seconds;
  console.log(`${label.padEnd(28)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} rows/s  (${(bytes / 1e6).toFixed(1)} MB NDJSON, best of ${ROUNDS})`);
  return rate;
};
console.log(`${ROWS.toLocaleString('en-US')} rows x ${columns.length} columns (${columns.map((c) => c.type).join(', ')})`);
const stringifyRate = report('JSON.stringify(objects)', bestStringify, stringifyBytes);
const convertRate = report('compileRowConverter(cells)', bestConvert, convertBytes);
console.log(`stats: ${JSON.stringify(converter.stats)}`);

const ratio = convertRate / stringifyRate;
console.log(`ratio converter/stringify: ${ratio.toFixed(2)} (target >= 0.50) ${ratio >= 0.5 ? 'OK' : 'TOO SLOW'}`);
process.exitCode = ratio >= 0.5 ? 0 : 1;
