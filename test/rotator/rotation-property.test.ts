import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { RetryEnvironment } from '../../lambda/core/retry';
import type { AmaniTokenApi, TokenRotationResult } from '../../lambda/core/ports';
import { RotationError, runRotation, type RotationSettings } from '../../lambda/core/rotation';
import type { TokenSecret } from '../../lambda/core/token-secret';

/**
 * The invariant of `lambda/core/rotation.ts` as a property, over the pure core with in-memory
 * ports: for any sequence of runs (any action, any mix of Amani and store faults, out-of-band
 * rotations, time passing), every run that succeeds leaves the secret's token equal to Amani's,
 * a failed run is repaired by the next clean run, no run PATCHes more than once, and one
 * idempotency key is never used for two different contents.
 */
type AmaniFault = 'get-fails' | 'patch-refused' | 'patch-ambiguous-not-applied' | 'patch-ambiguous-applied' | 'patch-lost-then-get-fails';
type StoreFault = 'read-fails' | 'write-fails' | 'write-applied-answer-lost';

class ModelAmani implements AmaniTokenApi {
  token = 'tok-0';
  private counter = 0;
  faults: AmaniFault[] = [];
  patchesThisRun = 0;
  failGets = 0;

  rotateOutOfBand() {
    this.token = `tok-${++this.counter}`;
  }
  async getWebhookToken(): Promise<string> {
    if (this.failGets > 0) {
      this.failGets--;
      throw new Error('GET failed');
    }
    if (this.take('get-fails')) throw new Error('GET failed');
    return this.token;
  }
  async rotateWebhookToken(): Promise<TokenRotationResult> {
    this.patchesThisRun++;
    if (this.take('patch-refused')) throw new Error('HTTP 403');
    if (this.take('patch-ambiguous-not-applied')) return { outcome: 'ambiguous', cause: 'HTTP 500' };
    this.rotateOutOfBand();
    if (this.take('patch-ambiguous-applied')) return { outcome: 'ambiguous', cause: 'timeout' };
    if (this.take('patch-lost-then-get-fails')) {
      this.failGets = 1;
      return { outcome: 'ambiguous', cause: 'reset' };
    }
    return { outcome: 'rotated', token: this.token };
  }
  private take(fault: AmaniFault): boolean {
    const index = this.faults.indexOf(fault);
    if (index < 0) return false;
    this.faults.splice(index, 1);
    return true;
  }
}

class ModelStore {
  versions: { key: string; value: string }[] = [];
  faults: StoreFault[] = [];
  keyMisuse = 0;
  duplicateVersions = 0;

  async read(): Promise<TokenSecret> {
    if (this.take('read-fails')) throw new Error('read failed');
    const last = this.versions.at(-1);
    return last ? (JSON.parse(last.value) as TokenSecret) : {};
  }
  async write(secret: TokenSecret, key: string): Promise<void> {
    if (this.take('write-fails')) throw new Error('write failed');
    const value = JSON.stringify(secret);
    const existing = this.versions.find((version) => version.key === key);
    if (existing && existing.value !== value) this.keyMisuse++;
    // The same content again under a new key: a retry that was not idempotent.
    if (!existing && this.versions.at(-1)?.value === value) this.duplicateVersions++;
    if (!existing) this.versions.push({ key, value });
    if (this.take('write-applied-answer-lost')) throw new Error('answer lost');
  }
  current(): TokenSecret {
    const last = this.versions.at(-1);
    return last ? (JSON.parse(last.value) as TokenSecret) : {};
  }
  private take(fault: StoreFault): boolean {
    const index = this.faults.indexOf(fault);
    if (index < 0) return false;
    this.faults.splice(index, 1);
    return true;
  }
}

const SETTINGS: RotationSettings = {
  previousTokenGraceMs: 60 * 60_000,
  minRotationAgeMs: 60 * 60_000,
  store: { budgetMs: 10_000, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
};

const step = fc.record({
  action: fc.constantFrom('rotate' as const, 'sync' as const),
  force: fc.boolean(),
  revokePrevious: fc.boolean(),
  outOfBandBefore: fc.boolean(),
  minutesLater: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  amaniFaults: fc.array(
    fc.constantFrom<AmaniFault>(
      'get-fails',
      'patch-refused',
      'patch-ambiguous-not-applied',
      'patch-ambiguous-applied',
      'patch-lost-then-get-fails',
    ),
    { maxLength: 2 },
  ),
  storeFaults: fc.array(fc.constantFrom<StoreFault>('read-fails', 'write-fails', 'write-applied-answer-lost'), { maxLength: 6 }),
});

describe('rotation invariant (property)', () => {
  it('holds after every successful run, and one clean run repairs any failed one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 12 }), async (bootstrapped, steps) => {
        const amani = new ModelAmani();
        const store = new ModelStore();
        if (bootstrapped)
          store.versions.push({ key: 'seed', value: JSON.stringify({ token: amani.token, rotatedAt: new Date(0).toISOString() }) });
        let nowMs = Date.UTC(2026, 0, 1);
        let keys = 0;
        const retry: RetryEnvironment = {
          now: () => nowMs,
          sleep: async (ms) => {
            nowMs += ms;
          },
          random: () => 0.5,
        };
        const env = { now: () => new Date(nowMs), newIdempotencyKey: () => `key-${++keys}`, retry };
        const run = async (request: { action: 'rotate' | 'sync'; force: boolean; revokePrevious: boolean }) => {
          amani.patchesThisRun = 0;
          try {
            const summary = await runRotation(request, { secret: store, amani }, SETTINGS, env);
            expect(store.current().token).toBe(amani.token);
            if (summary.outcome === 'rotated' && request.revokePrevious) expect(store.current().previousToken).toBeUndefined();
            return true;
          } catch (error) {
            expect(error).toBeInstanceOf(RotationError);
            return false;
          } finally {
            expect(amani.patchesThisRun).toBeLessThanOrEqual(1);
            if (request.action === 'sync') expect(amani.patchesThisRun).toBe(0);
          }
        };
        for (const s of steps) {
          nowMs += s.minutesLater * 60_000;
          if (s.outOfBandBefore) amani.rotateOutOfBand();
          amani.faults = [...s.amaniFaults];
          store.faults = [...s.storeFaults];
          await run(s);
          amani.faults = [];
          store.faults = [];
        }
        // One clean run restores the invariant, whatever happened before.
        expect(await run({ action: 'sync', force: false, revokePrevious: false })).toBe(true);
        expect(store.current().token).toBe(amani.token);
        expect(store.keyMisuse).toBe(0);
        expect(store.duplicateVersions).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
