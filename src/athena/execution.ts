import {
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { TransferError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { waitFor, type Acceptance, type WaiterOptions } from './waiter.ts';
import { athenaCallError } from './errors.ts';

/** What we ask Athena to run. `clientRequestToken` makes a retried start re-attach (DESIGN §4, §7). */
export interface QuerySpec {
  sql: string;
  workgroup: string;
  catalog: string;
  database: string;
  outputLocation?: string;
  clientRequestToken: string;
}

export type ExecutionState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** Domain view of `QueryExecution`: the core never sees SDK shapes (STYLE 3). */
export interface Execution {
  id: string;
  state: ExecutionState;
  reason?: string;
  error?: { category?: number; type?: number; retryable?: boolean; message?: string };
  statementType?: string;
  substatementType?: string;
  outputLocation?: string;
  dataScannedBytes: number;
  /** When Athena accepted the query; tells a re-attached execution of an earlier attempt from a new one. */
  submittedAt?: Date;
  engineExecutionMs?: number;
  queueMs?: number;
  totalExecutionMs?: number;
}

const STATES: readonly ExecutionState[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function toExecution(id: string, wire: QueryExecution | undefined): Execution {
  const raw = wire?.Status?.State;
  if (raw === undefined || !(STATES as readonly string[]).includes(raw)) {
    throw new TransferError('ATHENA_ERROR', `Athena returned an unknown state "${String(raw)}" for query ${id}`, {
      hint: 'Retry the run; if it persists, the Athena API changed and athena-to-bigquery needs an update.',
      details: { queryExecutionId: id },
    });
  }
  const stats = wire?.Statistics;
  const athenaError = wire?.Status?.AthenaError;
  const execution: Execution = {
    id,
    state: raw as ExecutionState,
    dataScannedBytes: stats?.DataScannedInBytes ?? 0,
  };
  if (wire?.Status?.StateChangeReason) execution.reason = wire.Status.StateChangeReason;
  if (athenaError) {
    execution.error = {
      category: athenaError.ErrorCategory,
      type: athenaError.ErrorType,
      retryable: athenaError.Retryable,
      message: athenaError.ErrorMessage,
    };
  }
  if (wire?.Status?.SubmissionDateTime) execution.submittedAt = new Date(wire.Status.SubmissionDateTime);
  if (wire?.StatementType) execution.statementType = wire.StatementType;
  if (wire?.SubstatementType) execution.substatementType = wire.SubstatementType;
  if (wire?.ResultConfiguration?.OutputLocation) execution.outputLocation = wire.ResultConfiguration.OutputLocation;
  if (stats?.EngineExecutionTimeInMillis !== undefined) execution.engineExecutionMs = stats.EngineExecutionTimeInMillis;
  if (stats?.QueryQueueTimeInMillis !== undefined) execution.queueMs = stats.QueryQueueTimeInMillis;
  if (stats?.TotalExecutionTimeInMillis !== undefined) execution.totalExecutionMs = stats.TotalExecutionTimeInMillis;
  return execution;
}

/**
 * The acceptor: RUNNING may go back to QUEUED, so both retry; CANCELLED is terminal (clients that wait
 * only for SUCCEEDED/FAILED hang on it: public-reports A11).
 */
export function acceptExecution(execution: Execution): Acceptance {
  switch (execution.state) {
    case 'SUCCEEDED':
      return 'success';
    case 'FAILED':
    case 'CANCELLED':
      return 'failure';
    default:
      return 'retry';
  }
}

export async function startQuery(client: AthenaClient, spec: QuerySpec): Promise<string> {
  try {
    const out = await client.send(
      new StartQueryExecutionCommand({
        QueryString: spec.sql,
        WorkGroup: spec.workgroup,
        QueryExecutionContext: { Catalog: spec.catalog, Database: spec.database },
        ClientRequestToken: spec.clientRequestToken,
        ...(spec.outputLocation ? { ResultConfiguration: { OutputLocation: spec.outputLocation } } : {}),
      }),
    );
    if (!out.QueryExecutionId) {
      throw new TransferError('ATHENA_ERROR', 'StartQueryExecution answered without a QueryExecutionId', {
        hint: 'Retry the run; this is an unexpected Athena answer.',
      });
    }
    return out.QueryExecutionId;
  } catch (error) {
    throw athenaCallError('StartQueryExecution', error, { workgroup: spec.workgroup, database: spec.database });
  }
}

export async function describeQuery(client: AthenaClient, id: string): Promise<Execution> {
  try {
    const out = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    return toExecution(id, out.QueryExecution);
  } catch (error) {
    throw athenaCallError('GetQueryExecution', error, { queryExecutionId: id });
  }
}

/** Best effort: a failure to stop is logged, never hides the error that made us stop. */
export async function stopQuery(client: AthenaClient, id: string, log: Logger = silentLogger): Promise<boolean> {
  try {
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    return true;
  } catch (error) {
    log.warn('StopQueryExecution failed', { queryExecutionId: id, error });
    return false;
  }
}

/** How many request-token generations a run may use before giving up (each dead attempt costs one). */
export const MAX_TOKEN_GENERATIONS = 10;
/** Clock skew allowed between us and AWS when telling an earlier attempt's execution from ours. */
const SKEW_MS = 5_000;

/** Token of generation `n`: generation 0 is the token itself, so existing runs keep re-attaching. */
export function generationToken(token: string, generation: number): string {
  return generation === 0 ? token : `${token.slice(0, 120)}-g${generation}`;
}

/**
 * Starts the query, re-attaching to an earlier attempt's execution when it is still useful (running or
 * succeeded). A FAILED or CANCELLED execution submitted before this call belongs to an earlier attempt
 * (a request token re-attaches to it forever), so the next token generation starts a fresh query:
 * otherwise a retried run could never get past one failure.
 */
export async function startOrAttach(client: AthenaClient, spec: QuerySpec, startedAt: number, log: Logger = silentLogger): Promise<Execution> {
  for (let generation = 0; generation < MAX_TOKEN_GENERATIONS; generation++) {
    const id = await startQuery(client, { ...spec, clientRequestToken: generationToken(spec.clientRequestToken, generation) });
    const current = await describeQuery(client, id);
    const dead = current.state === 'FAILED' || current.state === 'CANCELLED';
    const earlier = current.submittedAt !== undefined && current.submittedAt.getTime() < startedAt - SKEW_MS;
    if (!(dead && earlier)) return current;
    log.warn('an earlier attempt of this run left a dead query: starting a fresh one', { queryExecutionId: id, state: current.state, generation });
  }
  throw new TransferError('ATHENA_ERROR', `${MAX_TOKEN_GENERATIONS} earlier attempts of this run already failed in Athena`, {
    status: 502,
    hint: 'Look at the failed queries in the Athena console, fix the cause, and run again with a new run key.',
    details: { clientRequestToken: spec.clientRequestToken },
  });
}

export interface RunQueryOptions extends Omit<WaiterOptions, 'maxWaitMs'> {
  timeoutMs: number;
  log?: Logger;
  /** Called once the execution id is known, so a failing run can still report it. */
  onStarted?: (id: string) => void;
}

/**
 * Starts (or, with the same request token, re-attaches to) a query and waits for a terminal state.
 * FAILED/CANCELLED become typed errors carrying Athena's reason; a timeout or abort stops the query
 * first, because a query we no longer wait for still scans (and bills) data.
 */
export async function runQuery(client: AthenaClient, spec: QuerySpec, options: RunQueryOptions): Promise<Execution> {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const first = await startOrAttach(client, spec, now(), log);
  const id = first.id;
  options.onStarted?.(id);
  log.info('athena query started', { queryExecutionId: id, workgroup: spec.workgroup });
  // The first observation is already in hand: a finished (re-attached) query costs no extra poll.
  let pending: Execution | undefined = first;
  const poll = async (): Promise<Execution> => {
    if (pending) {
      const seen = pending;
      pending = undefined;
      return seen;
    }
    return describeQuery(client, id);
  };
  const outcome = await waitFor(poll, acceptExecution, {
    ...options,
    maxWaitMs: options.timeoutMs,
  });
  switch (outcome.state) {
    case 'success':
      return outcome.value;
    case 'failure':
      throw queryEndedError(outcome.value);
    case 'timeout':
    case 'aborted': {
      const stopped = await stopQuery(client, id, log);
      const last = outcome.last?.state ?? 'unknown';
      throw new TransferError(
        'ATHENA_TIMEOUT',
        `Athena query ${id} was still ${last} after ${Math.round(options.timeoutMs / 1000)} s; ${
          stopped ? 'it has been stopped' : 'stopping it failed, stop it in the Athena console'
        }`,
        {
          status: 504,
          hint: 'Raise athena.timeout_seconds (and the function timeout above it), or make the query cheaper (partition filters, fewer columns).',
          details: { queryExecutionId: id, lastState: last, stopped, polls: outcome.polls },
        },
      );
    }
  }
}

export function queryEndedError(execution: Execution): TransferError {
  const reason = execution.reason ?? execution.error?.message ?? 'no reason given';
  if (execution.state === 'CANCELLED') {
    return new TransferError('ATHENA_QUERY_CANCELLED', `Athena query ${execution.id} was cancelled: ${reason}`, {
      status: 502,
      hint: 'Someone or something stopped the query (console, StopQueryExecution, or a workgroup data limit). Check the workgroup limits and run again.',
      details: { queryExecutionId: execution.id, state: execution.state, reason },
    });
  }
  return new TransferError('ATHENA_QUERY_FAILED', `Athena query ${execution.id} failed: ${reason}`, {
    status: 502,
    hint: failureHint(execution),
    details: {
      queryExecutionId: execution.id,
      state: execution.state,
      reason,
      ...(execution.error ? { athenaError: execution.error } : {}),
    },
  });
}

// ErrorCategory: 1 = system, 2 = user, 3 = other (Athena API reference, AthenaError).
function failureHint(execution: Execution): string {
  const reason = execution.reason ?? '';
  if (/TABLE_NOT_FOUND|does not exist|SCHEMA_NOT_FOUND/i.test(reason)) {
    return 'Check athena.database and the table/view names in athena.query; names are case-insensitive but must exist in the catalog.';
  }
  if (/Access ?Denied|not authorized|AccessDenied/i.test(reason)) {
    return 'The role can start queries but cannot read the data: grant it s3:GetObject/ListBucket on the table location, glue:Get* on the catalog, and (for S3 Tables) lakeformation/s3tables read permissions.';
  }
  if (execution.error?.category === 1 || execution.error?.retryable) {
    return 'Athena reports a system-side failure; run again (a new run key starts a new query).';
  }
  return 'Fix the SQL in athena.query (run it in the Athena console to see the same error), then run again.';
}
