import { describe, expect, it } from '@jest/globals';
import { RefreshingCache, type LoadKind } from '../../lambda/core/refreshing-cache';

function setup(options: { ttlMs?: number; minForcedRefreshIntervalMs?: number } = {}) {
  let clock = 1_000_000;
  let version = 0;
  let failNext = 0;
  const loads: LoadKind[] = [];
  const stale: unknown[] = [];
  const pending: Array<() => void> = [];
  const slept: number[] = [];
  let manual = false;
  const cache = new RefreshingCache<number>({
    ttlMs: options.ttlMs ?? 1000,
    minForcedRefreshIntervalMs: options.minForcedRefreshIntervalMs ?? 100,
    now: () => clock,
    onLoad: (kind) => loads.push(kind),
    onStaleServed: (error) => stale.push(error),
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    load: () =>
      new Promise<number>((resolve, reject) => {
        const settle = () => {
          if (failNext > 0) {
            failNext--;
            reject(new Error('unavailable'));
          } else resolve(++version);
        };
        if (manual) pending.push(settle);
        else settle();
      }),
  });
  return {
    cache,
    loads,
    stale,
    slept,
    advance: (ms: number) => {
      clock += ms;
    },
    failNextLoads: (n: number) => {
      failNext = n;
    },
    holdLoads: () => {
      manual = true;
    },
    releaseLoads: () => {
      for (const settle of pending.splice(0)) settle();
    },
  };
}

describe('RefreshingCache', () => {
  it('loads once and serves the value until the TTL ends, then reloads', async () => {
    const t = setup({ ttlMs: 1000 });
    expect(await t.cache.get()).toBe(1);
    t.advance(999);
    expect(await t.cache.get()).toBe(1);
    t.advance(1);
    expect(await t.cache.get()).toBe(2);
    expect(t.loads).toEqual(['initial', 'expired']);
  });

  it('shares one load among concurrent readers on a cold cache', async () => {
    const t = setup();
    t.holdLoads();
    const readers = Array.from({ length: 100 }, () => t.cache.get());
    t.releaseLoads();
    expect(new Set(await Promise.all(readers))).toEqual(new Set([1]));
    expect(t.loads).toEqual(['initial']);
  });

  it('fails a cold read when the first load fails, and retries on the next read', async () => {
    const t = setup();
    t.failNextLoads(1);
    await expect(t.cache.get()).rejects.toThrow('unavailable');
    expect(await t.cache.get()).toBe(1);
  });

  it('serves the stale value when a TTL reload fails, and retries after the refresh interval', async () => {
    const t = setup({ ttlMs: 1000, minForcedRefreshIntervalMs: 100 });
    await t.cache.get();
    t.advance(1000);
    t.failNextLoads(1);
    expect(await t.cache.get()).toBe(1);
    expect(t.stale).toHaveLength(1);
    t.advance(50);
    expect(await t.cache.get()).toBe(1);
    expect(t.loads).toHaveLength(2);
    t.advance(50);
    expect(await t.cache.get()).toBe(2);
  });

  it('gives concurrent readers of a failing reload the stale value too', async () => {
    const t = setup({ ttlMs: 1000 });
    await t.cache.get();
    t.advance(1000);
    t.holdLoads();
    t.failNextLoads(1);
    const readers = Array.from({ length: 10 }, () => t.cache.get());
    t.releaseLoads();
    expect(await Promise.all(readers)).toEqual(Array(10).fill(1));
  });

  it('refreshSince gives a value loaded after the generation was taken', async () => {
    const t = setup({ minForcedRefreshIntervalMs: 100 });
    const g0 = t.cache.generation();
    expect(await t.cache.get()).toBe(1);
    // The cold load started after g0 was taken: it is fresh enough, no second load.
    expect(await t.cache.refreshSince(g0)).toBe(1);
    const g1 = t.cache.generation();
    expect(await t.cache.refreshSince(g1)).toBe(2);
    expect(t.loads).toEqual(['initial', 'forced']);
  });

  it('forces at most one load per interval; callers that come early wait for the next one', async () => {
    const t = setup({ minForcedRefreshIntervalMs: 100 });
    await t.cache.get();
    expect(await t.cache.refreshSince(t.cache.generation())).toBe(2);
    t.advance(40);
    // Too early: it waits (60 ms of fake sleep) and everyone waiting shares that one load.
    const waiting = Array.from({ length: 10 }, () => t.cache.refreshSince(t.cache.generation()));
    expect(t.slept).toEqual([60]);
    expect(new Set(await Promise.all(waiting))).toEqual(new Set([3]));
    expect(t.loads).toEqual(['initial', 'forced', 'forced']);
  });

  it('lets concurrent refreshes join the load in flight started after their generation', async () => {
    const t = setup();
    await t.cache.get();
    t.holdLoads();
    const generation = t.cache.generation();
    const first = t.cache.refreshSince(generation);
    const others = Array.from({ length: 20 }, () => t.cache.refreshSince(generation));
    t.releaseLoads();
    expect(await Promise.all([first, ...others])).toEqual(Array(21).fill(2));
    expect(t.loads).toEqual(['initial', 'forced']);
  });

  it('does not count a load that started before the generation as fresh', async () => {
    const t = setup({ ttlMs: 1000, minForcedRefreshIntervalMs: 100 });
    await t.cache.get();
    t.advance(1000);
    t.holdLoads();
    const expiredRead = t.cache.get(); // load #2 starts and hangs
    const generation = t.cache.generation();
    const fresh = t.cache.refreshSince(generation); // must start load #3, not join #2
    t.releaseLoads();
    expect(await expiredRead).toBe(2);
    expect(await fresh).toBe(3);
  });

  it('propagates a failed forced refresh (the caller must answer 503, not 401)', async () => {
    const t = setup();
    await t.cache.get();
    t.failNextLoads(1);
    await expect(t.cache.refreshSince(t.cache.generation())).rejects.toThrow('unavailable');
    // The cached value is still there for later reads.
    expect(await t.cache.get()).toBe(1);
  });
});
