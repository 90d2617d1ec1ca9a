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

const ROWS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 7;

const columns: Column[] = [
  { name: 'id', type: 'integer' },
  { name: 'account', type: 'bigint' },
  { name: 'name', type: 'varchar' },
  { name: 'amount', type: 'decimal(12,2)' },
  { name: 'score', type: 'double' },
  { name: 'active', type: 'boolean' },
  { name: 'created_at', type: 'timestamp(3)' },
  { name: 'day', type: 'date' },
];

// Cells as GetQueryResults gives them, and the same values as the objects a naive loader would build.
const cells: (string | null)[][] = [];
const objects: Record<string, unknown>[] = [];
for (let i = 0; i < ROWS; i++) {
  const id = String(i);
  const account = String(9007199254740993n + BigInt(i));
  const name = i % 17 === 0 ? `name "quoted" ${i}` : `customer_${i}`;
  const amount = `${(i % 100000) + 1}.${String(i % 100).padStart(2, '0')}`;
  const score = i % 3 === 0 ? '1.0E10' : String((i % 1000) / 7);
  const active = i % 2 === 0 ? 'true' : 'false';
  const ms = String(i % 1000).padStart(3, '0');
  const created = `2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:34:56.${ms}`;
  const day = `2023-${String((i % 12) + 1).padStart(2, '0')}-15`;
  const nullable = i % 50 === 0 ? null : name;
  cells.push([id, account, nullable, amount, score, active, created, day]);
  objects.push({
    id,
    account,
    name: nullable,
    amount,
    score: Number(score),
    active: active === 'true',
    created_at: `${created.replace(' ', 'T')}000Z`,
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
