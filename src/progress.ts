import type { Logger } from './log.ts';

/** Rows-so-far counter that logs progress (rows, rate, stage) at most every `everyMs` on long runs. */
export interface Progress {
  rows: number;
  tick(): void;
  done(): void;
}

export function createProgress(log: Logger, now: () => number = Date.now, everyMs = 5000, stage = 'load'): Progress {
  const start = now();
  let lastLog = start;
  const progress: Progress = {
    rows: 0,
    tick() {
      const t = now();
      if (t - lastLog < everyMs) return;
      lastLog = t;
      log.info('progress', { stage, rows: progress.rows, rowsPerSecond: Math.round(progress.rows / ((t - start) / 1000)) });
    },
    done() {
      const seconds = Math.max(0.001, (now() - start) / 1000);
      log.info('rows converted', { stage, rows: progress.rows, rowsPerSecond: Math.round(progress.rows / seconds) });
    },
  };
  return progress;
}
