/**
 * Replay safety: the same delivery sent again keeps the same delivery id - whether Amani
 * repeats it after a 2xx, after a 5xx, across a token rotation (signed with what is now the
 * previous token), after it was parked in the fallback queue and redriven, or when the body
 * names its own id - and inside the deduplication window it reaches the bus once: a copy is
 * answered like the first one and suppressed. Through the local mode over HTTP.
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redrive } from '../../cli/redrive';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import { sendDelivery } from '../../local/amani-sender';
import { LOCAL_NAMES, startLocalStack, type LocalStack } from '../../local/local-stack';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { FaultRouter } from './support/aws-fake';
import { DeliveryLedger, sha256Hex, storedCopies } from './support/delivery-invariant';
import { kycPayload, signedDelivery, type Delivery } from './support/deliveries';
import { hygieneProblems, LeakWatch } from './support/hygiene';

let stack: LocalStack;
let dataDir: string;
let router: FaultRouter;
let output: CapturedOutput;
const watch = new LeakWatch();
const ledger = new DeliveryLedger();

beforeAll(async () => {
  output = captureOutput();
  dataDir = mkdtempSync(join(tmpdir(), 'amani-replay-'));
  stack = await startLocalStack({ dataDir, fresh: true });
  router = new FaultRouter(stack.emulator);
  watch.add('token', stack.amani.currentToken());
  watch.add('access-token', ...stack.amani.sensitiveValues());
}, 60_000);

afterAll(async () => {
  output.restore();
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function send(label: string, delivery: Delivery): Promise<{ status: number; deliveryId?: string; duplicate?: boolean }> {
  const answer = await sendDelivery(stack.runtime.receiverUrl, delivery);
  watch.addText(answer.body);
  ledger.record({ label, body: delivery.body, forged: delivery.forged }, answer);
  const { deliveryId, duplicate } = JSON.parse(answer.body) as { deliveryId?: string; duplicate?: boolean };
  return { status: answer.status, ...(deliveryId ? { deliveryId } : {}), ...(duplicate ? { duplicate } : {}) };
}

const copiesOf = (id: string) =>
  storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus, queue: LOCAL_NAMES.fallbackQueue }).filter((copy) => copy.deliveryId === id);
const generationsOnBus = (id: string) =>
  stack.emulator
    .events()
    .filter((event) => (event.detail as { metadata: { deliveryId: string } }).metadata.deliveryId === id)
    .map((event) => (event.detail as { metadata: { tokenGeneration: string } }).metadata.tokenGeneration);

describe('replay safety: the same delivery keeps its delivery id', () => {
  it('sent twice: two 200s, one id (the SHA-256 of the body), one event (the copy is suppressed)', async () => {
    const delivery = signedDelivery(watch, kycPayload(watch), stack.amani.currentToken()!);
    const first = await send('twice #1', delivery);
    const second = await send('twice #2', delivery);
    expect([first, second]).toEqual([
      { status: 200, deliveryId: sha256Hex(delivery.body) },
      { status: 200, deliveryId: sha256Hex(delivery.body), duplicate: true },
    ]);
    expect(copiesOf(first.deliveryId!)).toHaveLength(1);
  });

  it('retried after a 503 (bus and fallback queue down): the retry is accepted under the same id', async () => {
    const delivery = signedDelivery(watch, kycPayload(watch), stack.amani.currentToken()!);
    router.inject('PutEvents', LOCAL_NAMES.eventBus, { kind: 'server-error' });
    router.inject('SendMessage', stack.runtime.fallbackQueueUrl, { kind: 'server-error' });
    const failed = await send('503 then retry #1', delivery);
    router.clear();
    const retried = await send('503 then retry #2', delivery);
    expect([failed.status, retried]).toEqual([503, { status: 200, deliveryId: sha256Hex(delivery.body) }]);
  });

  it('replayed across a rotation (signed with what became the previous token): same id, suppressed as a copy', async () => {
    const oldToken = stack.amani.currentToken()!;
    const delivery = signedDelivery(watch, kycPayload(watch), oldToken);
    const before = await send('rotation #1', delivery);
    await stack.rotate({ action: 'rotate', force: true });
    watch.add('token', stack.amani.currentToken());
    expect(stack.amani.currentToken()).not.toBe(oldToken);
    // The first delivery signed with the new token makes the receiver re-read the secret at once.
    expect((await send('rotation: new token', signedDelivery(watch, kycPayload(watch), stack.amani.currentToken()!))).status).toBe(200);
    const after = await send('rotation #2', delivery);
    expect([before, after]).toEqual([
      { status: 200, deliveryId: sha256Hex(delivery.body) },
      { status: 200, deliveryId: sha256Hex(delivery.body), duplicate: true },
    ]);
    // Authenticated with the previous token, then recognised as a copy: the bus keeps the first event only.
    expect(generationsOnBus(before.deliveryId!)).toEqual(['current']);
  });

  it('parked while the bus refused, sent again (202, a copy), then redriven: once on the bus', async () => {
    const delivery = signedDelivery(watch, kycPayload(watch), stack.amani.currentToken()!);
    router.inject('PutEvents', LOCAL_NAMES.eventBus, { kind: 'access-denied' });
    const parked = await send('parked #1', delivery);
    router.clear();
    const published = await send('parked #2', delivery);
    expect([parked.status, published.status, published.duplicate, parked.deliveryId === published.deliveryId]).toEqual([
      202,
      202,
      true,
      true,
    ]);
    const endpoint = {
      endpoint: stack.emulator.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const report = await redrive(
      new SQSClient({ ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 3 }), ...endpoint }),
      new EventBridgePublisher(
        new EventBridgeClient({ ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1 }), ...endpoint }),
        {
          maxAttempts: 3,
          baseDelayMs: 10,
          maxDelayMs: 100,
          attemptTimeoutMs: 5000,
        },
      ),
      { queueUrl: stack.runtime.fallbackQueueUrl, eventBusName: LOCAL_NAMES.eventBus },
    );
    expect(report).toMatchObject({ moved: 1, failed: 0, remaining: 0 });
    expect(copiesOf(parked.deliveryId!).map((copy) => copy.where)).toEqual(['bus']);
  });

  it('a body that names its own delivery_id keeps it, even when Amani re-sends it with another timestamp', async () => {
    const payload = { ...kycPayload(watch), delivery_id: 'dlv-7f3a-0001' };
    const first = await send('delivery_id #1', signedDelivery(watch, payload, stack.amani.currentToken()!));
    const second = await send(
      'delivery_id #2',
      signedDelivery(watch, { ...payload, created_at: new Date(Date.now() + 60_000).toISOString() }, stack.amani.currentToken()!),
    );
    expect([first, second]).toEqual([
      { status: 200, deliveryId: 'dlv-7f3a-0001' },
      { status: 200, deliveryId: 'dlv-7f3a-0001', duplicate: true },
    ]);
  });

  it('the same payload re-serialised keeps the id: the id is the SHA-256 of the signed form', async () => {
    const payload = kycPayload(watch);
    const python = signedDelivery(watch, payload, stack.amani.currentToken()!, { wire: 'python' });
    // Same signature (over json.dumps), compact bytes on the wire: authentic through the canonical form.
    const compact = { ...python, body: Buffer.from(JSON.stringify(payload)) };
    const a = await send('re-serialised #1', python);
    const b = await send('re-serialised #2', compact);
    expect([a.status, b.status, b.duplicate]).toEqual([200, 200, true]);
    expect(b.deliveryId).toBe(a.deliveryId);
    expect(copiesOf(a.deliveryId!)).toHaveLength(1);
  });

  // Duplicates are the point here (deliberate resends), so only loss and forgery are checked.
  it('over every delivery: every 2xx stored, nothing secret printed', () => {
    const copies = storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus, queue: LOCAL_NAMES.fallbackQueue });
    expect(ledger.violations(copies)).toEqual([]);
    expect(hygieneProblems(output, watch)).toEqual([]);
  });
});
