/**
 * Rotation crash points over the wire. Builds on test/rotator/crash-points.test.ts (same
 * scenarios, same idea), but the Secrets Manager here is the wire-level AWS fake reached by the
 * rotator's real SDK client, and the receiver that must honour the result reads the very secret
 * the rotator wrote, through the same fake.
 *
 * For every external effect of an undisturbed run (each Secrets Manager call, each HTTP
 * exchange with Amani), the run is repeated and "the process dies" right after that effect: the
 * call takes effect but its answer is lost (the fake's `lost-answer`; for Amani, the answer is
 * dropped by the fetch wrapper), and every later call fails as if nothing were there any more.
 * Then a new container runs the same payload, or the scheduled `{"action":"sync"}` (what the
 * 15-minute schedule runs, so the stored token is never wrong for longer), and the rotation
 * invariant must hold:
 * - the secret's `token` is Amani's current token, and the token Amani had just before is kept
 *   as `previousToken` (none after revokePrevious rerun as such; a sync repairing a crashed
 *   revokePrevious keeps it for the grace window, which the CLI reports), so no delivery in
 *   flight is refused; a repairing sync never rotates;
 * - the real receiver accepts the current token, the previous one (inside its grace window),
 *   and no other token Amani ever had;
 * - nothing secret was printed or thrown.
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TokenSecret } from '../../lambda/core/token-secret';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { FaultRouter, pointSdkAt, resourceOf, startAwsEmulator, type AwsEmulator, type EmulatorCall, type Fault } from './support/aws-fake';
import { DeliveryLedger, type StoredCopy } from './support/delivery-invariant';
import { gatewayEvent, kycPayload, signedDelivery } from './support/deliveries';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';
import { rotationWorld, type RotationWorld } from './support/wire-rotator';
import { wireReceiver } from './support/wire-receiver';

/** Counts the effects of one rotator process and kills it after the n-th. */
class CrashWorld {
  readonly effects: string[] = [];
  private crashAfter: number | undefined;
  private dead = false;
  private readonly resources = new Set<string>();

  constructor(router: FaultRouter) {
    router.before = (call) => this.onAwsCall(call);
  }

  get crashed(): boolean {
    return this.dead;
  }

  arm(crashAfter: number | undefined, ...resources: string[]): void {
    this.crashAfter = crashAfter;
    this.dead = false;
    this.effects.length = 0;
    this.resources.clear();
    for (const resource of resources) this.resources.add(resource);
  }

  private onAwsCall(call: EmulatorCall): Fault | undefined {
    const resource = resourceOf(call);
    if (resource === undefined || !this.resources.has(resource)) return undefined;
    if (this.dead) return { kind: 'reset' };
    return this.count(`${call.operation} ${resource.split('-')[0]}`) ? { kind: 'lost-answer' } : undefined;
  }

  /** Node's fetch for the Amani client: each exchange is one effect; a dead process gets nothing. */
  readonly fetch: typeof fetch = async (input, init) => {
    if (this.dead) throw new TypeError('fetch failed');
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    const label = `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`;
    if (this.count(label)) throw new TypeError('fetch failed');
    return new Response([204, 205, 304].includes(response.status) ? null : body, { status: response.status, headers: response.headers });
  };

  /** Records an effect; true when the process dies right after it. */
  private count(label: string): boolean {
    this.effects.push(label);
    if (this.crashAfter !== undefined && this.effects.length >= this.crashAfter) this.dead = true;
    return this.dead;
  }
}

interface Scenario {
  readonly name: string;
  readonly secret?: TokenSecret;
  readonly payload: Record<string, unknown>;
  readonly prepare?: (world: RotationWorld, router: FaultRouter) => void;
  readonly revokes?: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'scheduled rotation', payload: {} },
  { name: 'bootstrap (secret without a token)', secret: {}, payload: {} },
  {
    name: 'forced rotation after an out-of-band rotation (reconcile, then rotate)',
    payload: { action: 'rotate', force: true },
    prepare: (w) => void w.sim.rotateOutOfBand(),
  },
  { name: 'emergency rotation (revokePrevious)', payload: { action: 'rotate', revokePrevious: true }, revokes: true },
  { name: 'sync after an out-of-band rotation', payload: { action: 'sync' }, prepare: (w) => void w.sim.rotateOutOfBand() },
  {
    name: 'rotation whose first two writes fail',
    payload: {},
    prepare: (w, r) => r.inject('PutSecretValue', w.tokenSecretId, { kind: 'server-error' }, { times: 2 }),
  },
  {
    name: 'rotation whose PATCH answers 500 after rotating',
    payload: {},
    prepare: (w) => w.sim.injectFault('rotateToken', { kind: 'fail-after', status: 500 }),
  },
];

let emulator: AwsEmulator;
let router: FaultRouter;
let crash: CrashWorld;
let output: CapturedOutput;
const watch = new LeakWatch();
const ledger = new DeliveryLedger();
const copies: StoredCopy[] = [];
const crashPoints: Array<{ scenario: string; effects: string[] }> = [];

