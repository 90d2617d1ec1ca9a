import type { JobConfig, TransferConfig } from './config/index.ts';
import { selectJobs } from './config/index.ts';
import { TransferError, asTransferError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';
import { failureBody, summarize, type JobReport, type RunResponse } from './report.ts';
import { isValidRunKey, resolveRunKey } from './runkey.ts';

/** The minimal request/response surface we use from Express (functions-framework passes Express objects). */
export interface HttpRequest {
  method: string;
  body?: unknown;
  header(name: string): string | undefined;
}
export interface HttpResponse {
  status(code: number): HttpResponse;
  set(name: string, value: string): HttpResponse;
  json(body: unknown): unknown;
}

export interface HandlerDeps {
  loadConfig: () => Promise<TransferConfig>;
  runJob: (job: JobConfig, context: { runKey: string; deadline: number; signal?: AbortSignal }) => Promise<JobReport>;
  /** Whole-run budget, kept below the function's timeout so we can stop the query and answer in time. */
  budgetMs: number;
  log?: Logger;
  now?: () => Date;
}

interface RunRequest {
  job?: string;
  runKey?: string;
}

const BODY_KEYS = new Set(['job', 'run_key']);
// Same rule as config job names (src/config): anything else cannot name a job, so it is refused early.
const JOB_NAME = /^[a-z0-9_-]{1,63}$/;
const KEY_HINT = 'Use a stable id per logical run (e.g. the date): 1–128 characters of letters, digits and _.:+@=-.';

/**
 * Only `job` (which configured job to run) and `run_key` are read from the body. SQL and targets come
 * from the config alone, so a caller with invoker rights cannot make the function run arbitrary SQL.
 */
export function parseRunRequest(body: unknown): RunRequest {
  if (body === undefined || body === null || body === '' || (Buffer.isBuffer(body) && body.length === 0)) return {};
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw badRequest('The request body must be a JSON object (or empty)', 'Send `{}` or `{"job": "<name>"}` with Content-Type: application/json.');
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !BODY_KEYS.has(k));
  if (unknown.length > 0) {
    throw badRequest(`Unknown request field(s): ${unknown.join(', ')}`, 'The body accepts only "job" and "run_key"; SQL and targets are set in config.yaml.');
  }
  const request: RunRequest = {};
  if (record.job !== undefined) {
    if (typeof record.job !== 'string' || !JOB_NAME.test(record.job)) {
      throw badRequest('"job" must be a job name from config.yaml ([a-z0-9_-], 1–63 characters)', 'Name one of the jobs in config.yaml, or omit "job" to run them all.');
    }
    request.job = record.job;
  }
  if (record.run_key !== undefined) {
    if (typeof record.run_key !== 'string' || !isValidRunKey(record.run_key)) {
      throw badRequest('"run_key" must be 1–128 characters of letters, digits and _.:+@=-', KEY_HINT);
    }
    request.runKey = record.run_key;
  }
  return request;
}

function badRequest(message: string, hint: string): TransferError {
  return new TransferError('REQUEST_INVALID', message, { status: 400, hint });
}

/** POST runs the selected job(s) in order; the status is 200 only when every job succeeded. */
export function createHandler(deps: HandlerDeps): (req: HttpRequest, res: HttpResponse) => Promise<void> {
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  return async (req, res) => {
    if (req.method !== 'POST') {
      const error = new TransferError('METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed`, {
        status: 405,
        hint: 'Use POST to run the transfer (curl -X POST …).',
      });
      res.status(405).set('Allow', 'POST').json(failureBody(error, now()));
      return;
    }
    let runKey: string | undefined;
    try {
      const request = parseRunRequest(req.body);
      const idempotencyKey = req.header('idempotency-key');
      if (idempotencyKey !== undefined && !isValidRunKey(idempotencyKey)) {
        throw badRequest('The Idempotency-Key header must be 1–128 characters of letters, digits and _.:+@=-', KEY_HINT);
      }
      const key = resolveRunKey({
        scheduleTime: req.header('x-cloudscheduler-scheduletime'),
        idempotencyKey,
        bodyKey: request.runKey,
      });
      runKey = key.value;
      const deadline = now().getTime() + deps.budgetMs;
      log.info('run started', { runKey, runKeySource: key.source, job: request.job ?? '(all)' });
      const config = await deps.loadConfig();
      const jobs = selectJobs(config, request.job);
      const reports: JobReport[] = [];
      // At the budget the signal stops Athena waits (and the query); every remote call also has its own
      // deadline. The race is the last line: an answer goes out even if something still hangs.
      const budget = new AbortController();
      const abortTimer = setTimeout(() => budget.abort(), Math.max(0, deadline - now().getTime()));
      try {
        for (const job of jobs) {
          reports.push(await withBudget(deps.runJob(job, { runKey, deadline, signal: budget.signal }), deadline + BUDGET_GRACE_MS - now().getTime(), job.name));
        }
      } finally {
        clearTimeout(abortTimer);
      }
      const response: RunResponse = summarize(reports, runKey, now());
      const status = response.success ? 200 : statusOf(reports);
      log.info('run finished', { runKey, success: response.success, rows: response.rows, status });
      res.status(status).json(response);
    } catch (error) {
      const e = asTransferError(error);
      log.error('run failed', { runKey, code: e.code, message: e.message });
      res.status(e.status).json(failureBody(e, now(), runKey));
    }
  };
}

/** Time after the budget for a stopped job to write its report before the handler answers without it. */
const BUDGET_GRACE_MS = 30_000;

async function withBudget(report: Promise<JobReport>, ms: number, job: string): Promise<JobReport> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TransferError('RUN_BUDGET_EXCEEDED', `Job ${job} did not finish within the run budget`, {
          status: 504,
          hint: 'Raise RUN_BUDGET_SECONDS (below the function timeout) or make the job smaller. A retry with the same run key attaches to work that finished meanwhile.',
          details: { job },
        }),
      );
    }, Math.max(0, ms));
  });
  try {
    return await Promise.race([report, late]);
  } finally {
    clearTimeout(timer);
  }
}

function statusOf(reports: JobReport[]): number {
  return reports.find((r) => !r.success)?.error?.status ?? 500;
}
