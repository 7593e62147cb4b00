/**
 * Rotator fault matrix over the wire: Secrets Manager faults injected by the AWS fake (the
 * rotator's real SDK client, 3000 ms request timeout, one attempt per call, its own retry loop
 * with one ClientRequestToken per logical write) and Amani faults injected by the Amani
 * simulator (real HTTP, 500 ms client timeout here). Each row runs a scheduled rotation with the
 * fault, then - faults gone - the next scheduled run in a new container. Expected per row: the
 * first run's outcome (retried and succeeded, or failed at a named step), the second run's
 * outcome (the repair), and always: exactly one rotation at Amani, the secret holding Amani's
 * token with the replaced one as previous, and the real receiver (over the same fake) accepting
 * the current and previous tokens and nothing else.
 *
 * (test/rotator/rotator.test.ts covers the same use case with an in-process Secrets Manager
 * mock and many more assertions on logs and metrics; this one is about the real wire.)
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SimulatorFault, SimulatorRoute } from '../../local/amani-simulator';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { FaultRouter, pointSdkAt, startAwsEmulator, type AwsEmulator, type Fault } from './support/aws-fake';
import { DeliveryLedger } from './support/delivery-invariant';
import { gatewayEvent, kycPayload, randomToken, signedDelivery } from './support/deliveries';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';
import { rotationWorld, type RotationWorld } from './support/wire-rotator';
import { wireReceiver } from './support/wire-receiver';
import { pool } from './support/pool';

const SM_TIMEOUT_MS = 3000; // createRotatorClients(): requestTimeout
const AMANI_TIMEOUT_MS = 500; // AMANI_TIMEOUT_MS in ROTATOR_ENV

type Target = 'credentials' | 'token';
interface SecretFault {
  readonly target: Target;
  readonly op: 'GetSecretValue' | 'PutSecretValue';
  readonly fault: Fault;
  readonly times?: number;
  readonly skip?: number;
}
interface AmaniFault {
  readonly route: SimulatorRoute;
  readonly fault: SimulatorFault;
  readonly times?: number;
  readonly skip?: number;
}

interface Row {
  readonly name: string;
  readonly faults: ReadonlyArray<SecretFault | AmaniFault>;
  /** `rotated`, or `failed at <step>`. */
  readonly first: string;
  /** The next scheduled run, faults gone. */
  readonly second: 'rotated' | 'reconciled' | 'skipped';
  /** Distinct ClientRequestTokens used for the token secret in the first run (one per logical write). */
  readonly writeKeys?: number;
}

const sm = (target: Target, op: SecretFault['op'], fault: Fault, schedule: { times?: number; skip?: number } = {}): SecretFault => ({
  target,
  op,
  fault,
  ...schedule,
});
const amani = (route: SimulatorRoute, fault: SimulatorFault, schedule: { times?: number; skip?: number } = {}): AmaniFault => ({
  route,
  fault,
  ...schedule,
});
const ALWAYS = Number.POSITIVE_INFINITY;
const slowSecret: Fault = { kind: 'slow', ms: SM_TIMEOUT_MS + 300 };
const hang: SimulatorFault = { kind: 'hang-after', delayMs: AMANI_TIMEOUT_MS + 400 };

