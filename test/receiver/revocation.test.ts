import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_SECRET_CACHE_TTL_SECONDS, DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS, loadReceiverConfig } from '../../lambda/receiver/env';
import { amaniSignature } from '../helpers/amani-signing';
import { webhookEvent } from '../../local/api-gateway-events';
import { receiverHarness, type ReceiverHarness } from '../helpers/receiver-harness';

/**
 * The revocation bound: a token replaced or removed in the secret is refused by every warm
 * container within the secret cache's lifetime (60 s by default), measured on a fake clock.
 */

const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-fedcba9876543210';
const TTL_MS = DEFAULT_SECRET_CACHE_TTL_SECONDS * 1000;
/** The receiver's own defaults, as deployed. */
const DEFAULTS = loadReceiverConfig({
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-webhook-token-AbCdEf',
  EVENT_BUS_NAME: 'amani-test',
  FALLBACK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/amani-fallback',
});

const body = JSON.stringify({ event: 'profile_update', delivery_id: 'dlv-revocation' });
const signedWith = (token: string) => webhookEvent({ body, headers: { 'Webhook-Signature': amaniSignature(token, body) } });

let h: ReceiverHarness | undefined;
afterEach(() => h?.dispose());

/** A warm container on a fake clock; its forced-refresh waits advance the clock, not real time. */
function container(secret: Record<string, string>) {
  const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
  const waits: number[] = [];
  h = receiverHarness({
    config: DEFAULTS,
    secret,
    clock: () => clock.now,
    sleep: async (ms) => {
      waits.push(ms);
      clock.now += ms;
    },
  });
  const harness = h;
  return {
    clock,
    waits,
    harness,
    at: async (offsetMs: number, token: string, start = clock) => {
      clock.now = Math.max(clock.now, start.now + offsetMs);
      return (await harness.invoke(signedWith(token))).statusCode;
    },
  };
}

describe('revocation bound', () => {
  it(`defaults to ${DEFAULT_SECRET_CACHE_TTL_SECONDS} s`, () => {
    expect(DEFAULT_SECRET_CACHE_TTL_SECONDS).toBe(60);
    expect(DEFAULTS.secretCacheTtlMs).toBe(60_000);
  });

  it('refuses a replaced token within the bound on a warm container (fake clock)', async () => {
    const box = container({ token: OLD });
    const start = { now: box.clock.now };
    expect(await box.at(0, OLD, start)).toBe(200); // loads and caches the secret
    box.harness.setSecret({ token: NEW }); // replaced (an emergency revoke keeps no previous token)
    expect(await box.at(30_000, OLD, start)).toBe(200); // inside the bound the cached copy still decides
    expect(await box.at(TTL_MS - 1, OLD, start)).toBe(200);
    expect(await box.at(TTL_MS, OLD, start)).toBe(401);
    expect(await box.at(TTL_MS + 1, NEW, start)).toBe(200);
  });

  it('ends a previous token that was revoked (previousToken removed) within the bound', async () => {
    const validUntil = new Date(Date.parse('2026-12-01T12:00:00Z') + 3_600_000).toISOString();
    const box = container({ token: NEW, previousToken: OLD, previousTokenValidUntil: validUntil });
    const start = { now: box.clock.now };
    expect(await box.at(0, OLD, start)).toBe(200);
    box.harness.setSecret({ token: NEW });
    expect(await box.at(TTL_MS, OLD, start)).toBe(401);
  });

  it('whatever the timing: the old token is never accepted once the bound has passed since the change', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * TTL_MS }), // when the secret changes, after the first load
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * TTL_MS }), fc.boolean()), { minLength: 1, maxLength: 12 }),
        async (changeAt, requests) => {
          const box = container({ token: OLD });
          const start = { now: box.clock.now };
          expect(await box.at(0, OLD, start)).toBe(200);
          let changed = false;
          for (const [offset, useOld] of requests.sort((a, b) => a[0] - b[0])) {
            if (!changed && offset >= changeAt) {
              box.clock.now = Math.max(box.clock.now, start.now + changeAt);
              box.harness.setSecret({ token: NEW });
              changed = true;
            }
            const status = await box.at(offset, useOld ? OLD : NEW, start);
            const sinceChange = box.clock.now - (start.now + changeAt);
            if (useOld && changed && sinceChange >= TTL_MS) expect(status).toBe(401);
            if (useOld && !changed) expect(status).toBe(200);
            // The new token is accepted from the moment it is stored, on a forced re-read.
            if (!useOld && changed) expect(status).toBe(200);
          }
          box.harness.dispose();
          h = undefined;
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('forged deliveries', () => {
  it(`hold their invocation for at most SECRET_REFRESH_MIN_INTERVAL_MS (${DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS} ms), and a genuine post-rotation delivery is still accepted`, async () => {
    const box = container({ token: OLD });
    const start = { now: box.clock.now };
    expect(await box.at(0, OLD, start)).toBe(200);
    for (let index = 0; index < 20; index++) expect(await box.at(index, 'forged-token-0000000000', start)).toBe(401);
    expect(box.waits.length).toBeGreaterThan(0);
    expect(Math.max(...box.waits)).toBeLessThanOrEqual(DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS);
    // A rotation right in the middle of the flood: the next genuine delivery still gets a fresh read.
    box.harness.setSecret({ token: NEW, previousToken: OLD, previousTokenValidUntil: new Date(box.clock.now + 3_600_000).toISOString() });
    expect(await box.at(0, NEW, start)).toBe(200);
    expect(Math.max(...box.waits)).toBeLessThanOrEqual(DEFAULT_SECRET_REFRESH_MIN_INTERVAL_MS);
  });
});
