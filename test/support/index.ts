/** Test support for the local emulator stack (DESIGN §8); see scripts/stack/COMPATIBILITY.md. */
export { freePort, stackBinaries, startStack } from './stack.ts';
export type { Component, Stack, StackOptions } from './stack.ts';
export { athenaClient, bigQueryClient, s3Client, stsClient, storageClient } from './clients.ts';
export type { AwsTestCredentials } from './clients.ts';
export { columnInfo, queueAthenaResult, resetMoto, setAthenaTransition, wireRows } from './athena.ts';
export type { AthenaColumn, AthenaColumnInfo, AthenaTransition, AthenaWireRow, QueuedAthenaResult } from './athena.ts';
export { loadNdjson, microsToIso, readTable } from './bigquery.ts';
export type { PlainRow, PlainValue, ReadTableOptions } from './bigquery.ts';
