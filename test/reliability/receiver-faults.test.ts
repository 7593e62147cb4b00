/**
 * Receiver fault matrix: each fault on each dependency call (GetSecretValue, PutEvents,
 * SendMessage), injected at the wire by the AWS fake, against the real receiver built as its
 * Lambda builds it (real SDK clients, their timeouts and retries, reaching the fake through
 * AWS_ENDPOINT_URL). Every row sends one authentic delivery and one forged one while the fault
 * is active; a 5xx is then retried by "Amani" once the fault is gone. Expected outcome per row,
 * and the delivery invariant checked over every run. Rows run four at a time (each has its own
 * secret, bus and queue; faults are routed by resource).
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { CallLedger, FaultRouter, pointSdkAt, startAwsEmulator, type AwsEmulator, type Fault } from './support/aws-fake';
import { DeliveryLedger, sha256Hex } from './support/delivery-invariant';
import { forgedDelivery, gatewayEvent, kycPayload, randomToken, signedDelivery, type Delivery } from './support/deliveries';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';
import { wireReceiver, type WireReceiver } from './support/wire-receiver';
import { pool } from './support/pool';

type Dependency = 'GetSecretValue' | 'PutEvents' | 'SendMessage';
type Count = number | readonly [min: number, max: number];

interface Row {
  readonly name: string;
  readonly op: Dependency;
  readonly fault: Fault;
  /** Calls that get the fault; default: every call while the row runs. */
  readonly times?: number;
  /** `warm`: a delivery first fills the cache; `rotated`: then the secret is rotated behind its back. */
  readonly setup?: 'warm' | 'rotated';
  readonly env?: Record<string, string>;
  /** A payload with this many `"` characters added. */
  readonly bodyBytes?: number;
  readonly expected: Expected;
}

interface Expected {
  readonly outcome: string;
  /** The authentic delivery's answer while the fault is active. */
  readonly status: number;
  /** The forged delivery's answer while the fault is active. */
  readonly forged: 401 | 503;
  /** The answer to Amani's retry once the fault is gone (only after a 5xx). */
  readonly retry?: number;
  /** Copies of the authentic delivery on the bus and in the fallback queue, once everything settled. */
  readonly bus: Count;
  readonly queue: Count;
}

const SM_TIMEOUT_MS = 2000; // createReceiverClients(): Secrets Manager requestTimeout
const BUS_TIMEOUT_MS = 1500; // EventBridge and SQS requestTimeout
const slowSecret: Fault = { kind: 'slow', ms: SM_TIMEOUT_MS + 300 };
const slowBus: Fault = { kind: 'slow', ms: BUS_TIMEOUT_MS + 300 };

const ok = (outcome: string): Expected => ({ outcome, status: 200, forged: 401, bus: 1, queue: 0 });
const secretDown = (outcome: string): Expected => ({ outcome, status: 503, forged: 503, retry: 200, bus: 1, queue: 0 });
const parked = (outcome: string, bus: Count = 0, queue: Count = 1): Expected => ({ outcome, status: 202, forged: 401, bus, queue });
const lostBoth = (outcome: string, queue: Count = 0): Expected => ({ outcome, status: 503, forged: 401, retry: 200, bus: 1, queue });

