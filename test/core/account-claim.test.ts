import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  ACCOUNT_CLAIM_PATH,
  amaniAccountKey,
  claimAccount,
  claimName,
  describeOwner,
  ownershipOf,
  parseAccountClaim,
  releaseClaims,
  type AccountClaim,
  type AccountClaimStore,
  type StoredClaim,
} from '../../lambda/core/account-claim';

const BASE = 'https://eu.amani.ai';
const A = { stackName: 'AmaniWebhooks-dev', stackId: 'arn:aws:cloudformation:eu-west-1:1:stack/AmaniWebhooks-dev/a' };
const B = { stackName: 'AmaniWebhooks-staging', stackId: 'arn:aws:cloudformation:eu-west-1:1:stack/AmaniWebhooks-staging/b' };
const NOW = new Date('2026-12-01T10:00:00.000Z');

/** The port in memory; every call yields first, so concurrent callers interleave like over a network. */
function memoryStore(): AccountClaimStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    values,
    async createIfAbsent(key, claim) {
      await tick();
      if (values.has(key)) return false;
      values.set(key, JSON.stringify(claim));
      return true;
    },
    async read(key): Promise<StoredClaim | undefined> {
      await tick();
      const value = values.get(key);
      return value === undefined ? undefined : { key, claim: parseAccountClaim(value) };
    },
    async overwrite(key, claim) {
      await tick();
      values.set(key, JSON.stringify(claim));
    },
    async delete(key) {
      await tick();
      values.delete(key);
    },
    async list() {
      await tick();
      return [...values].map(([key, value]) => ({ key, claim: parseAccountClaim(value) }));
    },
  };
}

describe('the account key', () => {
  test('is a SHA-256 hex that names neither the user nor the token', () => {
    const byUser = amaniAccountKey(BASE, { username: 'ops@example.com', password: 'pw' } as never);
    const byToken = amaniAccountKey(BASE, { userToken: 'static-user-token-123' });
    for (const key of [byUser, byToken]) expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(byUser).not.toBe(byToken);
    expect(claimName(byUser)).toBe(`${ACCOUNT_CLAIM_PATH}/${byUser}`);
  });

  test('one account, one key: the origin is normalised, the login name is case- and space-insensitive', () => {
    const key = amaniAccountKey(BASE, { username: 'ops@example.com' });
    expect(amaniAccountKey('https://EU.amani.ai/', { username: ' Ops@Example.com ' })).toBe(key);
    expect(amaniAccountKey('https://eu.amani.ai:443', { username: 'ops@example.com' })).toBe(key);
  });

  test('another region or another user is another account', () => {
    const key = amaniAccountKey(BASE, { username: 'ops@example.com' });
    expect(amaniAccountKey('https://tr.amani.ai', { username: 'ops@example.com' })).not.toBe(key);
    expect(amaniAccountKey(BASE, { username: 'other@example.com' })).not.toBe(key);
  });

  test('credentials that identify nobody are a programming error', () => {
    expect(() => amaniAccountKey(BASE, {})).toThrow('identified by a username or a user token');
  });
});

describe('ownership', () => {
  const claim = (holder: typeof A): AccountClaim => ({ version: 1, ...holder, amaniBaseUrl: BASE, claimedAt: NOW.toISOString() });

  test('ours, an earlier stack of the same name (replaced), or another stack', () => {
    expect(ownershipOf(claim(A), A)).toBe('ours');
    expect(ownershipOf(claim({ ...A, stackId: 'arn:old' }), A)).toBe('replaced');
    expect(ownershipOf(claim(B), A)).toBe('other');
    // An unreadable value is never assumed to be ours.
    expect(ownershipOf(undefined, A)).toBe('other');
  });

  test('a stored value this code did not write is not a claim', () => {
    expect(parseAccountClaim('not json')).toBeUndefined();
    expect(parseAccountClaim(JSON.stringify({ version: 2, stackName: 'x' }))).toBeUndefined();
    expect(describeOwner(undefined)).toBe('a claim this code cannot read');
    expect(describeOwner(claim(B))).toBe(`stack AmaniWebhooks-staging (${B.stackId}, claimed 2026-12-01T10:00:00.000Z)`);
  });
});

