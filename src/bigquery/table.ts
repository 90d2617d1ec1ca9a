import type { BigQuery, TableField } from '@google-cloud/bigquery';
import { TransferError } from '../errors.ts';
import { bigQueryError, googleStatus } from './errors.ts';

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
    const [metadata] = await table.getMetadata();
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
    await dataset.createTable(ref.tableId, { schema: { fields: schema } });
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
