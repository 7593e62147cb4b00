import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  claimDelivery,
  claimRecord,
  type ClaimOptions,
  type DeliveryFacts,
  judgeExisting,
  type LedgerRecord,
  ledgerDaysBetween,
  matchesFilter,
} from '../../lambda/core/delivery-ledger';
import type { ClaimResult, DeliveryLedger, Settlement } from '../../lambda/core/ports';

const FACTS: DeliveryFacts = {
  deliveryId: 'd-1',
  eventName: 'profile_status_change',
  receivedAt: '2026-11-30T10:00:00.000Z',
  authMode: 'signature',
  signatureForm: 'raw',
  tokenGeneration: 'current',
  bodySha256: 'ab',
};

/** The port's semantics in memory, atomic per call; `clock` is the test's. */
class MemoryLedger implements DeliveryLedger {
  readonly records = new Map<string, LedgerRecord>();
  failClaim = false;
  failRead = false;
  /** Called on each read: lets a test change the record while a copy waits. */
  onRead: (() => void) | undefined;

  async claim(record: LedgerRecord, nowMs: number): Promise<ClaimResult> {
    if (this.failClaim) throw new Error('store down');
    const existing = this.records.get(record.deliveryId);
    if (existing && judgeExisting(existing, nowMs) !== 'claimable') return { claimed: false, existing };
    this.records.set(record.deliveryId, record);
    return { claimed: true };
  }
  async read(deliveryId: string): Promise<LedgerRecord | undefined> {
    this.onRead?.();
    if (this.failRead) throw new Error('store down');
    return this.records.get(deliveryId);
  }
  async settle(deliveryId: string, claimId: string, settlement: Settlement): Promise<void> {
    const existing = this.records.get(deliveryId);
    if (existing?.claimId !== claimId) throw new Error('not held');
    const { claimId: _c, claimExpiresAt: _l, ...rest } = existing;
    this.records.set(deliveryId, { ...rest, ...settlement });
  }
  async release(deliveryId: string, claimId: string): Promise<void> {
    if (this.records.get(deliveryId)?.claimId === claimId) this.records.delete(deliveryId);
  }
  async countCopy(): Promise<void> {}
  async recordUnchecked(): Promise<void> {}
}

function options(clock: { now: number }, overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    facts: FACTS,
    claimId: 'mine',
    windowHours: 1,
    leaseMs: 10_000,
    callBudgetMs: 1000,
    waitBudgetMs: 3000,
    pollIntervalMs: 100,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    ...overrides,
  };
}

const T0 = Date.parse(FACTS.receivedAt);
const other = (overrides: Partial<LedgerRecord> = {}) => ({
  ...claimRecord(FACTS, { claimId: 'other', nowMs: T0, leaseMs: 10_000, windowHours: 1 }),
  ...overrides,
});

describe('judgeExisting', () => {
  test.each([
    ['settled, inside the window', 'duplicate', other({ outcome: 'published' }), T0 + 1000],
    ['parked, inside the window', 'duplicate', other({ outcome: 'parked' }), T0 + 1000],
    ['settled, past the window', 'claimable', other({ outcome: 'published' }), T0 + 3600_000 + 1000],
    ['in progress, inside the lease', 'in-progress', other(), T0 + 9_000],
    ['in progress, past the lease', 'claimable', other(), T0 + 10_001],
  ] as const)('%s: %s', (_name, expected, record, now) => {
    expect(judgeExisting(record, now)).toBe(expected);
  });
});

test('ledgerDaysBetween: UTC days newest first, both ends included', () => {
  expect(ledgerDaysBetween(new Date('2026-11-28T23:00:00Z'), new Date('2026-11-30T01:00:00Z'))).toEqual([
    '2026-11-30',
    '2026-11-29',
    '2026-11-28',
  ]);
  expect(ledgerDaysBetween(new Date('2026-11-30T01:00:00Z'), new Date('2026-11-30T02:00:00Z'))).toEqual(['2026-11-30']);
});

test('matchesFilter', () => {
  expect(matchesFilter(other({ copies: 2 }), 'duplicate')).toBe(true);
  expect(matchesFilter(other(), 'duplicate')).toBe(false);
  expect(matchesFilter(other({ dedup: 'unchecked' }), 'dedup-unchecked')).toBe(true);
  expect(matchesFilter(other({ outcome: 'parked' }), 'parked')).toBe(true);
  expect(matchesFilter(other(), 'in-progress')).toBe(true);
});