describe('claiming and releasing', () => {
  const me = (holder: typeof A) => ({ ...holder, amaniBaseUrl: BASE });

  test('first come, first served; the owner keeps it on redeploy; the other is told who owns it', async () => {
    const store = memoryStore();
    expect(await claimAccount(store, 'k', me(A), NOW)).toEqual({ ok: true, outcome: 'claimed' });
    expect(await claimAccount(store, 'k', me(A), NOW)).toEqual({ ok: true, outcome: 'already-ours' });
    expect(await claimAccount(store, 'k', me(B), NOW)).toEqual({
      ok: false,
      owner: expect.objectContaining({ stackName: A.stackName, stackId: A.stackId }),
    });
  });

  test('a claim left by an earlier stack of the same name is taken over; an unreadable one never is', async () => {
    const store = memoryStore();
    await claimAccount(store, 'k', me({ ...A, stackId: 'arn:old' }), NOW);
    expect(await claimAccount(store, 'k', me(A), NOW)).toEqual({ ok: true, outcome: 'taken-over' });
    expect(parseAccountClaim(store.values.get('k'))?.stackId).toBe(A.stackId);
    store.values.set('j', 'garbage');
    expect(await claimAccount(store, 'j', me(A), NOW)).toEqual({ ok: false, owner: undefined });
    expect(store.values.get('j')).toBe('garbage');
  });

  test('release deletes exactly the claims of the releasing stack (all, or all but one)', async () => {
    const store = memoryStore();
    await claimAccount(store, 'a1', me(A), NOW);
    await claimAccount(store, 'a2', me(A), NOW);
    await claimAccount(store, 'b1', me(B), NOW);
    expect(await releaseClaims(store, A, 'a2')).toEqual(['a1']);
    expect([...store.values.keys()].sort()).toEqual(['a2', 'b1']);
    expect(await releaseClaims(store, A)).toEqual(['a2']);
    expect([...store.values.keys()]).toEqual(['b1']);
  });

  test('property: stacks claiming and releasing concurrently never share an account', async () => {
    const stacks = ['s0', 's1', 's2', 's3'].map((name) => ({ stackName: name, stackId: `arn:${name}`, amaniBaseUrl: BASE }));
    const step = fc.record({ stack: fc.integer({ min: 0, max: 3 }), account: fc.constantFrom('k1', 'k2'), release: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (rounds) => {
        const store = memoryStore();
        const holderOf = (account: string) => stacks.findIndex((s) => s.stackId === parseAccountClaim(store.values.get(account))?.stackId);
        for (const round of rounds) {
          const before = { k1: holderOf('k1'), k2: holderOf('k2') };
          // Each round runs concurrently, as deploys of several stages would.
          const results = await Promise.all(
            round.map(async ({ stack, account, release }) =>
              release
                ? { kind: 'release' as const, stack, account, released: await releaseClaims(store, stacks[stack]!) }
                : { kind: 'claim' as const, stack, account, result: await claimAccount(store, account, stacks[stack]!, NOW) },
            ),
          );
          for (const account of ['k1', 'k2'] as const) {
            const granted = new Set(results.flatMap((r) => (r.kind === 'claim' && r.account === account && r.result.ok ? [r.stack] : [])));
            const releasedBy = new Set(results.flatMap((r) => (r.kind === 'release' && r.released.includes(account) ? [r.stack] : [])));
            const previous = before[account];
            // A holder that did not let go keeps the account: nobody else is granted it.
            if (previous >= 0 && !releasedBy.has(previous)) expect([...granted].filter((s) => s !== previous)).toEqual([]);
            // Among stacks that did not release in between, at most one got it.
            expect([...granted].filter((s) => !releasedBy.has(s)).length).toBeLessThanOrEqual(1);
            // The store names one of them (or the previous holder), never a stack that was refused.
            const after = holderOf(account);
            if (after >= 0) expect([previous, ...granted]).toContain(after);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
