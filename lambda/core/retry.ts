/**
 * Retrying within a time budget, with "full jitter" exponential backoff (each wait is uniform in
 * [0, min(cap, base * 2^attempt)]), so that many containers retrying at once spread out instead
 * of hitting a throttled dependency in lockstep. Pure: clock, sleep and randomness are injected.
 */
export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

export type AttemptOutcome<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly retryable: boolean; readonly error: unknown };

export interface RetryEnvironment {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface RetryOptions<T> extends BackoffPolicy {
  /** Total time allowed, including attempts and waits. */
  readonly budgetMs: number;
  readonly maxAttempts: number;
  /** An attempt is given the time left in the budget so it can bound its own call. */
  readonly attempt: (attemptNumber: number, remainingMs: number) => Promise<AttemptOutcome<T>>;
  /** Called before each wait (metrics, logs). */
  readonly onRetry?: (attemptNumber: number, error: unknown, delayMs: number) => void;
}

export type RetryResult<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number; readonly exhausted: 'non-retryable' | 'attempts' | 'budget' };

export async function retryWithinBudget<T>(options: RetryOptions<T>, env: RetryEnvironment): Promise<RetryResult<T>> {
  const deadline = env.now() + options.budgetMs;
  for (let attemptNumber = 1; ; attemptNumber++) {
    const outcome = await options.attempt(attemptNumber, Math.max(0, deadline - env.now()));
    if (outcome.done) return { ok: true, value: outcome.value, attempts: attemptNumber };
    if (!outcome.retryable) return { ok: false, error: outcome.error, attempts: attemptNumber, exhausted: 'non-retryable' };
    if (attemptNumber >= options.maxAttempts) return { ok: false, error: outcome.error, attempts: attemptNumber, exhausted: 'attempts' };
    const delay = fullJitterDelay(attemptNumber - 1, options, env.random);
    // Do not start a wait that leaves no time for another attempt.
    if (env.now() + delay >= deadline) return { ok: false, error: outcome.error, attempts: attemptNumber, exhausted: 'budget' };
    options.onRetry?.(attemptNumber, outcome.error, delay);
    await env.sleep(delay);
  }
}

export const realRetryEnvironment: RetryEnvironment = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
