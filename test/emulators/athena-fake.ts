/**
 * A scripted Amazon Athena that speaks the real wire protocol, for tests of the query lifecycle and the
 * result readers (DESIGN §4, §8; public-reports A1–A7, A11). moto's Athena has no paging, no FAILED state and
 * no throttling, so this double covers what it cannot show.
 *
 * Protocol: AWS JSON 1.1, exactly what `@aws-sdk/client-athena` v3 sends when given `endpoint: fake.url`:
 * `POST /` with `X-Amz-Target: AmazonAthena.<Operation>` and a JSON body. Any SigV4 signature is accepted.
 * Errors are HTTP 400 (500 for InternalServerException) with header `x-amzn-errortype` and body
 * `{"__type": "<Name>", "Message"|"message": "..."}`: the SDK's JSON-RPC error parser
 * (`loadJsonRpcErrorCode` in @smithy/core/protocols) reads `__type` first, then `code`, then the header, and
 * takes the text from `message ?? Message`; Athena's modelled errors name the member `Message`, AWS's common
 * ThrottlingException uses `message`.
 *
 * Operations: StartQueryExecution (ClientRequestToken idempotency), GetQueryExecution, GetQueryResults
 * (Athena's paging: `MaxResults` ≤ 1000, default 1000, counting the header row that only page 1 of a SELECT
 * carries), StopQueryExecution. Each started query follows a script registered with {@link AthenaFake.enqueue}.
 *
 * Result files: the same server also answers path-style S3 `GET`/`HEAD /<bucket>/<key>` for
 * `<OutputLocation>/<QueryExecutionId>.csv` of a SUCCEEDED SELECT, generating the bytes on the fly from the
 * script (point `@aws-sdk/client-s3` at `fake.url` with `forcePathStyle: true`). That keeps a 1M-row file
 * streaming in constant memory with no disk and no moto process. A test that needs the bytes elsewhere
 * injects `resultWriter` (e.g. {@link fileResultWriter}, or an S3 upload to moto); Athena only reports
 * SUCCEEDED once its file is written, so GetQueryExecution waits for the writer before answering SUCCEEDED.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const QUERY_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type QueryState = (typeof QUERY_STATES)[number];
const TERMINAL: ReadonlySet<QueryState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export const ATHENA_OPERATIONS = [
  'StartQueryExecution',
  'GetQueryExecution',
  'GetQueryResults',
  'StopQueryExecution',
] as const;
export type AthenaOperation = (typeof ATHENA_OPERATIONS)[number];
/** Counted calls: the four Athena operations, unknown targets, and the S3 reads of result files. */
export type CountedCall = AthenaOperation | 'Unknown' | 'S3GetObject' | 'S3HeadObject';

/** A result value: `null` is SQL NULL (a Datum without VarCharValue; an unquoted empty CSV field). */
export type FakeCell = string | null;

/** A result column. `type` is the full Athena type (`decimal(10,2)`, `array(integer)`, `timestamp(6)`). */
export interface FakeColumn {
  name: string;
  type: string;
  /** Overrides the Precision derived from `type`. */
  precision?: number;
  /** Overrides the Scale derived from `type`. */
  scale?: number;
}

/** `Status.AthenaError` of a FAILED query (codes: AWS "Athena error catalog"). */
export interface FakeAthenaError {
  /** 1 SYSTEM, 2 USER, 3 OTHER. */
  errorCategory: number;
  /** e.g. 1000 "User error", 401 "Failed to write query results to Amazon S3". */
  errorType: number;
  retryable: boolean;
  /** Defaults to the script's `reason`. */
  errorMessage?: string;
}

