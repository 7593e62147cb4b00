import { describe, expect, it } from '@jest/globals';
import type { TokenSecret } from '../../lambda/core/token-secret';
import type { SimulatorFault } from '../../local/amani-simulator';
import { expectReceiverHonours } from './receiver-check';
import { assertNothingLeaked, IN_SYNC, INITIAL_TOKEN, rotatorHarness, TOKEN_SECRET_ID, type RotatorHarness } from './rotator-harness';

/**
 * Crash-point test of the invariant: for every external effect of a run (each Secrets Manager
 * call, each HTTP exchange with Amani: login, GET, PATCH, every store attempt, the confirming GET
 * and re-read), let the effect land and then kill the "process" (its answer is lost and nothing
 * reaches the outside world any more). Then run again, faults cleared, with the same payload (what
 * the platform's retry does), and check:
 * - the second run succeeds and the secret's `token` is Amani's current token;
 * - the token Amani used just before the current one is kept as `previousToken` (none after
 *   revokePrevious), so no delivery in flight is lost;
 * - the REAL receiver fed that secret accepts Amani's current token, the previous one only inside
 *   its grace window, and no older token;
 * - no token, password or access token was printed or thrown.
 */
interface Scenario {
  readonly name: string;
  readonly secret: TokenSecret | null;
  readonly payload: Record<string, unknown>;
  readonly prepare?: (h: RotatorHarness) => void;
  readonly revokes?: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'scheduled rotation', secret: IN_SYNC, payload: {} },
  { name: 'bootstrap', secret: null, payload: {} },
  {
    name: 'forced rotation after an out-of-band rotation (reconcile, then rotate)',
    secret: IN_SYNC,
    payload: { action: 'rotate', force: true },
    prepare: (h) => void h.sim.rotateOutOfBand(),
  },
  { name: 'emergency rotation (revokePrevious)', secret: IN_SYNC, payload: { action: 'rotate', revokePrevious: true }, revokes: true },
  {
    name: 'sync after an out-of-band rotation',
    secret: IN_SYNC,
    payload: { action: 'sync' },
    prepare: (h) => void h.sim.rotateOutOfBand(),
  },
  {
    name: 'rotation whose first two store attempts fail',
    secret: IN_SYNC,
    payload: {},
    prepare: (h) => h.secrets.injectFault('PutSecretValue', { secretId: TOKEN_SECRET_ID, times: 2 }),
  },
  {
    name: 'rotation whose PATCH answers 500 after rotating (resolved by GET)',
    secret: IN_SYNC,
    payload: {},
    prepare: (h) => h.sim.injectFault('rotateToken', { kind: 'fail-after', status: 500 } satisfies SimulatorFault),
  },
];

/** Effects of an undisturbed run of the scenario, in order. */
async function effectsOf(scenario: Scenario): Promise<string[]> {
  const h = await rotatorHarness({ secret: scenario.secret });
  try {
    scenario.prepare?.(h);
    h.world.crashAfterEffect(undefined);
    await h.invoke(scenario.payload);
    expect(h.secret().token).toBe(h.sim.currentToken());
    return [...h.world.effects];
  } finally {
    await h.dispose();
  }
}

describe.each(SCENARIOS)('crash points: $name', (scenario) => {
  it('after a crash following any effect, the next run restores the invariant and the receiver honours it', async () => {
    const effects = await effectsOf(scenario);
    expect(effects.length).toBeGreaterThanOrEqual(4);
    for (let crashAt = 1; crashAt <= effects.length; crashAt++) {
      const point = `crash after effect ${crashAt}/${effects.length} (${effects[crashAt - 1]})`;
      const h = await rotatorHarness({ secret: scenario.secret });
      try {
        scenario.prepare?.(h);
        h.world.crashAfterEffect(crashAt);
        const crash = await h.invokeFailing(scenario.payload);
        expect({ point, crashed: h.world.crashed, error: crash.name }).toEqual({ point, crashed: true, error: 'RotationError' });

        h.world.crashAfterEffect(undefined);
        h.sim.clearFaults();
        h.secrets.clearFaults();
        const summary = await h.invoke(scenario.payload);
        const secret = h.secret();
        const history = h.sim.tokenHistory();
        expect({ point, stored: secret.token === h.sim.currentToken() }).toEqual({ point, stored: true });
        const expectedPrevious = scenario.revokes || history.length < 2 ? undefined : history.at(-2);
        expect({ point, previousIsTheOneBefore: secret.previousToken === expectedPrevious }).toEqual({
          point,
          previousIsTheOneBefore: true,
        });
        if (scenario.revokes)
          expect({ point, initialStillAccepted: secret.previousToken === INITIAL_TOKEN }).toEqual({ point, initialStillAccepted: false });
        expect(summary.outcome).toEqual(expect.any(String));
        await expectReceiverHonours(secret, h.sim.currentToken()!, history);
        assertNothingLeaked(h);
      } finally {
        await h.dispose();
      }
    }
  });
});
