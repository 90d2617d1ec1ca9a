/**
 * The transfer benchmark (issue 4): rows/s, CPU seconds and peak RSS of each read path at 10k, 100k and 1M
 * rows, side by side with an original-style baseline, in one run.
 *
 *   npm run bench                                   # build, then every size and path (≈10 min on 2 vCPU)
 *   npm run bench -- --sizes=10000,100000           # fewer sizes
 *   options: --trace-memory (memoryUsage every 250 ms per run), --latency-ms=100  Athena fake delay per API call (real GetQueryResults: 0.26–1.4 s, DESIGN §10)
 *            --paths=baseline,rows,s3_csv,s3_csv+gcs   --cap-mib=256   --bigquery=sink|emulator
 *            --repeat=3  runs per S3-path row and per row ≤ 100k (median rows/s and CPU, highest peak RSS)
 *
 * Setup (all local, 127.0.0.1): moto for STS (the real web-identity credential path, tokens from our metadata
 * server emulator), our Athena fake for Athena AND the S3 result file (≤ 1,000 rows per GetQueryResults call
 * including the header, rows generated lazily), fake-gcs-server for staging, and for BigQuery either a sink
 * that speaks BigQuery's upload/REST protocol and counts rows (default; bigquery-emulator ingests ~15k rows/s
 * here, so it would measure itself) or bigquery-emulator (`--bigquery=emulator`; keep sizes ≤ 100k).
 *
 * Each measured run is its own child process (bench/child.ts: the built function's runtime + runJob;
 * bench/baseline.ts: the original design), reporting CPU (process.cpuUsage) and its own peak RSS (VmHWM:
 * process.resourceUsage().maxRSS would include this parent's RSS at fork time on Linux, see bench/peak-rss.ts). Function runs are held to the memory cap like Cloud Functions would:
 * a watchdog polls the child's VmRSS every 25 ms and kills it above the cap (reported as such); a peak above
 * the cap that slipped between polls still fails the run. The baseline runs uncapped, so it can be timed;
 * its RSS is reported as measured. Every run's rows are counted on the BigQuery side.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BigQuery } from '@google-cloud/bigquery';
import { OAuth2Client } from 'google-auth-library';
import { startAthenaFake, type AthenaFake } from '../test/emulators/athena-fake.ts';
import { startMetadataServer } from '../test/emulators/metadata-server.ts';
import { startStack, storageClient } from '../test/support/index.ts';
import { startBigQuerySink, type BigQuerySink } from './bigquery-sink.ts';
import { COLUMNS, benchRow } from './data.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PROJECT = 'bench-project';
const DATASET = 'bench';
const STAGING_BUCKET = 'bench-staging';

const PATHS = ['baseline', 'rows', 's3_csv', 's3_csv+gcs'] as const;
type PathName = (typeof PATHS)[number];

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    'latency-ms': { type: 'string', default: '100' },
    paths: { type: 'string', default: PATHS.join(',') },
    'cap-mib': { type: 'string', default: '256' },
    bigquery: { type: 'string', default: 'sink' },
    'trace-memory': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '3' },
  },
});
const sizes = values.sizes.split(',').map((s) => Number(s.replace(/_/g, '')));
const latencyMs = Number(values['latency-ms']);
const capMiB = Number(values['cap-mib']);
const paths = values.paths.split(',') as PathName[];
const target = values.bigquery === 'emulator' ? 'emulator' : 'sink';
const repeat = Math.max(1, Number(values.repeat) || 1);
if (sizes.some((s) => !Number.isInteger(s) || s < 1) || paths.some((p) => !PATHS.includes(p)) || !(latencyMs >= 0) || !(capMiB > 0)) {
  console.error(`usage: node bench/run.ts [--sizes=10000,100000,1000000] [--latency-ms=100] [--paths=${PATHS.join(',')}] [--cap-mib=256] [--bigquery=sink|emulator]`);
  process.exit(2);
}

interface ChildResult {
  ok: boolean;
  rows: number;
  readPath: string;
  staged: boolean;
  stagedObjects: number;
  wallMs: number;
  cpuMs: number;
  /** The child's own peak RSS (VmHWM; see bench/peak-rss.ts). */
  peakRssKiB: number;
  source: 'VmHWM' | 'maxRSS';
  /** process.resourceUsage().maxRSS, for comparison (inflated by the parent's RSS at fork on Linux). */
  maxRssKiB: number;
  warnings: string[];
  error?: string;
}

