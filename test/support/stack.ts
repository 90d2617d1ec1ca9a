/**
 * The local emulator stack (DESIGN §8): moto server (STS, Athena, S3), fake-gcs-server (GCS) and
 * goccy/bigquery-emulator (BigQuery), each started on 127.0.0.1 with a free port so several test files
 * can run stacks side by side. Binaries come from `bash scripts/stack/install.sh` (into `.stack/`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The emulators a stack can run. */
export type Component = 'moto' | 'gcs' | 'bigquery';

/** Options for {@link startStack}; every field has a default. */
export interface StackOptions {
  /** BigQuery project the emulator serves (also GOOGLE_CLOUD_PROJECT). Default `test-project`. */
  projectId?: string;
  /** AWS region put in `env`. Default `us-east-1`. */
  region?: string;
  /** Which emulators to start. Default all three. BigQuery without GCS cannot load `gs://` URIs. */
  components?: readonly Component[];
  /** Repository root holding `.stack/`. Default: two folders above this file. */
  root?: string;
  /** Folder for the processes' logs. Default `<root>/.stack/logs`. */
  logDir?: string;
  /** How long to wait for each emulator to answer. Default 60 s (bigquery-emulator starts slowest). */
  readyTimeoutMs?: number;
}

/** A running stack. URLs have a scheme and no trailing slash. */
export interface Stack {
  /** moto server, e.g. `http://127.0.0.1:41234` (STS, Athena, S3 and `/moto-api/`). */
  motoUrl: string;
  /** fake-gcs-server, e.g. `http://127.0.0.1:41235`: pass as `new Storage({ apiEndpoint })`. */
  gcsUrl: string;
  /** bigquery-emulator REST, e.g. `http://127.0.0.1:41236`: pass as `new BigQuery({ apiEndpoint })`. */
  bigqueryUrl: string;
  /** bigquery-emulator gRPC (Storage Read/Write API), `127.0.0.1:PORT`. */
  bigqueryGrpcAddress: string;
  projectId: string;
  region: string;
  /** Where this stack's logs are written, one file per process. */
  logFiles: Record<Component, string>;
  /**
   * The environment a function process (or an SDK in this process) needs to reach the stack. AWS SDK v3
   * reads `AWS_ENDPOINT_URL_<SERVICE>` itself; the Google endpoints are for our entry to read and hand to
   * the clients as `apiEndpoint` — `STORAGE_EMULATOR_HOST`/`BIGQUERY_EMULATOR_HOST` are deliberately not
   * set (the Node storage client would use that variable verbatim as base URL).
   */
  env: Record<string, string>;
  /** Kills every process of this stack and waits until they exited. Safe to call twice. */
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const defaultRoot = resolve(here, '..', '..');

/** Every child started by any stack in this process: killed on exit whatever the tests did. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only thing that reliably lands from there.
  process.on('exit', () => {
    for (const child of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Paths of the installed binaries, relative to the repository root. */
export function stackBinaries(root: string = defaultRoot): Record<Component, string> {
  return {
    moto: join(root, '.stack', 'venv', 'bin', 'moto_server'),
    gcs: join(root, '.stack', 'bin', 'fake-gcs-server'),
    bigquery: join(root, '.stack', 'bin', 'bigquery-emulator'),
  };
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port the OS assigned'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}

interface Launch {
  component: Component;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** A URL that answers 2xx once the server is ready. */
  probe: string;
}

interface Running {
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<void>;
}

function launch(spec: Launch, logFile: string): Running {
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n# ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
  const child = spawn(spec.command, spec.args, {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      live.delete(child);
      resolveExit();
    });
    // A spawn failure (ENOENT, EACCES) emits 'error' and maybe no 'exit'.
    child.once('error', (error) => {
      log.write(`# spawn error: ${error.message}\n`);
      live.delete(child);
      resolveExit();
    });
  });
  // Keep the test process from waiting on the emulators' pipes; stop() and the exit hook end them.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return { child, log, exited };
}

