import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { TokenSecret } from '../../lambda/core/token-secret';
import { RotationError, type RotationRequest } from '../../lambda/core/rotation';
import { rotateToken, type RotationConfig, type RotatorDependencies } from '../../lambda/rotator/rotate-token';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';

/**
 * The rotator's use case with in-memory ports: the nets around the core. Whatever fails, the run
 * throws one secret-free RotationError naming the step, logs exactly one failure line and counts
 * RotationFailed; a failure that is not the core's own (a bug) is reported as `unexpected`.
 */
const SENTINEL = 'sentinel-token-9f8e7d6c5b4a';
const ROTATE: RotationRequest = { action: 'rotate', force: false, revokePrevious: false };
const CONFIG: RotationConfig = {
  previousTokenGraceMs: 3_600_000,
  minRotationAgeMs: 3_600_000,
  amaniTimeoutMs: 1000,
  storeRetryBudgetMs: 1000,
};

let output: CapturedOutput;
let metrics: Metrics;
beforeEach(() => {
  output = captureOutput();
  metrics = new Metrics({ namespace: 'AmaniWebhooksTest', serviceName: 'rotate-token-test' });
});
afterEach(() => {
  output.restore();
  expect(output.text()).not.toContain(SENTINEL);
});

function deps(overrides: Partial<RotatorDependencies> = {}): RotatorDependencies {
  let secret: TokenSecret = { token: 'stored-token-0001', rotatedAt: '2026-01-01T00:00:00.000Z' };
  let amaniToken = 'stored-token-0001';
  return {
    config: CONFIG,
    store: {
      read: async () => secret,
      write: async (next) => {
        secret = next;
      },
    },
    connectAmani: async () => ({
      accountKey: 'account-key',
      api: {
        getWebhookToken: async () => amaniToken,
        rotateWebhookToken: async () => {
          amaniToken = 'rotated-token-0002';
          return { outcome: 'rotated', token: amaniToken };
        },
      },
    }),
    logger: new Logger({ serviceName: 'rotate-token-test' }),
    metrics,
    now: () => new Date('2026-03-01T00:00:00.000Z'),
    newIdempotencyKey: () => 'key',
    retryEnvironment: { now: () => 0, sleep: async () => undefined },
    ...overrides,
  };
}

async function failure(run: Promise<unknown>): Promise<RotationError> {
  try {
    await run;
  } catch (error) {
    expect(error).toBeInstanceOf(RotationError);
    return error as RotationError;
  }
  throw new Error('expected the run to fail');
}

const failureLines = () => output.logs().filter((line) => line.message === 'token rotation run failed');

describe('rotateToken', () => {
  it('rotates with working ports (the baseline of the cases below)', async () => {
    const dependencies = deps();
    await expect(rotateToken(ROTATE, dependencies)).resolves.toMatchObject({ outcome: 'rotated' });
    expect(await dependencies.store.read()).toMatchObject({ token: 'rotated-token-0002', previousToken: 'stored-token-0001' });
  });

  it('reports a failure outside the core (a bug) as `unexpected`, by name only, Amani possibly ahead', async () => {
    const error = await failure(
      rotateToken(
        ROTATE,
        deps({
          now: () => {
            throw new TypeError(`cannot read ${SENTINEL}`);
          },
        }),
      ),
    );
    expect(error).toMatchObject({
      step: 'unexpected',
      amaniMayBeAhead: true,
      message: 'Token rotation failed at unexpected: unexpected TypeError',
    });
    expect(failureLines()).toEqual([expect.objectContaining({ step: 'unexpected', amaniMayBeAhead: true, outcome: 'failed' })]);
    metrics.publishStoredMetrics();
    expect(output.metric('RotationFailed')).toBe(1);
    expect(output.metric('RotationSucceeded')).toBe(0);
  });

  it('names a credentials failure that is not a SafeError by its name only, and changes nothing', async () => {
    const dependencies = deps({
      connectAmani: async () => {
        throw new Error(`bad password ${SENTINEL}`);
      },
    });
    const error = await failure(rotateToken(ROTATE, dependencies));
    expect(error).toMatchObject({ step: 'read-credentials', amaniMayBeAhead: false });
    expect(error.message).toBe(
      'Token rotation failed at read-credentials: the Amani API credentials are not usable: Error; nothing was changed',
    );
    expect(await dependencies.store.read()).toMatchObject({ token: 'stored-token-0001' });
    expect(failureLines()).toHaveLength(1);
  });

  it('keeps the message of a RotationError from the core, and logs one failure line for it', async () => {
    const dependencies = deps({
      store: {
        read: async () => ({ token: 'stored-token-0001' }),
        write: async () => {
          throw new Error(SENTINEL);
        },
      },
    });
    const error = await failure(rotateToken({ ...ROTATE, force: true }, dependencies));
    expect(error).toMatchObject({ step: 'store-rotated', amaniMayBeAhead: true });
    expect(error.message).toMatch(
      /^Token rotation failed at store-rotated: writing the token secret failed after \d+ attempt\(s\): Error; /,
    );
    expect(failureLines()).toEqual([expect.objectContaining({ step: 'store-rotated', reason: error.message })]);
  });
});
