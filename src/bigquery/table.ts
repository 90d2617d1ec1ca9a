import type { BigQuery, TableField } from '@google-cloud/bigquery';
import { TransferError } from '../errors.ts';
import { bigQueryError, googleStatus } from './errors.ts';
import { CALL_TIMEOUT_MS, withDeadline } from '../deadline.ts';

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
  location?: string;
}

export function tableName(ref: TableRef): string {
  return `${ref.projectId}.${ref.datasetId}.${ref.tableId}`;
}

export interface TableState {
  exists: boolean;
  schema: TableField[];
  numRows?: string;
}

/** Reads the table's schema, or says it does not exist (404 is an answer, not an error). */
export async function describeTable(bq: BigQuery, ref: TableRef): Promise<TableState> {
  const table = bq.dataset(ref.datasetId, { projectId: ref.projectId }).table(ref.tableId);
  try {
    const [metadata] = await withDeadline(table.getMetadata(), CALL_TIMEOUT_MS, `tables.get ${tableName(ref)}`);
    const state: TableState = { exists: true, schema: (metadata.schema?.fields ?? []) as TableField[] };
    if (metadata.numRows !== undefined) state.numRows = String(metadata.numRows);
    return state;
  } catch (error) {
    if (googleStatus(error) === 404) return { exists: false, schema: [] };
    throw bigQueryError('tables.get', error, { table: tableName(ref) });
  }
}

/**
 * Creates the target table with the mapped schema. A 409 means another run created it first: fine.
 * A missing dataset is not created for the user, because its location decides where data lives.
 */
export async function createTable(bq: BigQuery, ref: TableRef, schema: TableField[]): Promise<boolean> {
  const dataset = bq.dataset(ref.datasetId, { projectId: ref.projectId });
  try {
    await withDeadline(dataset.createTable(ref.tableId, { schema: { fields: schema } }), CALL_TIMEOUT_MS, `tables.insert ${tableName(ref)}`);
    return true;
  } catch (error) {
    const status = googleStatus(error);
    if (status === 409) return false;
    if (status === 404) {
      throw new TransferError('BIGQUERY_ERROR', `Dataset ${ref.projectId}.${ref.datasetId} does not exist`, {
        status: 502,
        hint: `Create it in the location you want (bq mk --dataset --location=US ${ref.projectId}:${ref.datasetId}), or fix bigquery.dataset_id.`,
        details: { table: tableName(ref) },
        cause: error,
      });
    }
    throw bigQueryError('tables.insert', error, { table: tableName(ref) });
  }
}

export interface DatasetState {
  exists: boolean;
  /** Where the dataset lives; job look-ups need it outside the US and EU multi-regions. */
  location?: string;
}

/** Reads the dataset's location, or says it does not exist. */
export async function describeDataset(bq: BigQuery, ref: TableRef): Promise<DatasetState> {
  const dataset = bq.dataset(ref.datasetId, { projectId: ref.projectId });
  try {
    const [metadata] = await withDeadline(dataset.getMetadata(), CALL_TIMEOUT_MS, `datasets.get ${ref.projectId}.${ref.datasetId}`);
    return { exists: true, ...(metadata.location ? { location: String(metadata.location) } : {}) };
  } catch (error) {
    if (googleStatus(error) === 404) return { exists: false };
    throw bigQueryError('datasets.get', error, { dataset: `${ref.projectId}.${ref.datasetId}` });
  }
}

/**
 * Deletes a table this run created, if it is still empty: a failed first run must not leave an empty
 * table behind. Best effort; the caller reports what happened.
 */
export async function dropIfEmpty(bq: BigQuery, ref: TableRef): Promise<boolean> {
  const state = await describeTable(bq, ref);
  if (!state.exists || (state.numRows !== undefined && state.numRows !== '0')) return false;
  const table = bq.dataset(ref.datasetId, { projectId: ref.projectId }).table(ref.tableId);
  await withDeadline(table.delete(), CALL_TIMEOUT_MS, `tables.delete ${tableName(ref)}`);
  return true;
}
