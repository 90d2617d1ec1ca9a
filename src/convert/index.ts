/**
 * convert: Athena type grammar, Athena -> BigQuery schema mapping, value converters (DESIGN §4-§5).
 * Pure: no I/O. Entry points: columnFromColumnInfo -> toBigQuerySchema / compileRowConverter.
 */
export { ATHENA_TYPE_KINDS, formatAthenaType, parseAthenaType } from './athena-type.ts';
export type { AthenaType, AthenaTypeKind, AthenaTypeOf, RowField } from './athena-type.ts';
export { applyTypeHint, columnFromColumnInfo } from './column.ts';
export type { Column, ColumnInfoLike } from './column.ts';
export { fieldCompatibility, normalizeBigQueryType, normalizeMode, validateFieldNames } from './bigquery-field.ts';
export type { BigQueryField, BigQueryMode, BigQueryType, Compatibility } from './bigquery-field.ts';
export { planBigQuerySchema, planColumns, toBigQuerySchema } from './plan.ts';
export type { ColumnPlan, PlannedColumn, SchemaWarning } from './plan.ts';
export { compileRowConverter } from './row-converter.ts';
export type { RejectedValue, RowConverter, RowConverterOptions } from './row-converter.ts';
export type { ConvertStats } from './leaves.ts';
export { decimalBigQueryType, describeField, TYPE_TABLE } from './type-table.ts';
export { AthenaTypeInvalid, ColumnNameInvalid, SchemaConflict } from './errors.ts';
export type { SchemaConflictItem } from './errors.ts';