/** How one query behaves. Register with {@link AthenaFake.enqueue} before the code under test starts it. */
export interface FakeQueryScript {
  /**
   * Binds the script to queries whose SQL contains this text (or matches this RegExp). Without it the
   * script is used by the next StartQueryExecution no matched script claims (first in, first out).
   */
  match?: string | RegExp;
  /** Result columns; a bare string is a `varchar` column of that name. */
  columns?: readonly (string | FakeColumn)[];
  /** Data rows (header excluded), one cell per column. Mutually exclusive with `rowGenerator`. */
  rows?: readonly (readonly FakeCell[])[];
  /** Data row `index` (0-based), called lazily page by page; must be deterministic. Needs `rowCount`. */
  rowGenerator?: (index: number) => readonly FakeCell[];
  /** Number of rows `rowGenerator` produces. */
  rowCount?: number;
  /**
   * The states successive GetQueryExecution calls see, one per call; the last one sticks and must be
   * terminal (SUCCEEDED, FAILED or CANCELLED), no earlier one may be. Default QUEUED, RUNNING, SUCCEEDED.
   * RUNNING may go back to QUEUED (DESIGN §4).
   */
  states?: readonly QueryState[];
  /** `Status.StateChangeReason` once the query is FAILED or CANCELLED. */
  reason?: string;
  /** `Status.AthenaError` once FAILED; default USER (2) / 1000 "User error", not retryable. */
  athenaError?: FakeAthenaError;
  /** Delay before answering every call about this query (StartQueryExecution included). */
  latencyMs?: number;
  /**
   * Answer the first `n` calls of each operation about this query with `throttleError` before serving it
   * (a number applies to every operation; an object picks operations). A throttled StartQueryExecution
   * starts nothing and does not consume the script.
   */
  throttleFirst?: number | Partial<Record<AthenaOperation, number>>;
  /** Default `ThrottlingException` (HTTP 400, "Rate exceeded"); Athena's own is `TooManyRequestsException`. */
  throttleError?: 'ThrottlingException' | 'TooManyRequestsException';
  /** `Statistics.DataScannedInBytes` (default 0). */
  dataScannedBytes?: number;
  /** `Statistics.EngineExecutionTimeInMillis` (default 1000). */
  engineExecutionTimeMs?: number;
  /** `Statistics.QueryQueueTimeInMillis` (default 100). */
  queueTimeMs?: number;
  /**
   * `StatementType`: DML (default), DDL or UTILITY. Only DML + SubstatementType SELECT results start
   * with a header row (A1).
   */
  statementType?: 'DML' | 'DDL' | 'UTILITY';
  /** `SubstatementType`; default SELECT for DML. */
  substatementType?: string;
  /** Simulates a workgroup that enforces its own result location (overrides the request's). */
  outputLocation?: string;
}

/** Where a result file goes: `uri` = `s3://bucket/key`. */
export interface ResultTarget {
  bucket: string;
  key: string;
  uri: string;
  queryExecutionId: string;
}

/** Receives a SUCCEEDED SELECT's result file as it is generated. */
export type ResultWriter = (target: ResultTarget, body: AsyncIterable<Uint8Array>) => Promise<void>;

export interface AthenaFakeOptions {
  /** Workgroup default result location when the request gives none (default `s3://athena-results/fake/`). */
  outputLocation?: string;
  /** Also write each SUCCEEDED SELECT's result file through this writer (started at StartQueryExecution). */
  resultWriter?: ResultWriter;
  /** Clock for SubmissionDateTime/CompletionDateTime. */
  now?: () => Date;
}

/** What the fake knows about one execution (for assertions). */
export interface FakeExecutionInfo {
  queryExecutionId: string;
  query: string;
  clientRequestToken: string | undefined;
  workGroup: string;
  /** The state the last GetQueryExecution reported (the scripted first state before any poll). */
  state: QueryState;
  /** `s3://…/<id>.csv` (or `.txt` for non-SELECT statements). */
  outputLocation: string;
  rowCount: number;
}

export interface AthenaFake {
  /** `http://127.0.0.1:PORT`: the Athena endpoint and the S3 endpoint (path style). */
  url: string;
  port: number;
  /** Registers a script (see {@link FakeQueryScript}); throws on an inconsistent one. */
  enqueue(script: FakeQueryScript): void;
  /** Calls received per operation, throttled and failed calls included. */
  readonly calls: Readonly<Record<CountedCall, number>>;
  /** Executions created (idempotent replays of StartQueryExecution do not count). */
  readonly executionsStarted: number;
  /** Every Athena request body, in arrival order. */
  readonly requests: readonly { operation: string; input: Record<string, unknown> }[];
  /** Scripts not yet claimed by a StartQueryExecution. */
  readonly pendingScripts: number;
  executions(): FakeExecutionInfo[];
  execution(queryExecutionId: string): FakeExecutionInfo | undefined;
  /** Forces a state now (e.g. someone cancels the query in the console: A11); it then sticks. */
  setState(queryExecutionId: string, state: QueryState, reason?: string): void;
  /** The exact bytes of an execution's result CSV, generated lazily. */
  resultCsv(queryExecutionId: string): AsyncIterable<Uint8Array>;
  stop(): Promise<void>;
}

/** Athena's own errors (modelled in client-athena) carry `Message`; AWS common ones `message`. */
class FakeApiError extends Error {
  readonly type: string;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly lowerCaseMessage: boolean;
  constructor(type: string, message: string, status = 400, extra: Record<string, unknown> = {}, lowerCaseMessage = false) {
    super(message);
    this.type = type;
    this.status = status;
    this.extra = extra;
    this.lowerCaseMessage = lowerCaseMessage;
  }
}