interface Run {
  size: number;
  path: PathName;
  status: 'ok' | 'failed' | 'killed (RSS > cap)' | 'over cap' | 'wrong row count';
  result?: ChildResult;
  landed?: number;
  progressLines: number;
  note?: string;
  /** How many runs this row combines (median rows/s and CPU, highest peak RSS). */
  repeats?: number;
  /** Lowest and highest peak RSS (KiB) over the repetitions. */
  peakRange?: [number, number] | undefined;
}

const started = Date.now();
const bench0 = `bench ${new Date().toISOString()}: sizes ${sizes.join(', ')}; paths ${paths.join(', ')}; Athena fake ${latencyMs} ms per call; BigQuery ${target}; cap ${capMiB} MiB`;
console.log(bench0);

// The emulators' child processes are unref'd (test/support/stack.ts): keep the loop alive while we wait for them.
const keepAlive = setInterval(() => undefined, 1000);
const stack = await startStack({ projectId: PROJECT, components: target === 'emulator' ? ['moto', 'gcs', 'bigquery'] : ['moto', 'gcs'] });
const metadata = await startMetadataServer({ projectId: PROJECT });
const fake: AthenaFake = await startAthenaFake();
let sink: BigQuerySink | undefined;
const work = mkdtempSync(join(tmpdir(), 'a2bq-bench-'));
const cleanup = async (): Promise<void> => {
  await sink?.stop();
  await fake.stop();
  await metadata.stop();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
};

const runs: Run[] = [];
let convertCore: string[] = [];
try {
  if (target === 'sink') sink = await startBigQuerySink({ gcsUrl: stack.gcsUrl, fields: COLUMNS.length });
  const bigqueryUrl = sink?.url ?? stack.bigqueryUrl;
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'bench', expiry_date: Date.now() + 24 * 3600 * 1000 });
  const bq = new BigQuery({ projectId: PROJECT, apiEndpoint: bigqueryUrl, authClient: auth });
  if (target === 'emulator') await bq.createDataset(DATASET);
  await storageClient(stack).createBucket(STAGING_BUCKET);

  // The conversion core alone, in its own process (CPU-bound; target ≥ 0.5× JSON.stringify).
  convertCore = (await spawnCollect([join(here, 'convert-core.ts'), '200000'], {})).lines;

  for (const size of sizes) {
    for (const path of paths) {
      // Short runs are repeated: V8 sizes its young generation by heuristics, which moves a short run's peak
      // RSS by up to ~45 MiB between identical runs. Paging runs at 1M rows (~2 min each) run once.
      const times = path === 's3_csv' || path === 's3_csv+gcs' || size <= 100_000 ? repeat : 1;
      const reps: Run[] = [];
      for (let i = 0; i < times; i++) reps.push(await measure(size, path, bq, bigqueryUrl, i));
      const run = combine(reps);
      runs.push(run);
      console.log(line(run));
    }
  }
} catch (error) {
  console.error('bench failed:', error);
  process.exitCode = 1;
} finally {
  await cleanup();
}

clearInterval(keepAlive);
console.log('');
console.log(report());
process.exitCode ??= runs.every((r) => r.status === 'ok' || r.path === 'baseline') ? 0 : 1;

// --- one run ------------------------------------------------------------------------------------------

/**
 * Repetitions of one size and path → one row: the median run by rows/s (its rows/s and CPU), the highest
 * peak RSS of all (the cap must hold for the worst one), and the first failure if any run failed.
 */
