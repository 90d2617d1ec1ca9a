/**
 * One measured function run, in its own process: the production wiring (dist/src/runtime.js: web-identity
 * credentials via the metadata server and STS, Athena, S3, BigQuery and Storage clients with their timeouts)
 * and runJob, exactly as the HTTP entry calls it, minus the HTTP server. Reports on its last stdout line:
 *   BENCH_RESULT {"ok":…,"rows":…,"wallMs":…,"cpuMs":…,"peakRssKiB":…,…}
 * CPU is process.cpuUsage() over the job; peak RSS is the process' own high-water mark over its whole life
 * (module loading included), which is what a memory limit sees: VmHWM, not resourceUsage().maxRSS, which on
 * Linux also counts the parent's RSS at fork time (bench/peak-rss.ts).
 *
 *   node bench/child.ts   (environment: CONFIG_URI, GCE_METADATA_HOST, AWS_ENDPOINT_URL_*, BIGQUERY_API_ENDPOINT, STORAGE_API_ENDPOINT)
 */
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRss } from './peak-rss.ts';

type Runtime = typeof import('../src/runtime.ts');
type Transfer = typeof import('../src/transfer.ts');

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
// The built function (npm run build), not the TypeScript sources: what gets deployed is what is measured.
const { createRuntime, parseOptions } = (await import(pathToFileURL(join(dist, 'runtime.js')).href)) as Runtime;
const { runJob } = (await import(pathToFileURL(join(dist, 'transfer.js')).href)) as Transfer;

const options = parseOptions(process.env);
const runtime = createRuntime(options);
const config = await runtime.loadConfig();
const job = config.jobs[0]!;

// `--trace-memory` in bench/run.ts: a memoryUsage sample every 250 ms, to see which part grows.
const trace = process.env.BENCH_TRACE_MEMORY
  ? setInterval(() => {
      const m = process.memoryUsage();
      process.stdout.write(`BENCH_MEM ${JSON.stringify({ rss: m.rss >> 20, heapTotal: m.heapTotal >> 20, heapUsed: m.heapUsed >> 20, external: m.external >> 20, arrayBuffers: m.arrayBuffers >> 20 })}\n`);
    }, Number(process.env.BENCH_TRACE_MEMORY_MS ?? 250))
  : undefined;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const report = await runJob(job, { runKey: `bench-${process.pid}-${Date.now()}`, deadline: Date.now() + options.budgetMs }, runtime.jobDeps);
const wallMs = performance.now() - t0;
if (trace) clearInterval(trace);
const cpu = process.cpuUsage(cpu0);
const result = {
  ok: report.success,
  rows: report.rows,
  readPath: report.readPath,
  staged: report.bigquery.staged === true,
  stagedObjects: report.bigquery.staging?.objects ?? 0,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  ...peakRss(),
  warnings: report.warnings,
  ...(report.error ? { error: `${report.error.code}: ${report.error.message}` } : {}),
};
process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
// Open sockets (keep-alive agents) must not keep the process around.
process.exit(0);