beforeAll(async () => {
  output = captureOutput();
  emulator = await startAwsEmulator();
  pointSdkAt(emulator);
  router = new FaultRouter(emulator);
  crash = new CrashWorld(router);
});

afterAll(async () => {
  output.restore();
  await emulator.close();
});

async function newWorld(scenario: Scenario): Promise<RotationWorld> {
  const world = await rotationWorld(emulator, watch, { ...(scenario.secret ? { secret: scenario.secret } : {}), fetch: crash.fetch });
  scenario.prepare?.(world, router);
  return world;
}

/** The statuses the real receiver answers for each token Amani ever had, fed the rotator's secret. */
async function receiverVerdicts(world: RotationWorld, point: string): Promise<Record<string, number>> {
  const receiver = wireReceiver(emulator, { secret: '', secretId: world.tokenSecretId, name: 'crash-check' });
  const verdicts: Record<string, number> = {};
  const history = world.sim.tokenHistory();
  const secret = world.secret();
  for (const [index, token] of history.entries()) {
    const role = token === world.sim.currentToken() ? 'current' : token === secret.previousToken ? 'previous' : `older #${index}`;
    const delivery = signedDelivery(watch, kycPayload(watch), token, { forged: role.startsWith('older') });
    const answer = await receiver.invoke(gatewayEvent(delivery));
    watch.addText(answer.body);
    ledger.record(
      { label: `${point} (${role})`, body: delivery.body, forged: delivery.forged },
      { status: answer.statusCode, body: answer.body },
    );
    verdicts[role] = answer.statusCode;
  }
  copies.push(...receiver.copies());
  return verdicts;
}

const REPAIRS = [
  { repair: 'the same payload again', sync: false },
  { repair: 'the scheduled sync', sync: true },
] as const;

describe.each(REPAIRS.flatMap((repair) => SCENARIOS.map((scenario) => ({ ...repair, scenario, name: scenario.name }))))(
  'crash points over the wire: $name, repaired by $repair',
  ({ scenario, sync }) => {
    it('after a crash following any effect, the next run restores the invariant and the receiver honours it', async () => {
      const reference = await newWorld(scenario);
      crash.arm(undefined, reference.tokenSecretId, reference.credentialsSecretId);
      const undisturbed = await reference.run(scenario.payload);
      await reference.close();
      router.clear(reference.tokenSecretId);
      expect(undisturbed.ok).toBe(true);
      const effects = [...crash.effects];
      expect(effects.length).toBeGreaterThanOrEqual(4);
      if (!sync) crashPoints.push({ scenario: scenario.name, effects });

      for (let crashAt = 1; crashAt <= effects.length; crashAt++) {
        const point = `${scenario.name}: crash after effect ${crashAt}/${effects.length} (${effects[crashAt - 1]})`;
        const world = await newWorld(scenario);
        try {
          crash.arm(crashAt, world.tokenSecretId, world.credentialsSecretId);
          const crashed = await world.run(scenario.payload);
          expect({ point, died: crash.crashed, failed: !crashed.ok }).toEqual({ point, died: true, failed: true });

          crash.arm(undefined);
          router.clear(world.tokenSecretId);
          world.sim.clearFaults();
          const rotationsBefore = world.sim.tokenHistory().length;
          const rerun = await world.run(sync ? { action: 'sync' } : scenario.payload);
          expect({ point, rerun: rerun.ok }).toEqual({ point, rerun: true });
          if (sync)
            expect({ point, rotatedBySync: world.sim.tokenHistory().length > rotationsBefore }).toEqual({ point, rotatedBySync: false });

          const secret = world.secret();
          const history = world.sim.tokenHistory();
          const expectedPrevious = history.length < 2 ? undefined : history.at(-2);
          const previousIsTheOneBefore = scenario.revokes
            ? sync
              ? [undefined, expectedPrevious].includes(secret.previousToken)
              : secret.previousToken === undefined
            : secret.previousToken === expectedPrevious;
          expect({ point, stored: secret.token === world.sim.currentToken(), previousIsTheOneBefore }).toEqual({
            point,
            stored: true,
            previousIsTheOneBefore: true,
          });
          const verdicts = await receiverVerdicts(world, point);
          const expected = Object.fromEntries(Object.keys(verdicts).map((role) => [role, role.startsWith('older') ? 401 : 200]));
          expect({ point, verdicts }).toEqual({ point, verdicts: expected });
        } finally {
          await world.close();
        }
      }
    });
  },
);

describe('crash points: across all scenarios', () => {
  it('keeps the delivery invariant and printed nothing secret', () => {
    const points = crashPoints.reduce((sum, scenario) => sum + scenario.effects.length, 0);
    expect(points).toBeGreaterThan(50);
    expect(ledger.records.length).toBeGreaterThan(points * 2);
    writeReport('rotation-crash-points', { scenarios: crashPoints, crashPoints: points, receiverChecks: ledger.records.length });
    expect(ledger.violations(copies)).toEqual([]);
    expect(hygieneProblems(output, watch)).toEqual([]);
  });
});