function combine(reps: Run[]): Run {
  const failed = reps.find((r) => r.status !== 'ok');
  if (failed) return { ...failed, note: `${failed.note ?? ''}${reps.length > 1 ? ` (run ${reps.indexOf(failed) + 1} of ${reps.length})` : ''}` };
  const sorted = [...reps].sort((a, b) => (rate(a) ?? 0) - (rate(b) ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const worst = reps.reduce((a, b) => (b.result!.peakRssKiB > a.result!.peakRssKiB ? b : a));
  return {
    ...median,
    repeats: reps.length,
    peakRange: reps.length > 1 ? [Math.min(...reps.map((r) => r.result!.peakRssKiB)), worst.result!.peakRssKiB] : undefined,
    result: { ...median.result!, peakRssKiB: worst.result!.peakRssKiB, maxRssKiB: worst.result!.maxRssKiB },
  };
}

async function measure(size: number, path: PathName, bq: BigQuery, bigqueryUrl: string, rep = 0): Promise<Run> {
  const name = `r${size}_${path.replace(/[^a-z0-9]/g, '_')}_${rep}`;
  const view = `view_${name}`;
  // The type probe (transfer.type_probe) runs `SELECT * FROM (<query>) LIMIT 0` before the main query.
  if (path !== 'baseline') fake.enqueue({ match: new RegExp(`FROM ${view}\\s*\\) LIMIT 0$`), columns: COLUMNS, rows: [], states: ['SUCCEEDED'], latencyMs });
  fake.enqueue({ match: new RegExp(`^SELECT \\* FROM ${view}$`), columns: COLUMNS, rowGenerator: benchRow, rowCount: size, states: ['SUCCEEDED'], latencyMs });
  if (path === 'baseline') {
    // The original function needed a pre-created table.
    await bq.dataset(DATASET).createTable(name, {
      schema: { fields: [['id', 'INT64'], ['account', 'INT64'], ['name', 'STRING'], ['amount', 'NUMERIC'], ['score', 'FLOAT64'], ['active', 'BOOL'], ['created_at', 'TIMESTAMP'], ['day', 'DATE']].map(([n, t]) => ({ name: n!, type: t! })) },
    });
  }
  const transfer = path === 'rows' ? 'read_path: rows' : 'read_path: auto';
  const staging = path === 's3_csv+gcs' ? `, staging_uri: "gs://${STAGING_BUCKET}/runs/", staging_threshold_mb: 0` : '';
  const configPath = join(work, `${name}.yaml`);
  writeFileSync(
    configPath,
    `aws: {account_id: "123456789012", region: us-east-1, iam_role_name: bench-role}
athena: {database: default, query: "SELECT * FROM ${view}", poll_min_ms: 100}
gcp: {project_id: ${PROJECT}}
bigquery: {dataset_id: ${DATASET}, table_id: ${name}${staging}}
transfer: {${transfer}}
`,
  );
  const env: Record<string, string> = {
    ...stack.env,
    CONFIG_URI: configPath,
    GCE_METADATA_HOST: metadata.host,
    AWS_ENDPOINT_URL_ATHENA: fake.url,
    AWS_ENDPOINT_URL_S3: fake.url,
    BIGQUERY_API_ENDPOINT: bigqueryUrl,
    LOG_LEVEL: 'INFO',
    ...(values['trace-memory'] ? { BENCH_TRACE_MEMORY: '1' } : {}),
  };
  const script = join(here, path === 'baseline' ? 'baseline.ts' : 'child.ts');
  const out = await spawnCollect([script], env, path === 'baseline' ? undefined : capMiB);
  const resultLine = out.lines.find((l) => l.startsWith('BENCH_RESULT '));
  const result = resultLine ? (JSON.parse(resultLine.slice('BENCH_RESULT '.length)) as ChildResult) : undefined;
  const progressLines = out.lines.filter((l) => l.includes('"message":"progress"')).length;
  if (values['trace-memory']) {
    const samples = out.lines.filter((l) => l.startsWith('BENCH_MEM ')).map((l) => JSON.parse(l.slice(10)) as Record<string, number>);
    const max = (k: string): number => Math.max(0, ...samples.map((m) => m[k] ?? 0));
    console.log(`  memory (MiB, max of ${samples.length} samples): rss ${max('rss')} heapTotal ${max('heapTotal')} heapUsed ${max('heapUsed')} external ${max('external')} arrayBuffers ${max('arrayBuffers')}`);
    console.log(`  rss over time: ${samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 20)) === 0).map((m) => m.rss).join(' ')}`);
  }
  const run: Run = { size, path, status: 'ok', progressLines, ...(result ? { result } : {}) };
  if (out.killed) {
    run.status = 'killed (RSS > cap)';
    run.note = `killed at ${Math.round(out.peakKiB / 1024)} MiB RSS`;
    return run;
  }
  if (!result || !result.ok) {
    run.status = 'failed';
    run.note = result?.error ?? `exit ${out.code}: ${out.lines.filter((l) => !l.startsWith('{')).slice(-3).join(' | ').slice(0, 300)}`;
    return run;
  }
  if (path !== 'baseline' && result.peakRssKiB > capMiB * 1024) {
    run.status = 'over cap';
    run.note = `peak ${Math.round(result.peakRssKiB / 1024)} MiB`;
  }
  run.landed = await landedRows(bq, name);
  if (run.landed !== size) {
    run.status = 'wrong row count';
    run.note = `${run.landed} rows landed, ${size} expected`;
  }
  const invalid = sink?.table(DATASET, name)?.invalid ?? 0;
  if (invalid > 0) {
    run.status = 'failed';
    run.note = `${invalid} sampled NDJSON lines were not ${COLUMNS.length}-field JSON objects`;
  }
  return run;
}

async function landedRows(bq: BigQuery, table: string): Promise<number> {
  if (sink) return sink.table(DATASET, table)?.rows ?? 0;
  const [rows] = await bq.query(`SELECT COUNT(*) AS n FROM \`${PROJECT}.${DATASET}.${table}\``);
  return Number((rows[0] as { n: number }).n);
}

/** Runs `node <args>`; with a cap, kills the child when its RSS passes it. Collects stdout+stderr lines. */
function spawnCollect(args: string[], env: Record<string, string>, capMiBForChild?: number): Promise<{ lines: string[]; code: number | null; killed: boolean; peakKiB: number }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE|GOOGLE_APPLICATION_CREDENTIALS|STORAGE_EMULATOR_HOST|BIGQUERY_EMULATOR_HOST)$/.test(k)) base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let pending = '';
    const collect = (chunk: Buffer): void => {
      const text = pending + chunk.toString('utf8');
      const parts = text.split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) lines.push(p);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let killed = false;
    let peakKiB = 0;
    const timer =
      capMiBForChild === undefined
        ? undefined
        : setInterval(() => {
            const rss = vmRssKiB(child.pid);
            if (rss === undefined) return;
            peakKiB = Math.max(peakKiB, rss);
            if (rss > capMiBForChild * 1024 && !killed) {
              killed = true;
              child.kill('SIGKILL');
            }
          }, 25);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      if (pending.trim()) lines.push(pending);
      resolve({ lines, code, killed, peakKiB });
    });
  });
}

function vmRssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// --- output -------------------------------------------------------------------------------------------

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function rate(r: Run): number | undefined {
  return r.result && r.status !== 'failed' && r.status !== 'killed (RSS > cap)' ? r.size / (r.result.wallMs / 1000) : undefined;
}
function label(p: PathName): string {
  return p === 'baseline' ? 'baseline (collect + 1 insertAll)' : p === 's3_csv+gcs' ? 's3_csv + GCS staging' : p;
}

function line(r: Run): string {
  const res = r.result;
  const rs = rate(r);
  const base = runs.find((b) => b.size === r.size && b.path === 'baseline');
  const baseRate = base ? rate(base) : undefined;
  return [
    fmt(r.size).padStart(9),
    label(r.path).padEnd(32),
    r.status.padEnd(8),
    (rs === undefined ? '-' : fmt(rs)).padStart(9),
    (res ? fmt(res.wallMs / 1000, 1) : '-').padStart(7),
    (res ? fmt(res.cpuMs / 1000, 1) : '-').padStart(6),
    (res ? fmt(res.peakRssKiB / 1024) : '-').padStart(8),
    (rs !== undefined && baseRate !== undefined && r.path !== 'baseline' ? `${fmt(rs / baseRate, 1)}×` : '').padStart(7),
    ` ${res ? `${res.readPath}${res.staged ? `, staged ${res.stagedObjects} obj` : ''}` : ''}${r.progressLines ? `, ${r.progressLines} progress logs` : ''}${
      r.repeats && r.repeats > 1 && r.peakRange ? `; ×${r.repeats}, peak ${fmt(r.peakRange[0] / 1024)}–${fmt(r.peakRange[1] / 1024)}` : ''
    }${r.note ? `; ${r.note}` : ''}${
      res && res.maxRssKiB > res.peakRssKiB * 1.05 ? `; getrusage maxRSS ${fmt(res.maxRssKiB / 1024)} (parent at fork)` : ''
    }`,
  ].join(' ');
}