const ROWS: readonly Row[] = [
  // Secrets Manager: the Amani credentials secret (read at the start of every run).
  {
    name: 'credentials read throttled once',
    faults: [sm('credentials', 'GetSecretValue', { kind: 'throttle' }, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'credentials read slow past the client timeout once',
    faults: [sm('credentials', 'GetSecretValue', slowSecret, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'credentials read access denied',
    faults: [sm('credentials', 'GetSecretValue', { kind: 'access-denied' })],
    first: 'failed at read-credentials',
    second: 'rotated',
  },
  // Secrets Manager: the token secret, read (1st read: the run's start; 2nd: the confirmation).
  {
    name: 'token read 500 twice',
    faults: [sm('token', 'GetSecretValue', { kind: 'server-error' }, { times: 2 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'token read connection reset once',
    faults: [sm('token', 'GetSecretValue', { kind: 'reset' }, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'token read slow past the client timeout once',
    faults: [sm('token', 'GetSecretValue', slowSecret, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'token read access denied',
    faults: [sm('token', 'GetSecretValue', { kind: 'access-denied' })],
    first: 'failed at read-secret',
    second: 'rotated',
  },
  {
    name: 'confirming re-read fails on every attempt',
    faults: [sm('token', 'GetSecretValue', { kind: 'server-error' }, { skip: 1 })],
    first: 'failed at confirm',
    second: 'skipped',
  },
  // Secrets Manager: the token secret, written after Amani rotated.
  {
    name: 'write throttled 3 times',
    faults: [sm('token', 'PutSecretValue', { kind: 'throttle' }, { times: 3 })],
    first: 'rotated',
    second: 'skipped',
    writeKeys: 1,
  },
  {
    name: 'write landed, answer lost once',
    faults: [sm('token', 'PutSecretValue', { kind: 'lost-answer' }, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
    writeKeys: 1,
  },
  {
    name: 'write slow past the client timeout once (it landed)',
    faults: [sm('token', 'PutSecretValue', slowSecret, { times: 1 })],
    first: 'rotated',
    second: 'skipped',
    writeKeys: 1,
  },
  {
    name: 'write connection reset twice',
    faults: [sm('token', 'PutSecretValue', { kind: 'reset' }, { times: 2 })],
    first: 'rotated',
    second: 'skipped',
    writeKeys: 1,
  },
  {
    name: 'write 500 on every attempt',
    faults: [sm('token', 'PutSecretValue', { kind: 'server-error' })],
    first: 'failed at store-rotated',
    second: 'reconciled',
    writeKeys: 1,
  },
  {
    name: 'write access denied',
    faults: [sm('token', 'PutSecretValue', { kind: 'access-denied' })],
    first: 'failed at store-rotated',
    second: 'reconciled',
    writeKeys: 1,
  },
  {
    name: 'write landed but every answer lost',
    faults: [sm('token', 'PutSecretValue', { kind: 'lost-answer' })],
    first: 'failed at store-rotated',
    second: 'skipped',
    writeKeys: 1,
  },
  // Amani.
  { name: 'login 500 once', faults: [amani('login', { kind: 'fail-before', status: 500 })], first: 'rotated', second: 'skipped' },
  {
    name: 'login 401 (bad password)',
    faults: [amani('login', { kind: 'fail-before', status: 401 }, { times: ALWAYS })],
    first: 'failed at get-token',
    second: 'rotated',
  },
  {
    name: 'GET token 429 with Retry-After: 0',
    faults: [amani('getToken', { kind: 'fail-before', status: 429, retryAfter: '0' })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'GET token answers truncated JSON once',
    faults: [amani('getToken', { kind: 'malformed-json' })],
    first: 'rotated',
    second: 'skipped',
  },
  { name: 'GET token slow past the client timeout once', faults: [amani('getToken', hang)], first: 'rotated', second: 'skipped' },
  {
    name: 'PATCH 500 before rotating',
    faults: [amani('rotateToken', { kind: 'fail-before', status: 500 })],
    first: 'failed at rotate-token',
    second: 'rotated',
  },
  {
    name: 'PATCH 500 after rotating (ambiguous; GET tells)',
    faults: [amani('rotateToken', { kind: 'fail-after', status: 500 })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'PATCH connection reset before rotating',
    faults: [amani('rotateToken', { kind: 'reset', when: 'before' })],
    first: 'failed at rotate-token',
    second: 'rotated',
  },
  {
    name: 'PATCH connection reset after rotating',
    faults: [amani('rotateToken', { kind: 'reset', when: 'after' })],
    first: 'rotated',
    second: 'skipped',
  },
  { name: 'PATCH slow past the client timeout (it rotated)', faults: [amani('rotateToken', hang)], first: 'rotated', second: 'skipped' },
  {
    name: 'PATCH answers truncated JSON (it rotated)',
    faults: [amani('rotateToken', { kind: 'malformed-json' })],
    first: 'rotated',
    second: 'skipped',
  },
  {
    name: 'PATCH refused (403)',
    faults: [amani('rotateToken', { kind: 'fail-before', status: 403 })],
    first: 'failed at rotate-token',
    second: 'rotated',
  },
  {
    name: 'PATCH ambiguous and every GET after it fails',
    faults: [
      amani('rotateToken', { kind: 'fail-after', status: 500 }),
      amani('getToken', { kind: 'fail-before', status: 500 }, { skip: 1, times: ALWAYS }),
    ],
    first: 'failed at resolve-ambiguous',
    second: 'reconciled',
  },
  {
    name: 'confirming GET fails on every attempt',
    faults: [amani('getToken', { kind: 'fail-before', status: 502 }, { skip: 1, times: ALWAYS })],
    first: 'failed at confirm',
    second: 'skipped',
  },
];

let emulator: AwsEmulator;
let router: FaultRouter;
let output: CapturedOutput;
const watch = new LeakWatch();
const ledger = new DeliveryLedger();

beforeAll(async () => {
  output = captureOutput();
  emulator = await startAwsEmulator();
  pointSdkAt(emulator);
  router = new FaultRouter(emulator);
});

afterAll(async () => {
  output.restore();
  await emulator.close();
});

interface Observed {
  readonly row: string;
  readonly first: string;
  readonly second: string;
  readonly rotationsAtAmani: number;
  readonly secretHoldsAmaniToken: boolean;
  readonly previousIsTheReplacedToken: boolean;
  readonly receiver: { readonly current: number; readonly previous: number; readonly other: number };
  readonly writeKeys?: number;
}

/** What the real receiver, fed the rotator's secret over the same fake, answers per token. */
async function receiverAnswers(world: RotationWorld, label: string, previous: string | undefined) {
  const receiver = wireReceiver(emulator, { secret: '', secretId: world.tokenSecretId, name: 'after-rotation' });
  const status = async (token: string, kind: string) => {
    const delivery = signedDelivery(watch, kycPayload(watch), token, { forged: kind === 'other' });
    const answer = await receiver.invoke(gatewayEvent(delivery));
    watch.addText(answer.body);
    ledger.record(
      { label: `${label} (${kind} token)`, body: delivery.body, forged: delivery.forged },
      { status: answer.statusCode, body: answer.body },
    );
    return answer.statusCode;
  };
  const other = randomToken('never-issued');
  watch.add('token', other);
  return {
    current: await status(world.sim.currentToken()!, 'current'),
    previous: previous ? await status(previous, 'previous') : 0,
    other: await status(other, 'other'),
    copies: receiver.copies(),
  };
}

const describeRun = (run: Awaited<ReturnType<RotationWorld['run']>>) =>
  run.ok ? run.summary.outcome : `failed at ${run.error.step ?? run.error.name}`;

async function runRow(
  row: Row,
): Promise<Observed & { copies: ReturnType<typeof wireReceiver>['copies'] extends () => infer C ? C : never }> {
  const world = await rotationWorld(emulator, watch);
  try {
    const writeKeys = new Set<string>();
    const stopObserving = router.observe((call) => {
      if (call.operation === 'PutSecretValue' && call.input?.SecretId === world.tokenSecretId)
        writeKeys.add(String(call.input.ClientRequestToken));
    });
    for (const fault of row.faults) {
      if ('route' in fault) world.sim.injectFault(fault.route, fault.fault, { times: fault.times ?? 1, skip: fault.skip ?? 0 });
      else {
        const secretId = fault.target === 'credentials' ? world.credentialsSecretId : world.tokenSecretId;
        router.inject(fault.op, secretId, fault.fault, {
          ...(fault.times !== undefined ? { times: fault.times } : {}),
          ...(fault.skip !== undefined ? { skip: fault.skip } : {}),
        });
      }
    }
    const first = await world.run({});
    stopObserving();
    router.clear(world.tokenSecretId);
    router.clear(world.credentialsSecretId);
    world.sim.clearFaults();
    // Let calls the client gave up on land before the repair run (as time between two schedules would).
    const slowest = Math.max(
      0,
      ...row.faults.map((f) => ('route' in f ? ('delayMs' in f.fault ? f.fault.delayMs : 0) : f.fault.kind === 'slow' ? f.fault.ms : 0)),
    );
    if (slowest > 0) await new Promise((resolve) => setTimeout(resolve, slowest));
    const second = await world.run({});

    const secret = world.secret();
    const history = world.sim.tokenHistory();
    const answers = await receiverAnswers(world, row.name, secret.previousToken);
    return {
      row: row.name,
      first: describeRun(first),
      second: describeRun(second),
      rotationsAtAmani: history.length - 1,
      secretHoldsAmaniToken: secret.token === world.sim.currentToken(),
      previousIsTheReplacedToken:
        secret.previousToken === world.initialToken && Date.parse(secret.previousTokenValidUntil ?? '') > Date.now(),
      receiver: { current: answers.current, previous: answers.previous, other: answers.other },
      ...(row.writeKeys !== undefined ? { writeKeys: writeKeys.size } : {}),
      copies: answers.copies,
    };
  } finally {
    await world.close();
  }
}

describe('rotator fault matrix (wire-level Secrets Manager fake, Amani simulator)', () => {
  let observed: Awaited<ReturnType<typeof runRow>>[] = [];

  beforeAll(async () => {
    observed = await pool(ROWS, 4, runRow);
    writeReport(
      'rotator-faults',
      observed.map(({ copies: _copies, ...row }) => row),
    );
  }, 120_000);

  it('fails or succeeds as expected on every row, and the next run repairs every failure', () => {
    const actual = observed.map(({ copies: _copies, ...rest }) => rest);
    const expected = ROWS.map((row) => ({
      row: row.name,
      first: row.first,
      second: row.second,
      rotationsAtAmani: 1,
      secretHoldsAmaniToken: true,
      previousIsTheReplacedToken: true,
      receiver: { current: 200, previous: 200, other: 401 },
      ...(row.writeKeys !== undefined ? { writeKeys: row.writeKeys } : {}),
    }));
    expect(actual).toEqual(expected);
  });

  it('keeps the delivery invariant for the deliveries made after each row', () => {
    expect(ledger.violations(observed.flatMap((row) => row.copies))).toEqual([]);
  });

  it('printed and threw no token, password, access token or personal data', () => {
    expect(hygieneProblems(output, watch)).toEqual([]);
    expect(output.logs().filter((line) => line.message === 'token rotation run failed').length).toBeGreaterThanOrEqual(
      ROWS.filter((row) => row.first.startsWith('failed')).length,
    );
  });
});