const invalidRequest = (message: string): FakeApiError => new FakeApiError('InvalidRequestException', message);

interface NormalizedScript {
  match: string | RegExp | undefined;
  columns: FakeColumn[];
  rowCount: number;
  rowAt: (index: number) => readonly FakeCell[];
  states: QueryState[];
  reason: string | undefined;
  athenaError: FakeAthenaError | undefined;
  latencyMs: number;
  throttleLeft: Record<AthenaOperation, number>;
  throttleError: 'ThrottlingException' | 'TooManyRequestsException';
  dataScannedBytes: number;
  engineExecutionTimeMs: number;
  queueTimeMs: number;
  statementType: 'DML' | 'DDL' | 'UTILITY';
  substatementType: string | undefined;
  outputLocation: string | undefined;
  hasHeader: boolean;
}

interface Execution {
  id: string;
  query: string;
  token: string | undefined;
  requestFingerprint: string;
  workGroup: string;
  context: Record<string, unknown> | undefined;
  script: NormalizedScript;
  /** Index into script.states of what the next GetQueryExecution reports. */
  cursor: number;
  /** The state last reported (the scripted first state before any poll). */
  state: QueryState;
  /** Set by StopQueryExecution, setState or a failed write: the state no longer follows the script. */
  frozen: boolean;
  forcedReason: string | undefined;
  submitted: Date;
  completed: Date | undefined;
  outputUri: string;
  bucket: string;
  key: string;
  write: Promise<void> | undefined;
  writeFailed: boolean;
  contentLength: number | undefined;
}

