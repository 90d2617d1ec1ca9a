#!/usr/bin/env node
/**
 * The same core from a terminal:
 *   athena-to-bigquery check  [--config URI]                 validate the config, print the planned jobs
 *   athena-to-bigquery run    [--config URI] [--job NAME] [--run-key KEY]   run job(s), print the JSON report
 *   athena-to-bigquery doctor [--config URI] [--job NAME]    assume each job's AWS role; a refusal shows the decoded token claims
 * Environment as for the function (CONFIG_URI, GCE_METADATA_HOST, AWS_ENDPOINT_URL_*, …); flags win.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { selectJobs } from './config/index.ts';
import { asTransferError } from './errors.ts';
import { createLogger } from './log.ts';
import { summarize } from './report.ts';
import { createRuntime, parseOptions } from './runtime.ts';
import { runJob } from './transfer.ts';
import { isValidRunKey } from './runkey.ts';

const USAGE = `usage: athena-to-bigquery <command> [--config URI] [--job NAME] [--run-key KEY]

commands:
  check    validate the config (CONFIG_URI or --config: gs://bucket/object or a path) and print the planned jobs
  run      run the job(s) now and print the JSON report (same as POST to the function)
  doctor   get the Google identity token and assume the AWS role for each job; print what failed and why

options:
  --config URI     config location (default: $CONFIG_URI, else ./config.yaml)
  --job NAME       only this job of a jobs: list
  --run-key KEY    run key for idempotent retries (default: a fresh id)`;

export async function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, job: { type: 'string' }, 'run-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values['run-key'] !== undefined && !isValidRunKey(values['run-key'])) {
    console.error('--run-key must be 1–128 characters of letters, digits and _.:+@=-');
    return 2;
  }
  const command = positionals[0];
  if (values.help || !command || !['check', 'run', 'doctor'].includes(command)) {
    console.error(USAGE);
    return command || values.help ? (values.help ? 0 : 2) : 2;
  }
  const options = parseOptions({ ...env, ...(values.config ? { CONFIG_URI: values.config } : {}) });
  // Logs go to stderr so stdout stays one JSON document.
  const log = createLogger({ minSeverity: options.logLevel, write: (line) => process.stderr.write(line + '\n') });
  const runtime = createRuntime(options, log);
  try {
    const config = await runtime.loadConfig();
    const jobs = selectJobs(config, values.job);
    if (command === 'check') {
      const plan = jobs.map((j) => ({ job: j.name, roleArn: j.aws.roleArn, query: j.athena.query, target: `${j.bigquery.projectId}.${j.bigquery.datasetId}.${j.bigquery.tableId}`, writeMode: j.bigquery.writeMode }));
      console.log(JSON.stringify({ success: true, config: config.source, jobs: plan }, null, 2));
      return 0;
    }
    if (command === 'doctor') {
      const results = [];
      for (const job of jobs) {
        try {
          const credentials = await runtime.jobDeps.credentials(job)();
          results.push({ job: job.name, roleArn: job.aws.roleArn, assumeRole: 'ok', expiration: credentials.expiration?.toISOString() });
        } catch (error) {
          results.push({ job: job.name, roleArn: job.aws.roleArn, assumeRole: 'failed', error: asTransferError(error).toJSON() });
        }
      }
      console.log(JSON.stringify({ success: results.every((r) => r.assumeRole === 'ok'), jobs: results }, null, 2));
      return results.every((r) => r.assumeRole === 'ok') ? 0 : 1;
    }
    const runKey = values['run-key'] ?? randomUUID();
    const deadline = Date.now() + options.budgetMs;
    const reports = [];
    for (const job of jobs) reports.push(await runJob(job, { runKey, deadline }, runtime.jobDeps));
    const response = summarize(reports, runKey, new Date());
    console.log(JSON.stringify(response, null, 2));
    return response.success ? 0 : 1;
  } catch (error) {
    console.log(JSON.stringify({ success: false, error: asTransferError(error).toJSON() }, null, 2));
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
