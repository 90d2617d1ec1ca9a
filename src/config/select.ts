import { TransferError } from '../errors.ts';
import { closest } from './suggest.ts';
import type { JobConfig, TransferConfig } from './types.ts';

/**
 * The jobs a request asked for: all of them when `jobName` is undefined, else the one with that name.
 * @throws TransferError REQUEST_INVALID (400) naming the jobs that exist when no job has that name
 */
export function selectJobs(config: TransferConfig, jobName?: string): JobConfig[] {
  if (jobName === undefined) return config.jobs;
  const job = config.jobs.find((candidate) => candidate.name === jobName);
  if (job !== undefined) return [job];
  const names = config.jobs.map((candidate) => candidate.name);
  // The name comes from the request: show a bounded, quoted form of it, never raw text.
  const shown = JSON.stringify(jobName.length > 63 ? `${jobName.slice(0, 63)}…` : jobName);
  // Job names are at most 63 characters: a longer value cannot match and is not worth an edit distance.
  const guess = jobName.length <= 63 ? closest(jobName, names) : undefined;
  return reject(shown, names, guess, config.source);
}

function reject(shown: string, names: string[], guess: string | undefined, source: string): never {
  throw new TransferError('REQUEST_INVALID', `No job named ${shown} in the config${guess === undefined ? '' : `; did you mean "${guess}"?`}`, {
    status: 400,
    hint: `Send one of: ${names.map((n) => `"${n}"`).join(', ')} (or no job name to run all of them).`,
    details: { jobs: names, source },
  });
}