/** Starts the fake on 127.0.0.1 with a free port. */
export async function startAthenaFake(options: AthenaFakeOptions = {}): Promise<AthenaFake> {
  const now = options.now ?? (() => new Date());
  const defaultOutput = options.outputLocation ?? 's3://athena-results/fake/';
  const scripts: NormalizedScript[] = [];
  const executions = new Map<string, Execution>();
  const byToken = new Map<string, Execution>();
  const calls: Record<CountedCall, number> = {
    StartQueryExecution: 0,
    GetQueryExecution: 0,
    GetQueryResults: 0,
    StopQueryExecution: 0,
    Unknown: 0,
    S3GetObject: 0,
    S3HeadObject: 0,
  };
  const requests: { operation: string; input: Record<string, unknown> }[] = [];
  let executionsStarted = 0;

  const claimScript = (sql: string): NormalizedScript | undefined => {
    const matched = scripts.find((s) => s.match !== undefined && matches(s.match, sql));
    return matched ?? scripts.find((s) => s.match === undefined);
  };

  const throttled = (script: NormalizedScript, op: AthenaOperation): FakeApiError | undefined => {
    if (script.throttleLeft[op] <= 0) return undefined;
    script.throttleLeft[op]--;
    return script.throttleError === 'ThrottlingException'
      ? new FakeApiError('ThrottlingException', 'Rate exceeded', 400, {}, true)
      : new FakeApiError('TooManyRequestsException', 'Rate exceeded', 400, { Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED' });
  };

  const lookup = (input: Record<string, unknown>): Execution => {
    const id = input['QueryExecutionId'];
    if (typeof id !== 'string' || id.length === 0) throw invalidRequest('QueryExecutionId is required');
    const exec = executions.get(id);
    // Athena's wording for an unknown id.
    if (exec === undefined) throw invalidRequest(`QueryExecution ${id} was not found`);
    return exec;
  };

  async function startQueryExecution(input: Record<string, unknown>): Promise<unknown> {
    const sql = input['QueryString'];
    if (typeof sql !== 'string' || sql.length === 0) throw invalidRequest('QueryString is required');
    const token = optionalString(input, 'ClientRequestToken');
    if (token !== undefined && (token.length < 32 || token.length > 128)) {
      throw invalidRequest(`ClientRequestToken must be 32 to 128 characters long, got ${token.length}`);
    }
    const workGroup = optionalString(input, 'WorkGroup') ?? 'primary';
    const resultConfiguration = input['ResultConfiguration'] as Record<string, unknown> | undefined;
    const requestedOutput = resultConfiguration === undefined ? undefined : optionalString(resultConfiguration, 'OutputLocation');
    const context = input['QueryExecutionContext'] as Record<string, unknown> | undefined;
    const fingerprint = JSON.stringify([sql, workGroup, requestedOutput ?? null, context ?? null]);
    if (token !== undefined) {
      const previous = byToken.get(token);
      if (previous !== undefined) {
        await sleep(previous.script.latencyMs);
        const error = throttled(previous.script, 'StartQueryExecution');
        if (error) throw error;
        // Athena: the same token returns the same execution; changed parameters are an error.
        if (previous.requestFingerprint !== fingerprint) {
          throw invalidRequest('The ClientRequestToken was already used with different request parameters');
        }
        return { QueryExecutionId: previous.id };
      }
    }
    const script = claimScript(sql);
    if (script === undefined) {
      throw new FakeApiError(
        'InvalidRequestException',
        `athena-fake: no script for query ${JSON.stringify(sql.slice(0, 200))}; call fake.enqueue({...}) before starting it`,
      );
    }
    await sleep(script.latencyMs);
    const error = throttled(script, 'StartQueryExecution');
    if (error) throw error;
    if (token !== undefined && byToken.has(token)) {
      // A concurrent replay won the race while we slept.
      return { QueryExecutionId: byToken.get(token)!.id };
    }
    scripts.splice(scripts.indexOf(script), 1);
    const id = randomUUID();
    const base = script.outputLocation ?? requestedOutput ?? defaultOutput;
    const { bucket, prefix } = parseS3Uri(base);
    const key = `${prefix}${id}.${script.hasHeader ? 'csv' : 'txt'}`;
    const exec: Execution = {
      id,
      query: sql,
      token,
      requestFingerprint: fingerprint,
      workGroup,
      context,
      script,
      cursor: 0,
      state: script.states[0]!,
      frozen: false,
      forcedReason: undefined,
      submitted: now(),
      completed: undefined,
      outputUri: `s3://${bucket}/${key}`,
      bucket,
      key,
      write: undefined,
      writeFailed: false,
      contentLength: undefined,
    };
    executions.set(id, exec);
    if (token !== undefined) byToken.set(token, exec);
    executionsStarted++;
    if (options.resultWriter !== undefined && script.hasHeader && script.states.at(-1) === 'SUCCEEDED') {
      const target: ResultTarget = { bucket, key, uri: exec.outputUri, queryExecutionId: id };
      exec.write = options.resultWriter(target, csvBytes(script)).catch(() => {
        exec.writeFailed = true;
      });
    }
    return { QueryExecutionId: id };
  }

  async function getQueryExecution(input: Record<string, unknown>): Promise<unknown> {
    const exec = lookup(input);
    await sleep(exec.script.latencyMs);
    const error = throttled(exec.script, 'GetQueryExecution');
    if (error) throw error;
    if (!exec.frozen) {
      const states = exec.script.states;
      const next = states[exec.cursor]!;
      if (exec.cursor < states.length - 1) exec.cursor++;
      if (next === 'SUCCEEDED' && exec.write !== undefined) {
        // Athena reports SUCCEEDED only after the result file is complete.
        await exec.write;
      }
      if (next === 'SUCCEEDED' && exec.writeFailed) {
        exec.state = 'FAILED';
        exec.forcedReason = 'athena-fake: the injected resultWriter failed to write the result file';
        exec.frozen = true;
      } else if (!exec.frozen) {
        // (A StopQueryExecution that arrived while we waited for the writer wins.)
        exec.state = next;
      }
    }
    if (TERMINAL.has(exec.state) && exec.completed === undefined) exec.completed = now();
    return { QueryExecution: describeExecution(exec) };
  }

  function describeExecution(exec: Execution): Record<string, unknown> {
    const s = exec.script;
    const terminal = TERMINAL.has(exec.state);
    const status: Record<string, unknown> = {
      State: exec.state,
      SubmissionDateTime: exec.submitted.getTime() / 1000,
    };
    if (exec.completed !== undefined) status['CompletionDateTime'] = exec.completed.getTime() / 1000;
    const reason = exec.forcedReason ?? s.reason;
    if ((exec.state === 'FAILED' || exec.state === 'CANCELLED') && reason !== undefined) {
      status['StateChangeReason'] = reason;
    }
    if (exec.state === 'FAILED') {
      const athenaError = exec.writeFailed
        ? { errorCategory: 1, errorType: 401, retryable: true, errorMessage: reason }
        : (s.athenaError ?? { errorCategory: 2, errorType: 1000, retryable: false });
      status['AthenaError'] = {
        ErrorCategory: athenaError.errorCategory,
        ErrorType: athenaError.errorType,
        Retryable: athenaError.retryable,
        ...((athenaError.errorMessage ?? reason) === undefined ? {} : { ErrorMessage: athenaError.errorMessage ?? reason }),
      };
    }
    const engine = terminal ? s.engineExecutionTimeMs : 0;
    const queue = exec.state === 'QUEUED' ? 0 : s.queueTimeMs;
    const execution: Record<string, unknown> = {
      QueryExecutionId: exec.id,
      Query: exec.query,
      StatementType: s.statementType,
      ResultConfiguration: { OutputLocation: exec.outputUri },
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
      Status: status,
      Statistics: {
        EngineExecutionTimeInMillis: engine,
        DataScannedInBytes: terminal ? s.dataScannedBytes : 0,
        TotalExecutionTimeInMillis: terminal ? queue + engine + 50 : queue,
        QueryQueueTimeInMillis: queue,
        ServicePreProcessingTimeInMillis: terminal ? 20 : 0,
        QueryPlanningTimeInMillis: terminal ? 30 : 0,
        ServiceProcessingTimeInMillis: terminal ? 30 : 0,
        ResultReuseInformation: { ReusedPreviousResult: false },
      },
      WorkGroup: exec.workGroup,
      EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
    };
    if (s.substatementType !== undefined) execution['SubstatementType'] = s.substatementType;
    if (exec.context !== undefined) execution['QueryExecutionContext'] = exec.context;
    return execution;
  }

  async function getQueryResults(input: Record<string, unknown>): Promise<unknown> {
    const exec = lookup(input);
    await sleep(exec.script.latencyMs);
    const error = throttled(exec.script, 'GetQueryResults');
    if (error) throw error;
    const maxRaw = input['MaxResults'];
    const maxResults = maxRaw === undefined ? 1000 : maxRaw;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
      throw invalidRequest(
        `1 validation error detected: Value '${String(maxRaw)}' at 'maxResults' failed to satisfy constraint: ` +
          'Member must have value between 1 and 1000',
      );
    }
    if (exec.state !== 'SUCCEEDED') {
      // The text Athena answers while a query runs ("Query has not yet finished. Current state: RUNNING").
      throw invalidRequest(
        TERMINAL.has(exec.state)
          ? `Query did not finish successfully. Final query state: ${exec.state}`
          : `Query has not yet finished. Current state: ${exec.state}`,
      );
    }
    const s = exec.script;
    let offset = 0;
    let first = true;
    const tokenIn = input['NextToken'];
    if (tokenIn !== undefined) {
      offset = decodeToken(tokenIn, exec.id, s.rowCount);
      first = false;
    }
    const rows: { Data: { VarCharValue?: string }[] }[] = [];
    let room = maxResults;
    if (first && s.hasHeader) {
      // Page 1 of a SELECT starts with the header row, and it counts against MaxResults (A2).
      rows.push({ Data: s.columns.map((c) => ({ VarCharValue: c.name })) });
      room--;
    }
    const end = Math.min(s.rowCount, offset + room);
    for (let i = offset; i < end; i++) {
      const row = s.rowAt(i);
      checkWidth(row, s.columns.length, i);
      rows.push({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) });
    }
    const out: Record<string, unknown> = {
      UpdateCount: 0,
      ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: s.columns.map(columnInfo) } },
    };
    if (end < s.rowCount) out['NextToken'] = encodeToken(exec.id, end);
    return out;
  }

  async function stopQueryExecution(input: Record<string, unknown>): Promise<unknown> {
    const exec = lookup(input);
    await sleep(exec.script.latencyMs);
    const error = throttled(exec.script, 'StopQueryExecution');
    if (error) throw error;
    // Stopping a finished query is a no-op that succeeds, as in Athena.
    if (!TERMINAL.has(exec.state)) {
      exec.state = 'CANCELLED';
      exec.frozen = true;
      exec.forcedReason = exec.script.reason;
      exec.completed = now();
    }
    return {};
  }

  const handlers: Record<AthenaOperation, (input: Record<string, unknown>) => Promise<unknown>> = {
    StartQueryExecution: startQueryExecution,
    GetQueryExecution: getQueryExecution,
    GetQueryResults: getQueryResults,
    StopQueryExecution: stopQueryExecution,
  };

  async function handleAthena(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const [service, operation] = target.split('.');
    const body = await readBody(req);
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = body.length === 0 ? {} : JSON.parse(body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      input = parsed as Record<string, unknown>;
    } catch {
      calls.Unknown++;
      sendError(res, new FakeApiError('SerializationException', 'The request body is not a JSON object', 400, {}, true));
      return;
    }
    if (service !== 'AmazonAthena' || !isOperation(operation)) {
      calls.Unknown++;
      requests.push({ operation: target, input });
      sendError(res, new FakeApiError('UnknownOperationException', `athena-fake does not implement ${target}`, 400, {}, true));
      return;
    }
    calls[operation]++;
    requests.push({ operation, input });
    try {
      const output = await handlers[operation](input);
      sendJson(res, 200, output);
    } catch (error) {
      if (error instanceof FakeApiError) {
        sendError(res, error);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        sendError(res, new FakeApiError('InternalServerException', `athena-fake: ${message}`, 500));
      }
    }
  }

  function findResultObject(bucket: string, key: string): Execution | undefined {
    for (const exec of executions.values()) {
      if (exec.bucket === bucket && exec.key === key) return exec;
    }
    return undefined;
  }

  async function handleS3(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    calls[head ? 'S3HeadObject' : 'S3GetObject']++;
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, bucketPart = '', ...keyParts] = url.pathname.split('/');
    const bucket = decodeURIComponent(bucketPart);
    const key = keyParts.map((p) => decodeURIComponent(p)).join('/');
    const exec = findResultObject(bucket, key);
    // The file exists once the query SUCCEEDED (as far as the client has been told) and is a SELECT's CSV.
    if (exec === undefined || exec.state !== 'SUCCEEDED' || !exec.script.hasHeader || exec.writeFailed) {
      sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', key, head);
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'last-modified': (exec.completed ?? exec.submitted).toUTCString(),
      etag: `"${exec.id.replaceAll('-', '')}"`,
      'accept-ranges': 'bytes',
      'x-amz-request-id': randomUUID(),
    };
    const range = parseRange(req.headers.range);
    if (head || range !== undefined) {
      exec.contentLength ??= await byteLength(csvBytes(exec.script));
    }
    if (head) {
      res.writeHead(200, { ...headers, 'content-length': exec.contentLength! });
      res.end();
      return;
    }
    // Without a Range the body is sent chunked: knowing its length would mean generating it twice.
    let body: AsyncIterable<Uint8Array> = csvBytes(exec.script);
    if (range !== undefined) {
      const total = exec.contentLength!;
      const start = range.start ?? Math.max(0, total - (range.suffix ?? 0));
      const end = Math.min(range.end ?? total - 1, total - 1);
      if (start >= total || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${total}` });
        res.end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${total}` });
      body = sliceBytes(body, start, end + 1);
    } else {
      res.writeHead(200, headers);
    }
    await pipeline(Readable.from(body), res);
  }

  const server = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const work =
      typeof target === 'string'
        ? handleAthena(req, res, target)
        : req.method === 'GET' || req.method === 'HEAD'
          ? handleS3(req, res)
          : Promise.resolve(sendError(res, new FakeApiError('UnknownOperationException', 'Missing X-Amz-Target', 400, {}, true)));
    work.catch((error: unknown) => {
      if (!res.headersSent) {
        sendError(res, new FakeApiError('InternalServerException', `athena-fake: ${String(error)}`, 500));
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const info = (exec: Execution): FakeExecutionInfo => ({
    queryExecutionId: exec.id,
    query: exec.query,
    clientRequestToken: exec.token,
    workGroup: exec.workGroup,
    state: exec.state,
    outputLocation: exec.outputUri,
    rowCount: exec.script.rowCount,
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    enqueue(script: FakeQueryScript): void {
      scripts.push(normalizeScript(script));
    },
    get calls() {
      return { ...calls };
    },
    get executionsStarted() {
      return executionsStarted;
    },
    get requests() {
      return requests;
    },
    get pendingScripts() {
      return scripts.length;
    },
    executions: () => [...executions.values()].map(info),
    execution(queryExecutionId: string) {
      const exec = executions.get(queryExecutionId);
      return exec === undefined ? undefined : info(exec);
    },
    setState(queryExecutionId: string, state: QueryState, reason?: string): void {
      const exec = executions.get(queryExecutionId);
      if (exec === undefined) throw new Error(`athena-fake: no execution ${queryExecutionId}`);
      exec.state = state;
      exec.forcedReason = reason;
      exec.frozen = true;
      if (TERMINAL.has(state)) exec.completed = now();
    },
    resultCsv(queryExecutionId: string): AsyncIterable<Uint8Array> {
      const exec = executions.get(queryExecutionId);
      if (exec === undefined) throw new Error(`athena-fake: no execution ${queryExecutionId}`);
      return csvBytes(exec.script);
    },
    async stop(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** A {@link ResultWriter} that writes `<dir>/<bucket>/<key>`, streaming. */
export function fileResultWriter(dir: string): ResultWriter {
  return async (target, body) => {
    const path = join(dir, target.bucket, ...target.key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await pipeline(Readable.from(body), createWriteStream(path));
  };
}

/**
 * One line of Athena's result CSV: every non-NULL value double-quoted with `"` doubled, NULL as an
 * unquoted empty field, `\n` line end (DESIGN §4; A5–A7).
 */
export function csvLine(cells: readonly FakeCell[]): string {
  let line = '';
  for (let k = 0; k < cells.length; k++) {
    if (k > 0) line += ',';
    const v = cells[k];
    if (v === null || v === undefined) continue;
    line += v.includes('"') ? `"${v.replaceAll('"', '""')}"` : `"${v}"`;
  }
  return `${line}\n`;
}

/** The whole result file of a column list and row source, as ~64 KiB UTF-8 chunks, generated lazily. */
export async function* resultCsvChunks(
  columnNames: readonly string[],
  rowCount: number,
  rowAt: (index: number) => readonly FakeCell[],
): AsyncGenerator<Uint8Array> {
  let text = csvLine(columnNames);
  for (let i = 0; i < rowCount; i++) {
    const row = rowAt(i);
    checkWidth(row, columnNames.length, i);
    text += csvLine(row);
    if (text.length >= 65536) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text, 'utf8');
}

function csvBytes(script: NormalizedScript): AsyncIterable<Uint8Array> {
  return resultCsvChunks(
    script.columns.map((c) => c.name),
    script.rowCount,
    script.rowAt,
  );
}

function normalizeScript(script: FakeQueryScript): NormalizedScript {
  const columns = (script.columns ?? []).map((c) => (typeof c === 'string' ? { name: c, type: 'varchar' } : { ...c }));
  let rowCount: number;
  let rowAt: (index: number) => readonly FakeCell[];
  if (script.rows !== undefined && script.rowGenerator !== undefined) {
    throw new Error('athena-fake: give either rows or rowGenerator + rowCount, not both');
  }
  if (script.rowGenerator !== undefined) {
    if (script.rowCount === undefined || !Number.isInteger(script.rowCount) || script.rowCount < 0) {
      throw new Error('athena-fake: rowGenerator needs rowCount (a non-negative integer)');
    }
    rowCount = script.rowCount;
    rowAt = script.rowGenerator;
  } else {
    const rows = script.rows ?? [];
    rows.forEach((row, i) => checkWidth(row, columns.length, i));
    rowCount = rows.length;
    rowAt = (i) => rows[i]!;
  }
  const states = [...(script.states ?? ['QUEUED', 'RUNNING', 'SUCCEEDED'])];
  if (states.length === 0) throw new Error('athena-fake: states must not be empty');
  states.forEach((state, i) => {
    if (!QUERY_STATES.includes(state)) throw new Error(`athena-fake: unknown state ${String(state)}`);
    const last = i === states.length - 1;
    if (last !== TERMINAL.has(state)) {
      throw new Error(`athena-fake: states must end in exactly one terminal state, got ${states.join(', ')}`);
    }
  });
  const statementType = script.statementType ?? 'DML';
  const substatementType = script.substatementType ?? (statementType === 'DML' ? 'SELECT' : undefined);
  const throttle = script.throttleFirst ?? 0;
  const throttleLeft = {} as Record<AthenaOperation, number>;
  for (const op of ATHENA_OPERATIONS) {
    throttleLeft[op] = typeof throttle === 'number' ? throttle : (throttle[op] ?? 0);
  }
  return {
    match: script.match,
    columns,
    rowCount,
    rowAt,
    states,
    reason: script.reason,
    athenaError: script.athenaError,
    latencyMs: script.latencyMs ?? 0,
    throttleLeft,
    throttleError: script.throttleError ?? 'ThrottlingException',
    dataScannedBytes: script.dataScannedBytes ?? 0,
    engineExecutionTimeMs: script.engineExecutionTimeMs ?? 1000,
    queueTimeMs: script.queueTimeMs ?? 100,
    statementType,
    substatementType,
    outputLocation: script.outputLocation,
    hasHeader: statementType === 'DML' && substatementType === 'SELECT',
  };
}

/**
 * `ColumnInfo` as Athena returns it: a bare `Type` name (`decimal`, `array`, `timestamp with time zone`),
 * Precision/Scale (decimal(p,s) → p/s; values for other types as recorded in test/fixtures/athena-results.json),
 * Nullable always UNKNOWN, CaseSensitive only for character types.
 */
export function columnInfo(column: FakeColumn): Record<string, unknown> {
  const { bare, precision, scale } = describeType(column.type);
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: column.name,
    Label: column.name,
    Type: bare,
    Precision: column.precision ?? precision,
    Scale: column.scale ?? scale,
    Nullable: 'UNKNOWN',
    CaseSensitive: bare === 'varchar' || bare === 'char' || bare === 'string',
  };
}

const FIXED_PRECISION: Record<string, number> = {
  tinyint: 3,
  smallint: 5,
  integer: 10,
  bigint: 19,
  real: 17,
  double: 17,
  varchar: 2147483647,
  varbinary: 1073741824,
};

function describeType(type: string): { bare: string; precision: number; scale: number } {
  const t = type.trim().toLowerCase().replace(/\s+/g, ' ');
  const args = /^[a-z ]+?\s*\(([^()]*)\)/.exec(t)?.[1]?.split(',').map((a) => Number(a.trim()));
  if (t.startsWith('decimal')) return { bare: 'decimal', precision: args?.[0] ?? 38, scale: args?.[1] ?? 0 };
  if (t.startsWith('timestamp')) {
    const bare = t.endsWith('with time zone') ? 'timestamp with time zone' : 'timestamp';
    return { bare, precision: args?.[0] ?? 3, scale: 0 };
  }
  if (t.startsWith('time')) {
    return { bare: t.endsWith('with time zone') ? 'time with time zone' : 'time', precision: args?.[0] ?? 3, scale: 0 };
  }
  if (t.startsWith('char')) return { bare: 'char', precision: args?.[0] ?? 1, scale: 0 };
  if (t.startsWith('varchar')) return { bare: 'varchar', precision: args?.[0] ?? 2147483647, scale: 0 };
  const bare = t === 'int' ? 'integer' : t.replace(/\s*\(.*$/s, '');
  return { bare, precision: FIXED_PRECISION[bare] ?? 0, scale: 0 };
}

function checkWidth(row: readonly FakeCell[], width: number, index: number): void {
  if (!Array.isArray(row) || row.length !== width) {
    throw new Error(`athena-fake: row ${index} has ${Array.isArray(row) ? row.length : 'no'} cells, the script has ${width} columns`);
  }
}

function matches(match: string | RegExp, sql: string): boolean {
  return typeof match === 'string' ? sql.includes(match) : match.test(sql);
}

function isOperation(name: string | undefined): name is AthenaOperation {
  return (ATHENA_OPERATIONS as readonly string[]).includes(name ?? '');
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  return typeof v === 'string' ? v : undefined;
}

/** `s3://bucket/some/prefix[/]` → bucket and a prefix ending in `/` (or empty). */
function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (m === null) throw invalidRequest(`OutputLocation must be an s3:// URI, got ${uri}`);
  const rest = m[2]!.replace(/\/+$/, '');
  return { bucket: m[1]!, prefix: rest.length === 0 ? '' : `${rest}/` };
}

// NextToken is opaque to clients; this one encodes the execution and the next data-row offset.
function encodeToken(id: string, offset: number): string {
  return Buffer.from(JSON.stringify({ q: id, o: offset })).toString('base64url');
}

function decodeToken(token: unknown, id: string, rowCount: number): number {
  try {
    if (typeof token !== 'string') throw new Error('not a string');
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; o?: unknown };
    if (parsed.q !== id || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0 || parsed.o > rowCount) {
      throw new Error('wrong execution or offset');
    }
    return parsed.o;
  } catch {
    throw invalidRequest('The NextToken is invalid for this query execution');
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...extraHeaders,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: FakeApiError): void {
  const body = { __type: error.type, [error.lowerCaseMessage ? 'message' : 'Message']: error.message, ...error.extra };
  sendJson(res, error.status, body, { 'x-amzn-errortype': error.type });
}

function sendS3Error(res: ServerResponse, status: number, code: string, message: string, key: string, head: boolean): void {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><Key>${escapeXml(key)}</Key><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': head ? 0 : Buffer.byteLength(xml) });
  res.end(head ? undefined : xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function parseRange(header: string | undefined): { start?: number; end?: number; suffix?: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  return m[2] === '' ? { start: Number(m[1]) } : { start: Number(m[1]), end: Number(m[2]) };
}

async function byteLength(body: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += chunk.byteLength;
  return n;
}

async function* sliceBytes(body: AsyncIterable<Uint8Array>, start: number, end: number): AsyncGenerator<Uint8Array> {
  let pos = 0;
  for await (const chunk of body) {
    const from = Math.max(start - pos, 0);
    const to = Math.min(end - pos, chunk.byteLength);
    if (to > from) yield chunk.subarray(from, to);
    pos += chunk.byteLength;
    if (pos >= end) return;
  }
}