describe('claimDelivery', () => {
  test('claims a delivery nobody holds, with a lease and the window as TTL', async () => {
    const ledger = new MemoryLedger();
    const clock = { now: T0 };
    expect(await claimDelivery(ledger, options(clock))).toEqual({ kind: 'claimed', claimId: 'mine' });
    expect(ledger.records.get('d-1')).toMatchObject({ claimId: 'mine', claimExpiresAt: T0 + 10_000, expiresAt: T0 / 1000 + 3600 });
  });

  test('a settled copy is a duplicate, answered without waiting', async () => {
    const ledger = new MemoryLedger();
    ledger.records.set('d-1', other({ outcome: 'published', eventId: 'ev' }));
    const clock = { now: T0 + 5 };
    expect(await claimDelivery(ledger, options(clock))).toMatchObject({ kind: 'duplicate', record: { eventId: 'ev' } });
    expect(clock.now).toBe(T0 + 5);
  });

  test('a copy in progress: waits for its outcome, then is a duplicate of it', async () => {
    const ledger = new MemoryLedger();
    ledger.records.set('d-1', other());
    const clock = { now: T0 };
    let reads = 0;
    ledger.onRead = () => {
      if (++reads === 3) ledger.records.set('d-1', other({ outcome: 'published', claimId: undefined }));
    };
    expect(await claimDelivery(ledger, options(clock))).toMatchObject({ kind: 'duplicate', record: { outcome: 'published' } });
    expect(clock.now).toBe(T0 + 300);
  });

  test('a copy in progress that gives up (released): this copy claims it', async () => {
    const ledger = new MemoryLedger();
    ledger.records.set('d-1', other());
    const clock = { now: T0 };
    ledger.onRead = () => ledger.records.delete('d-1');
    expect(await claimDelivery(ledger, options(clock))).toEqual({ kind: 'claimed', claimId: 'mine' });
  });

  test('a copy in progress past the wait budget: in-progress (503), after at most the budget', async () => {
    const ledger = new MemoryLedger();
    ledger.records.set('d-1', other({ claimExpiresAt: T0 + 60_000 }));
    const clock = { now: T0 };
    expect(await claimDelivery(ledger, options(clock, { waitBudgetMs: 1000 }))).toEqual({ kind: 'in-progress', waitedMs: 1000 });
  });

  test('a clock that stands still cannot make it spin: the polls are counted too', async () => {
    const ledger = new MemoryLedger();
    ledger.records.set('d-1', other({ claimExpiresAt: T0 + 60_000 }));
    let sleeps = 0;
    const decision = await claimDelivery(ledger, {
      ...options({ now: T0 }),
      sleep: async () => {
        sleeps++;
      },
    });
    expect(decision.kind).toBe('in-progress');
    expect(sleeps).toBe(30);
  });

  test('the store failing on the claim: unchecked (publish anyway); failing while waiting: in-progress', async () => {
    const ledger = new MemoryLedger();
    ledger.failClaim = true;
    expect((await claimDelivery(ledger, options({ now: T0 }))).kind).toBe('unchecked');
    ledger.failClaim = false;
    ledger.records.set('d-1', other());
    ledger.failRead = true;
    expect((await claimDelivery(ledger, options({ now: T0 }))).kind).toBe('in-progress');
  });
});

describe('property: however copies interleave, at most one holds the delivery and a duplicate names a settled record', () => {
  test('random copies, settle/release choices and clock steps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ arriveAt: fc.nat(20_000), outcome: fc.constantFrom('published', 'parked', 'released', 'crashed') }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (copies) => {
          const ledger = new MemoryLedger();
          let published = 0;
          const ordered = [...copies].sort((a, b) => a.arriveAt - b.arriveAt);
          for (const [index, copy] of ordered.entries()) {
            const clock = { now: T0 + copy.arriveAt };
            const decision = await claimDelivery(ledger, options(clock, { claimId: `c${index}`, waitBudgetMs: 0 }));
            if (decision.kind === 'duplicate') expect(decision.record.outcome).not.toBe('in-progress');
            if (decision.kind !== 'claimed') continue;
            // This copy holds it: nobody else may have a live claim.
            expect(ledger.records.get('d-1')?.claimId).toBe(`c${index}`);
            if (copy.outcome === 'released') await ledger.release('d-1', `c${index}`);
            else if (copy.outcome !== 'crashed') {
              published++;
              await ledger.settle('d-1', `c${index}`, { outcome: copy.outcome, publishedAt: new Date(clock.now).toISOString() });
            }
          }
          // Within the window, a delivery is published at most once.
          expect(published).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
