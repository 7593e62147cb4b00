import { describe, expect, it } from '@jest/globals';
import { fullJitterDelay, retryWithinBudget, type AttemptOutcome, type RetryEnvironment } from '../../lambda/core/retry';

function fakeEnvironment(random = () => 0.5): RetryEnvironment & { slept: number[]; clock: () => number } {
  let now = 0;
  const slept: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    random,
    slept,
    clock: () => now,
  };
}

const failing = (retryable = true): AttemptOutcome<string> => ({ done: false, retryable, error: 'nope' });

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base * 2^attempt))', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(fullJitterDelay(0, policy, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, policy, () => 0.999)).toBe(799);
    expect(fullJitterDelay(10, policy, () => 0.999)).toBe(999);
    expect(fullJitterDelay(10, policy, () => 0)).toBe(0);
  });
});

describe('retryWithinBudget', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('returns the first success and counts attempts', async () => {
    const env = fakeEnvironment();
    const outcomes = [failing(), failing(), { done: true as const, value: 'ok' }];
    const result = await retryWithinBudget({ ...policy, budgetMs: 10_000, maxAttempts: 5, attempt: async (n) => outcomes[n - 1]! }, env);
    expect(result).toEqual({ ok: true, value: 'ok', attempts: 3 });
    expect(env.slept).toEqual([50, 100]);
  });

  it('stops at once on a non-retryable failure', async () => {
    const env = fakeEnvironment();
    const result = await retryWithinBudget({ ...policy, budgetMs: 10_000, maxAttempts: 5, attempt: async () => failing(false) }, env);
    expect(result).toMatchObject({ ok: false, attempts: 1, exhausted: 'non-retryable' });
    expect(env.slept).toEqual([]);
  });

  it('stops after maxAttempts', async () => {
    const env = fakeEnvironment();
    const result = await retryWithinBudget({ ...policy, budgetMs: 100_000, maxAttempts: 4, attempt: async () => failing() }, env);
    expect(result).toMatchObject({ ok: false, attempts: 4, exhausted: 'attempts' });
  });

  it('never waits past the budget and tells each attempt how much time is left', async () => {
    const env = fakeEnvironment(() => 0.99);
    const remaining: number[] = [];
    const result = await retryWithinBudget(
      {
        ...policy,
        budgetMs: 500,
        maxAttempts: 100,
        attempt: async (_, left) => {
          remaining.push(left);
          return failing();
        },
      },
      env,
    );
    expect(result).toMatchObject({ ok: false, exhausted: 'budget' });
    expect(env.clock()).toBeLessThan(500);
    expect(remaining[0]).toBe(500);
    expect(remaining.every((left, i) => i === 0 || left < remaining[i - 1]!)).toBe(true);
  });
});
