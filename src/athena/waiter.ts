/**
 * A generic polling loop plus a pure acceptor, in the shape of smithy's `createWaiter` (STYLE 6):
 * the acceptor decides retry/success/failure from one observation; timeout and abort come back as
 * states, and only the caller turns them into errors (and stops the query).
 */
export type Acceptance = 'retry' | 'success' | 'failure';

export type WaiterOutcome<T> =
  | { state: 'success'; value: T; polls: number }
  | { state: 'failure'; value: T; polls: number }
  | { state: 'timeout'; last: T | undefined; polls: number }
  | { state: 'aborted'; last: T | undefined; polls: number };

export interface WaiterOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Total time budget for the wait, measured with `now`. */
  maxWaitMs: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Sleeps `ms`, resolving early (without throwing) when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Delay before poll number `attempt` (0-based): exponential from min to max with "equal jitter", so
 * polls stay spread out but never drop below half the nominal delay.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const nominal = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(nominal / 2 + (random() * nominal) / 2);
}

export async function waitFor<T>(
  poll: () => Promise<T>,
  accept: (observation: T) => Acceptance,
  options: WaiterOptions,
): Promise<WaiterOutcome<T>> {
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const deadline = now() + options.maxWaitMs;
  let last: T | undefined;
  for (let polls = 0; ; ) {
    if (options.signal?.aborted) return { state: 'aborted', last, polls };
    last = await poll();
    polls++;
    const verdict = accept(last);
    if (verdict === 'success') return { state: 'success', value: last, polls };
    if (verdict === 'failure') return { state: 'failure', value: last, polls };
    const remaining = deadline - now();
    if (remaining <= 0) return { state: 'timeout', last, polls };
    await sleep(Math.min(remaining, backoffDelay(polls - 1, options.minDelayMs, options.maxDelayMs, random)), options.signal);
  }
}
