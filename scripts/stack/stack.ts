/**
 * Runs the local emulator stack from a terminal:
 *   ./node_modules/.bin/node scripts/stack/stack.ts up [--project=ID] [--only=moto,gcs,bigquery]
 * prints the endpoints and the environment a function process needs, and keeps running until Ctrl-C.
 */
import { startStack } from '../../test/support/stack.ts';
import type { Component } from '../../test/support/stack.ts';

const usage = `usage: node scripts/stack/stack.ts up [--project=ID] [--only=moto,gcs,bigquery]
Starts moto server, fake-gcs-server and bigquery-emulator on 127.0.0.1 (free ports), prints their
endpoints and env, and stops them on Ctrl-C. Install them first with: bash scripts/stack/install.sh`;

const componentNames: readonly Component[] = ['moto', 'gcs', 'bigquery'];

function parseArgs(argv: readonly string[]): { projectId?: string; components?: Component[] } {
  const [command, ...rest] = argv;
  if (command !== 'up') throw new Error(usage);
  const parsed: { projectId?: string; components?: Component[] } = {};
  for (const arg of rest) {
    const [key, value] = arg.split('=', 2);
    if (key === '--project' && value) parsed.projectId = value;
    else if (key === '--only' && value) {
      const wanted = value.split(',');
      const unknown = wanted.filter((c) => !componentNames.includes(c as Component));
      if (unknown.length > 0) throw new Error(`unknown component(s) ${unknown.join(', ')}; known: ${componentNames.join(', ')}`);
      parsed.components = wanted as Component[];
    } else throw new Error(`unknown argument ${arg}\n${usage}`);
  }
  return parsed;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const stack = await startStack(args);
  const started = new Set(args.components ?? componentNames);
  if (started.has('moto')) console.log(`moto (STS, Athena, S3): ${stack.motoUrl}  log ${stack.logFiles.moto}`);
  if (started.has('gcs')) console.log(`fake-gcs-server:        ${stack.gcsUrl}  log ${stack.logFiles.gcs}`);
  if (started.has('bigquery')) {
    console.log(`bigquery-emulator:      ${stack.bigqueryUrl} (gRPC ${stack.bigqueryGrpcAddress}), project ` +
      `${stack.projectId}  log ${stack.logFiles.bigquery}`);
  }
  console.log('env:');
  for (const [key, value] of Object.entries(stack.env)) console.log(`  export ${key}=${value}`);
  console.log('Ctrl-C stops the stack.');
  // The children are unref'ed by startStack; hold the event loop open until a signal arrives.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = (): void => {
    clearInterval(keepAlive);
    void stack.stop().then(() => process.exit(0));
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
