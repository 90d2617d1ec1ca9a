/**
 * The original-style baseline, kept in the harness for comparison (DESIGN §0, §10): the published Python
 * function collected every row of GetQueryResults into a list of dicts (values as the text Athena gives)
 * and wrote them with ONE `insert_rows_json` call (BigQuery insertAll). Same here with the Node SDKs:
 * paginate GetQueryResults (1,000 rows a call), build one object per row, then one `table.insert(rows)`.
 * Credentials and the Athena client come from the same production wiring as the function (so only the
 * transfer differs). Reports like bench/child.ts.
 *
 * Not a fair fight on purpose: it is the design being replaced. Note that real BigQuery refuses insertAll
 * requests above 10 MB (BigQuery quotas, "Streaming inserts: maximum HTTP request size"), about 40k rows of
 * this shape, so against BigQuery itself the original design fails outright at the 100k and 1M sizes;
 * the benchmark's sink accepts any size, which lets the baseline finish and be timed.
 */
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRss } from './peak-rss.ts';
import { GetQueryExecutionCommand, StartQueryExecutionCommand, paginateGetQueryResults } from '@aws-sdk/client-athena';
import { BigQuery } from '@google-cloud/bigquery';

type Runtime = typeof import('../src/runtime.ts');
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const { createRuntime, parseOptions } = (await import(pathToFileURL(join(dist, 'runtime.js')).href)) as Runtime;

const options = parseOptions(process.env);
const runtime = createRuntime(options);
const job = (await runtime.loadConfig()).jobs[0]!;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let rows = 0;
let error: string | undefined;
try {
  const athena = runtime.jobDeps.athena(job, runtime.jobDeps.credentials(job));
  const started = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: job.athena.query,
      WorkGroup: job.athena.workgroup,
      QueryExecutionContext: { Catalog: job.athena.catalog, Database: job.athena.database },
    }),
  );
  const id = started.QueryExecutionId!;
  for (;;) {
    const state = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`query ${state}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  // All rows in memory, as the original did.
  const records: Record<string, string | null>[] = [];
  let names: string[] | undefined;
  let first = true;
  for await (const page of paginateGetQueryResults({ client: athena }, { QueryExecutionId: id, MaxResults: 1000 })) {
    names ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
    const data = page.ResultSet?.Rows ?? [];
    for (let r = first ? 1 : 0; r < data.length; r++) {
      const record: Record<string, string | null> = {};
      const cells = data[r]!.Data ?? [];
      for (let c = 0; c < names.length; c++) record[names[c]!] = cells[c]?.VarCharValue ?? null;
      records.push(record);
    }
    first = false;
  }
  const bigquery = new BigQuery({ projectId: job.bigquery.projectId, ...(options.endpoints.bigquery ? { apiEndpoint: options.endpoints.bigquery } : {}) });
  // One insertAll with every row (the Python client's insert_rows_json sends one request).
  await bigquery.dataset(job.bigquery.datasetId).table(job.bigquery.tableId).insert(records);
  rows = records.length;
} catch (e) {
  error = e instanceof Error ? `${e.name}: ${e.message.slice(0, 300)}` : String(e);
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({ ok: error === undefined, rows, readPath: 'rows', staged: false, stagedObjects: 0, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ...peakRss(), warnings: [], ...(error ? { error } : {}) })}\n`,
);
process.exit(0);