function report(): string {
  const out: string[] = [];
  out.push(`machine: ${cpus().length} vCPU (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  out.push(`setup: Athena fake ${latencyMs} ms/call (≤1,000 rows per GetQueryResults incl. header), S3 result CSV from the fake, STS moto, GCS fake-gcs-server, BigQuery ${target === 'sink' ? 'sink (BigQuery upload/REST protocol, counts rows)' : 'bigquery-emulator'}; function runs capped at ${capMiB} MiB RSS, baseline uncapped; peak = the child's own VmHWM; rows marked ×N: median rows/s and CPU of N runs, highest peak`);
  out.push('');
  out.push(`${'rows'.padStart(9)} ${'path'.padEnd(32)} ${'result'.padEnd(8)} ${'rows/s'.padStart(9)} ${'wall s'.padStart(7)} ${'CPU s'.padStart(6)} ${'peak MiB'.padStart(8)} ${'vs base'.padStart(7)}  read path / notes`);
  for (const r of runs) out.push(line(r));
  out.push('');
  out.push('conversion core (bench/convert-core.ts, 200k rows, best of 7):');
  for (const l of convertCore) out.push(`  ${l}`);
  out.push('');
  out.push('targets:');
  const big = Math.max(...sizes);
  const mid = sizes.includes(100_000) ? 100_000 : undefined;
  for (const p of paths.filter((x) => x !== 'baseline')) {
    const at = runs.find((r) => r.size === big && r.path === p);
    if (!at?.result) continue;
    const peak = at.result.peakRssKiB / 1024;
    let text = `  ${label(p)}: peak RSS at ${fmt(big)} rows ${fmt(peak)} MiB ${peak <= capMiB && at.status !== 'killed (RSS > cap)' ? '≤' : '>'} ${capMiB} MiB`;
    const m = mid !== undefined && mid !== big ? runs.find((r) => r.size === mid && r.path === p) : undefined;
    if (m?.result) {
      const change = (at.result.peakRssKiB / m.result.peakRssKiB - 1) * 100;
      text += `; ${fmt(mid!)}→${fmt(big)} rows ${change >= 0 ? '+' : ''}${fmt(change, 1)}% (${Math.abs(change) <= 20 ? 'within' : 'OUTSIDE'} ±20%)`;
    }
    const base = runs.find((r) => r.size === big && r.path === 'baseline');
    const rs = rate(at);
    const bs = base ? rate(base) : undefined;
    if (rs !== undefined && bs !== undefined) text += `; ${fmt(rs / bs, 1)}× baseline rows/s (${rs / bs >= 10 ? 'meets' : 'below'} 10×)`;
    out.push(text);
  }
  const ratio = /ratio converter\/stringify: ([\d.]+)/.exec(convertCore.join('\n'))?.[1];
  if (ratio) out.push(`  conversion core: ${ratio}× JSON.stringify (${Number(ratio) >= 0.5 ? 'meets' : 'below'} 0.5×)`);
  out.push('');
  out.push(`bench time ${fmt((Date.now() - started) / 1000)} s`);
  return out.join('\n');
}
