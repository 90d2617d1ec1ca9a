/**
 * Config stage: the YAML file (gs:// or a path) → validated, defaulted jobs. See config.example.yaml for
 * every key and config.schema.json for editor completion.
 */
export { parseConfig, MAX_CONFIG_BYTES } from './parse.ts';
export { loadConfig, parseConfigUri, defaultConfigReaders, readFailure } from './load.ts';
export type { ConfigReaders, ConfigLocation } from './load.ts';
export { gcsConfigReader, decodeConfigBytes } from './gcs.ts';
export type { GcsReaderOptions } from './gcs.ts';
export { selectJobs } from './select.ts';
export { renderConfigJsonSchema } from './schema.ts';
export { quoteIdentifier, selectAllQuery } from './sql.ts';
export { WRITE_MODES, READ_PATHS, TYPE_PROBE_MODES } from './types.ts';
export type { TransferConfig, JobConfig, AwsConfig, AthenaConfig, BigQueryConfig, WriteMode, ReadPath, TypeProbeMode } from './types.ts';
