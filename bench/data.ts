/**
 * The benchmark's result: 8 mixed-type columns (int, bigint, varchar, decimal, double, boolean, timestamp,
 * date), the same shape and values as bench/convert-core.ts, generated lazily and deterministically so the
 * Athena fake can serve 1M rows as pages and as the S3 result file without holding them.
 */
import type { FakeCell, FakeColumn } from '../test/emulators/athena-fake.ts';

export const COLUMNS: FakeColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'account', type: 'bigint' },
  { name: 'name', type: 'varchar' },
  { name: 'amount', type: 'decimal(12,2)' },
  { name: 'score', type: 'double' },
  { name: 'active', type: 'boolean' },
  { name: 'created_at', type: 'timestamp(3)' },
  { name: 'day', type: 'date' },
];

const BASE_ACCOUNT = 9007199254740993n; // 2^53 + 1: exact only as a string

/** Row `i` as Athena renders it (`null` = SQL NULL): quotes every 17th name, NULL every 50th. */
export function benchRow(i: number): FakeCell[] {
  const name = i % 50 === 0 ? null : i % 17 === 0 ? `name "quoted" ${i}` : `customer_${i}`;
  return [
    String(i),
    String(BASE_ACCOUNT + BigInt(i)),
    name,
    `${(i % 100000) + 1}.${String(i % 100).padStart(2, '0')}`,
    i % 3 === 0 ? '1.0E10' : String((i % 1000) / 7),
    i % 2 === 0 ? 'true' : 'false',
    `2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:34:56.${String(i % 1000).padStart(3, '0')}`,
    `2023-${String((i % 12) + 1).padStart(2, '0')}-15`,
  ];
}
