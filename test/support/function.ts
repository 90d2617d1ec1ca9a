/**
 * Runs the real function (dist/, built by `npm run build`) under functions-framework in a child process,
 * exactly as Cloud Functions would, with only the environment given: no AWS keys, no Google credentials
 * beyond what the metadata server emulator hands out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './stack.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningFunction {
  url: string;
  /** Every stdout/stderr line the function printed (structured JSON logs). */
  logs: string[];
  post(body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Variables that would let the function find credentials other than the keyless path: never passed. */
const STRIPPED = /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_ROLE_ARN|GOOGLE_APPLICATION_CREDENTIALS|STORAGE_EMULATOR_HOST|BIGQUERY_EMULATOR_HOST)$/;

export async function startFunction(env: Record<string, string>): Promise<RunningFunction> {
  const entry = join(root, 'dist', 'src', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIPPED.test(k)) baseEnv[k] = v;
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js'), '--target=athenaToBigQuery', `--source=${entry}`, `--port=${port}`],
    { cwd: root, env: { ...baseEnv, ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the function exited with ${child.exitCode}:\n${logs.join('\n')}`);
    try {
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the function did not listen on ${url} within 30 s:\n${logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    logs,
    async post(body: unknown = {}, headers: Record<string, string> = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: keep the text for the assertion message */
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
