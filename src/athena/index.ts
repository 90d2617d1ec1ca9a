export { runQuery, startQuery, describeQuery, stopQuery, acceptExecution, queryEndedError, toExecution } from './execution.ts';
export type { Execution, ExecutionState, QuerySpec, RunQueryOptions } from './execution.ts';
export { resultPages, pageCells, hasHeaderRow, toResultColumns } from './results.ts';
export type { ResultPage, ResultColumn, Cells } from './results.ts';
export { waitFor, backoffDelay, abortableSleep } from './waiter.ts';
export type { Acceptance, WaiterOutcome, WaiterOptions } from './waiter.ts';
export { readResultCsv } from './csv-reader.ts';
export type { ReadResultCsvOptions, ResultCell, ResultRow } from './csv-reader.ts';
