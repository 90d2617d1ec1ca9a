export { loadNdjson, resolveJobId, attachToJob } from './load.ts';
export type { LoadSpec, LoadResult, PriorJob, WriteDisposition } from './load.ts';
export { describeTable, describeDataset, createTable, dropIfEmpty, tableName } from './table.ts';
export type { TableRef, TableState, DatasetState } from './table.ts';
export { diffSchema } from './schema-diff.ts';
export { gcsUploader, loadNdjsonStaged, parseGcsPrefix, stagingOptions } from './staging.ts';
export type { GcsPrefix, ObjectTarget, StagingOptions, StagingReport, UploadLimits, UploadObject, WriteResult } from './staging.ts';
export type { SchemaPlan } from './schema-diff.ts';