const ROWS: readonly Row[] = [
  // Secrets Manager (client: 2 attempts, 2000 ms request timeout).
  { name: 'throttled once', op: 'GetSecretValue', fault: { kind: 'throttle' }, times: 1, expected: ok('retried by the SDK and succeeded') },
  {
    name: 'throttled on every call',
    op: 'GetSecretValue',
    fault: { kind: 'throttle' },
    expected: secretDown('503; Amani retries; accepted after'),
  },
  { name: '500 once', op: 'GetSecretValue', fault: { kind: 'server-error' }, times: 1, expected: ok('retried by the SDK and succeeded') },
  {
    name: '500 on every call',
    op: 'GetSecretValue',
    fault: { kind: 'server-error' },
    expected: secretDown('503; Amani retries; accepted after'),
  },
  {
    name: 'access denied',
    op: 'GetSecretValue',
    fault: { kind: 'access-denied' },
    expected: secretDown('503 (not retried); accepted after'),
  },
  {
    name: 'slow past the client timeout once',
    op: 'GetSecretValue',
    fault: slowSecret,
    times: 1,
    expected: ok('timed out, retried and succeeded'),
  },
  {
    name: 'slow past the client timeout always',
    op: 'GetSecretValue',
    fault: slowSecret,
    expected: secretDown('503 after two timeouts; accepted after'),
  },
  { name: 'connection reset once', op: 'GetSecretValue', fault: { kind: 'reset' }, times: 1, expected: ok('retried and succeeded') },
  { name: 'connection reset always', op: 'GetSecretValue', fault: { kind: 'reset' }, expected: secretDown('503; accepted after') },
  { name: 'answer lost once', op: 'GetSecretValue', fault: { kind: 'lost-answer' }, times: 1, expected: ok('retried and succeeded') },
  {
    name: 'failing on the TTL reload of a warm cache',
    op: 'GetSecretValue',
    fault: { kind: 'server-error' },
    setup: 'warm',
    env: { SECRET_CACHE_TTL_SECONDS: '0' },
    // The forged one fails verification, and the forced reload it asks for fails: 503, as a new token would get.
    expected: { ...ok('cached token served (stale-if-error); forged: 503'), forged: 503 },
  },
  {
    name: 'failing right after a rotation (warm cache holds the old token)',
    op: 'GetSecretValue',
    fault: { kind: 'server-error' },
    setup: 'rotated',
    env: { SECRET_REFRESH_MIN_INTERVAL_MS: '1000' },
    expected: secretDown('503, never 401 (cannot tell new token from forged); accepted after'),
  },
  // EventBridge (client: 1 attempt, 1500 ms; the publisher retries up to 6 times within 3000 ms).
  { name: 'throttled twice', op: 'PutEvents', fault: { kind: 'throttle' }, times: 2, expected: ok('retried and succeeded') },
  { name: 'throttled on every call', op: 'PutEvents', fault: { kind: 'throttle' }, expected: parked('fallback used (202)') },
  { name: '500 twice', op: 'PutEvents', fault: { kind: 'server-error' }, times: 2, expected: ok('retried and succeeded') },
  { name: '500 on every call', op: 'PutEvents', fault: { kind: 'server-error' }, expected: parked('fallback used (202)') },
  { name: 'access denied', op: 'PutEvents', fault: { kind: 'access-denied' }, expected: parked('fallback used at once (not retried)') },
  {
    name: 'slow past the client timeout once',
    op: 'PutEvents',
    fault: slowBus,
    times: 1,
    expected: { ...ok('timed out, retried and succeeded; the slow call landed too'), bus: 2 },
  },
  {
    name: 'slow past the client timeout always',
    op: 'PutEvents',
    fault: slowBus,
    expected: parked('budget spent, fallback used; the slow calls landed too', [2, 3], 1),
  },
  { name: 'connection reset once', op: 'PutEvents', fault: { kind: 'reset' }, times: 1, expected: ok('retried and succeeded') },
  { name: 'connection reset always', op: 'PutEvents', fault: { kind: 'reset' }, expected: parked('fallback used (202)') },
  {
    name: 'answer lost once (the event landed)',
    op: 'PutEvents',
    fault: { kind: 'lost-answer' },
    times: 1,
    expected: { ...ok('retried and succeeded; a duplicate on the bus'), bus: 2 },
  },
  {
    name: 'answer lost always',
    op: 'PutEvents',
    fault: { kind: 'lost-answer' },
    expected: parked('fallback used; one copy per attempt on the bus', 6, 1),
  },
  {
    name: 'partial failure (InternalFailure) once',
    op: 'PutEvents',
    fault: { kind: 'partial' },
    times: 1,
    expected: ok('retried and succeeded'),
  },
  {
    name: 'partial failure (ThrottlingException) twice',
    op: 'PutEvents',
    fault: { kind: 'partial', errorCode: 'ThrottlingException' },
    times: 2,
    expected: ok('retried and succeeded'),
  },
  { name: 'partial failure on every call', op: 'PutEvents', fault: { kind: 'partial' }, expected: parked('fallback used (202)') },
  {
    name: 'partial failure, not retryable (InvalidArgument)',
    op: 'PutEvents',
    fault: { kind: 'partial', errorCode: 'InvalidArgument' },
    times: 1,
    expected: parked('fallback used at once (not retried)'),
  },
  // SQS, while the bus refuses every call (client: 3 attempts, 1500 ms; 2000 ms fallback budget).
  {
    name: 'throttled once',
    op: 'SendMessage',
    fault: { kind: 'throttle' },
    times: 1,
    expected: parked('retried by the SDK, parked (202)'),
  },
  {
    name: 'throttled on every call',
    op: 'SendMessage',
    fault: { kind: 'throttle' },
    expected: lostBoth('503; Amani retries; accepted after'),
  },
  { name: '500 once', op: 'SendMessage', fault: { kind: 'server-error' }, times: 1, expected: parked('retried by the SDK, parked (202)') },
  {
    name: '500 on every call',
    op: 'SendMessage',
    fault: { kind: 'server-error' },
    expected: lostBoth('503; Amani retries; accepted after'),
  },
  { name: 'access denied', op: 'SendMessage', fault: { kind: 'access-denied' }, expected: lostBoth('503; Amani retries; accepted after') },
  {
    name: 'slow past the client timeout once',
    op: 'SendMessage',
    fault: slowBus,
    times: 1,
    expected: parked('timed out, retried, parked; the slow call landed too', 0, 2),
  },
  {
    name: 'slow past the client timeout always',
    op: 'SendMessage',
    fault: slowBus,
    expected: lostBoth('503 at the fallback budget (the slow calls landed later); accepted after', 2),
  },
  {
    name: 'connection reset once',
    op: 'SendMessage',
    fault: { kind: 'reset' },
    times: 1,
    expected: parked('retried by the SDK, parked (202)'),
  },
  { name: 'connection reset always', op: 'SendMessage', fault: { kind: 'reset' }, expected: lostBoth('503; accepted after') },
  {
    name: 'answer lost once (the message landed)',
    op: 'SendMessage',
    fault: { kind: 'lost-answer' },
    times: 1,
    expected: parked('retried, parked twice (202)', 0, 2),
  },
  {
    name: 'answer lost always',
    op: 'SendMessage',
    fault: { kind: 'lost-answer' },
    expected: lostBoth('503 although parked 3 times; accepted after', 3),
  },
  {
    name: 'a 900 KB delivery of quotes while the bus refuses (its parked message exceeds the SQS 1 MiB limit)',
    op: 'PutEvents',
    fault: { kind: 'access-denied' },
    bodyBytes: 450_000,
    expected: lostBoth('cannot be parked: 503; accepted once the bus is back'),
  },
];