async function waitReady(spec: Launch, running: Running, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(
        `${spec.component} exited (code ${running.child.exitCode}, signal ${running.child.signalCode}) before it ` +
          `answered ${spec.probe}; see its log ${logFile}`,
      );
    }
    try {
      const response = await fetch(spec.probe, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${spec.component} did not answer ${spec.probe} within ${timeoutMs} ms (last: ${last}); see its log ${logFile}`,
  );
}

async function stopOne(running: Running): Promise<void> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const killed = await Promise.race([
      running.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref()),
    ]);
    if (!killed) {
      child.kill('SIGKILL');
      await running.exited;
    }
  }
  await new Promise<void>((r) => running.log.end(() => r()));
}

/**
 * Starts the requested emulators on free 127.0.0.1 ports, waits until each answers, and returns their
 * endpoints. Fails with a message naming `bash scripts/stack/install.sh` when a binary is missing. On a
 * failed start every process already started is stopped before the error is thrown.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = options.root ?? defaultRoot;
  const projectId = options.projectId ?? 'test-project';
  const region = options.region ?? 'us-east-1';
  const components = new Set<Component>(options.components ?? ['moto', 'gcs', 'bigquery']);
  const logDir = options.logDir ?? join(root, '.stack', 'logs');
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const binaries = stackBinaries(root);

  const missing = [...components].filter((c) => !existsSync(binaries[c]));
  if (missing.length > 0) {
    throw new Error(
      `emulator binaries missing: ${missing.map((c) => binaries[c]).join(', ')}. ` +
        `Install the stack first: bash scripts/stack/install.sh (from the repository root; it builds ` +
        `bigquery-emulator once, which takes minutes)`,
    );
  }
  mkdirSync(logDir, { recursive: true });
  installExitHook();

  const [motoPort, gcsPort, bqPort, bqGrpcPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  const gcsUrl = `http://127.0.0.1:${gcsPort}`;
  const bigqueryUrl = `http://127.0.0.1:${bqPort}`;
  const tag = `${process.pid}-${Date.now()}`;
  const logFiles: Record<Component, string> = {
    moto: join(logDir, `moto-${tag}.log`),
    gcs: join(logDir, `fake-gcs-${tag}.log`),
    bigquery: join(logDir, `bigquery-${tag}.log`),
  };

  const specs: Launch[] = [];
  if (components.has('moto')) {
    specs.push({
      component: 'moto',
      command: binaries.moto,
      args: ['-H', '127.0.0.1', '-p', String(motoPort)],
      // moto reads no credentials; its ports are ours alone.
      env: {},
      probe: `${motoUrl}/moto-api/data.json`,
    });
  }
  if (components.has('gcs')) {
    specs.push({
      component: 'gcs',
      command: binaries.gcs,
      args: [
        '-backend', 'memory', '-scheme', 'http', '-host', '127.0.0.1', '-port', String(gcsPort),
        // The Location header of resumable uploads must point back at us, not at 0.0.0.0.
        '-external-url', gcsUrl, '-log-level', 'warn',
      ],
      env: {},
      probe: `${gcsUrl}/storage/v1/b?project=${encodeURIComponent(projectId)}`,
    });
  }
  if (components.has('bigquery')) {
    specs.push({
      component: 'bigquery',
      command: binaries.bigquery,
      args: [
        `--project=${projectId}`, '--host=127.0.0.1', `--port=${bqPort}`, `--grpc-port=${bqGrpcPort}`,
        '--log-level=info',
      ],
      // The emulator's own Go storage client reads this for gs:// loads (server/handler.go
      // gcsClientOptions: `<value>/storage/v1/`, so the value carries the scheme).
      env: components.has('gcs') ? { STORAGE_EMULATOR_HOST: gcsUrl } : {},
      probe: `${bigqueryUrl}/bigquery/v2/projects/${encodeURIComponent(projectId)}/datasets`,
    });
  }

  const running: Running[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(running.splice(0).map(stopOne));
  };
  try {
    for (const spec of specs) running.push(launch(spec, logFiles[spec.component]));
    await Promise.all(specs.map((spec, i) => waitReady(spec, running[i]!, logFiles[spec.component], readyTimeoutMs)));
  } catch (error) {
    await stopAll();
    throw error;
  }

  const env: Record<string, string> = {
    AWS_REGION: region,
    // SDK v3 (>= 3.4xx) reads service-specific endpoint variables itself.
    AWS_ENDPOINT_URL_STS: motoUrl,
    AWS_ENDPOINT_URL_ATHENA: motoUrl,
    AWS_ENDPOINT_URL_S3: motoUrl,
    // No instance-metadata lookups from a test machine.
    AWS_EC2_METADATA_DISABLED: 'true',
    GOOGLE_CLOUD_PROJECT: projectId,
    STORAGE_API_ENDPOINT: gcsUrl,
    BIGQUERY_API_ENDPOINT: bigqueryUrl,
  };
  if (!components.has('moto')) {
    delete env.AWS_ENDPOINT_URL_STS;
    delete env.AWS_ENDPOINT_URL_ATHENA;
    delete env.AWS_ENDPOINT_URL_S3;
  }
  if (!components.has('gcs')) delete env.STORAGE_API_ENDPOINT;
  if (!components.has('bigquery')) delete env.BIGQUERY_API_ENDPOINT;

  return {
    motoUrl,
    gcsUrl,
    bigqueryUrl,
    bigqueryGrpcAddress: `127.0.0.1:${bqGrpcPort}`,
    projectId,
    region,
    logFiles,
    env,
    stop: stopAll,
  };
}
