/**
 * Config text → TransferConfig. Pure: no I/O, no environment. Every problem in the file is collected and
 * thrown at once as ConfigInvalid, each with its key path, line, message and fix.
 */
import { ConfigInvalid } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { fromZodIssues } from './issues.ts';
import { formatPath, isRecord } from './path.ts';
import type { RawIssue } from './path.ts';
import { buildJob, planJobs } from './plan.ts';
import { configSchema } from './schema.ts';
import type { TransferConfig } from './types.ts';
import { readYaml } from './yaml.ts';
import type { Position } from './yaml.ts';

/** A config is a few kilobytes; anything near this is a wrong file, not a config. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Parses and validates a config file.
 * @param text the YAML text
 * @param source where it came from (`gs://…` or a path), used in messages only
 * @throws ConfigInvalid listing every issue found
 */
export function parseConfig(text: string, source: string): TransferConfig {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigInvalid(source, [
      { path: '', message: `the file is ${bytes} bytes; a config is at most ${MAX_CONFIG_BYTES}`, hint: 'Check that CONFIG_URI points at the config YAML and not at a data file.' },
    ]);
  }

  const yaml = readYaml(text);
  if (yaml.issues.length > 0) throw new ConfigInvalid(source, place(yaml.issues, yaml.locate));

  const root = yaml.value;
  const issues: RawIssue[] = [];
  const parsed = configSchema.safeParse(root, { reportInput: true });
  if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, root));
  if (!isRecord(root)) throw new ConfigInvalid(source, place(issues, yaml.locate));

  const plan = planJobs(root);
  issues.push(...plan.issues);
  if (issues.length > 0) throw new ConfigInvalid(source, place(issues, yaml.locate));

  return { source, jobs: plan.jobs.map((job) => buildJob(root, job)) };
}

/**
 * Drops "missing" issues that a typo already explains, adds "(line N)" to each issue and orders them as
 * they appear in the file.
 */
function place(issues: readonly RawIssue[], locate: (at: RawIssue['at']) => Position | undefined): ConfigIssue[] {
  const covered = issues.flatMap((issue) => (issue.covers === undefined ? [] : [formatPath(issue.covers)]));
  const isCovered = (at: RawIssue['at']): boolean => {
    const path = formatPath(at);
    return covered.some((c) => path === c || path.startsWith(`${c}.`) || path.startsWith(`${c}[`));
  };
  return issues
    .filter((issue) => !(issue.missing === true && isCovered(issue.at)))
    .map((issue, index) => ({ issue, index, position: issue.at.length === 0 ? undefined : locate(issue.at) }))
    .sort((x, y) => (x.position?.offset ?? -1) - (y.position?.offset ?? -1) || x.index - y.index)
    .map(({ issue, position }) => ({
      path: formatPath(issue.at),
      message: position === undefined ? issue.message : `${issue.message} (line ${position.line})`,
      hint: issue.hint,
    }));
}