let emulator: AwsEmulator;
let router: FaultRouter;
let calls: CallLedger;
let output: CapturedOutput;
const watch = new LeakWatch();
const ledger = new DeliveryLedger();
const receivers: WireReceiver[] = [];

beforeAll(async () => {
  output = captureOutput();
  emulator = await startAwsEmulator();
  pointSdkAt(emulator);
  router = new FaultRouter(emulator);
  calls = new CallLedger(router);
});

afterAll(async () => {
  output.restore();
  await emulator.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(
  receiver: WireReceiver,
  delivery: Delivery,
  label: string,
): Promise<{ status: number; deliveryId?: string; ms: number }> {
  const started = Date.now();
  const result = await receiver.invoke(gatewayEvent(delivery));
  watch.addText(result.body);
  ledger.record({ label, body: delivery.body, forged: delivery.forged }, { status: result.statusCode, body: result.body });
  const deliveryId = (JSON.parse(result.body) as { deliveryId?: string }).deliveryId;
  return { status: result.statusCode, ...(deliveryId ? { deliveryId } : {}), ms: Date.now() - started };
}

function bigPayload(bytes: number): Record<string, unknown> {
  const payload = kycPayload(watch);
  // Each `"` is 2 bytes in the body and 4 in the parked message (the Detail string escaped once more).
  payload.attachments = '"'.repeat(bytes);
  return payload;
}

const within = (count: Count, actual: number) => (typeof count === 'number' ? actual === count : actual >= count[0] && actual <= count[1]);

interface Observed {
  readonly row: string;
  readonly status: number;
  readonly forged: number;
  readonly retry?: number;
  readonly bus: Count;
  readonly queue: Count;
  readonly ms: number;
}

async function runRow(row: Row): Promise<Observed> {
  const token = randomToken('webhook');
  const oldToken = randomToken('webhook-old');
  watch.add('token', token, oldToken);
  const label = `${row.op}: ${row.name}`;
  const receiver = wireReceiver(emulator, {
    name: row.op.toLowerCase(),
    secret: { token: row.setup === 'rotated' ? oldToken : token },
    env: row.env ?? {},
  });
  receivers.push(receiver);
  const resources = { GetSecretValue: receiver.secretId, PutEvents: receiver.bus, SendMessage: receiver.queueUrl };

  if (row.setup) {
    const warmUp = await send(
      receiver,
      signedDelivery(watch, kycPayload(watch), row.setup === 'rotated' ? oldToken : token),
      `${label} (warm-up)`,
    );
    expect({ label, warmUp: warmUp.status }).toEqual({ label, warmUp: 200 });
    if (row.setup === 'rotated') {
      receiver.setSecret({ token, previousToken: oldToken, previousTokenValidUntil: new Date(Date.now() + 3_600_000).toISOString() });
      await sleep(1000); // past SECRET_REFRESH_MIN_INTERVAL_MS, so the failure is the fault's, not the rate limit's
    }
  }

  if (row.op === 'SendMessage') router.inject('PutEvents', receiver.bus, { kind: 'access-denied' });
  router.inject(row.op, resources[row.op], row.fault, row.times === undefined ? {} : { times: row.times });

  const genuine = signedDelivery(watch, row.bodyBytes ? bigPayload(row.bodyBytes) : kycPayload(watch), token);
  const first = await send(receiver, genuine, label);
  const forged = await send(receiver, forgedDelivery(watch, kycPayload(watch)), `${label} (forged)`);

  router.clear(receiver.bus);
  router.clear(receiver.secretId);
  router.clear(receiver.queueUrl);
  let retry: Awaited<ReturnType<typeof send>> | undefined;
  if (first.status >= 500) {
    await sleep(row.setup === 'rotated' ? 1000 : 0);
    retry = await send(receiver, genuine, `${label} (Amani's retry)`);
    // Replay safety: Amani's retry of the same delivery keeps its id.
    expect({ label, sameId: retry.deliveryId === sha256Hex(genuine.body) }).toEqual({ label, sameId: true });
  }
  if (row.fault.kind === 'slow') await sleep(row.fault.ms + 300); // let the calls the client gave up on land
  const id = sha256Hex(genuine.body);
  if (first.deliveryId !== undefined) expect({ label, id: first.deliveryId }).toEqual({ label, id });
  const copies = receiver.copies().filter((copy) => copy.deliveryId === id);
  const bus = copies.filter((copy) => copy.where === 'bus').length;
  const queue = copies.filter((copy) => copy.where === 'queue').length;
  return {
    row: label,
    status: first.status,
    forged: forged.status,
    ...(retry ? { retry: retry.status } : {}),
    bus: within(row.expected.bus, bus) ? row.expected.bus : bus,
    queue: within(row.expected.queue, queue) ? row.expected.queue : queue,
    ms: first.ms,
  };
}

describe('receiver fault matrix (wire-level AWS fake, real SDK clients)', () => {
  let observed: Observed[] = [];

  beforeAll(async () => {
    observed = await pool(ROWS, 4, runRow);
    writeReport(
      'receiver-faults',
      observed.map((row, i) => ({ ...row, outcome: ROWS[i]!.expected.outcome })),
    );
  }, 120_000);

  it('gives the expected outcome on every row', () => {
    const actual = observed.map(({ ms: _ms, ...rest }) => rest);
    const expected = ROWS.map((row) => ({
      row: `${row.op}: ${row.name}`,
      status: row.expected.status,
      forged: row.expected.forged,
      ...(row.expected.retry !== undefined ? { retry: row.expected.retry } : {}),
      bus: row.expected.bus,
      queue: row.expected.queue,
    }));
    expect(actual).toEqual(expected);
  });

  it('keeps the delivery invariant over every run: every 2xx stored, nothing forged accepted, no unexplained duplicate', () => {
    const copies = receivers.flatMap((receiver) => receiver.copies());
    expect(ledger.violations(copies, calls)).toEqual([]);
    expect(ledger.accepted.length).toBeGreaterThan(ROWS.length);
  });

  it('printed no token, signature or personal data, and used only safe metric dimensions', () => {
    expect(watch.size).toBeGreaterThan(ROWS.length * 5);
    expect(hygieneProblems(output, watch)).toEqual([]);
    // The log lines are there (a silent receiver would pass the leak check trivially).
    expect(output.logs().filter((line) => line.message === 'delivery parked in the fallback queue').length).toBeGreaterThan(5);
  });
});
