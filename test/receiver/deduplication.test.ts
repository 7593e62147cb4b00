/**
 * Exactly-once ingest, end to end through the real receiver: its real SDK clients reach the AWS
 * emulator (Secrets Manager, EventBridge, SQS) and dynalite (DynamoDB, behind the local fault
 * layer) over loopback HTTP. Each case counts what landed on the bus and in the queue, what the
 * ledger holds and what Amani was answered.
 */
import '../reliability/support/single-realm';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { DynamoDbDeliveryLedger } from '../../lambda/adapters/delivery-ledger';
import { claimRecord, type LedgerRecord } from '../../lambda/core/delivery-ledger';
import { buildReceiver, createReceiverClients } from '../../lambda/receiver/build-receiver';
import { loadReceiverConfig, toReceiverEnvironment } from '../../lambda/receiver/env';
import { prepareDelivery, samplePayload } from '../../local/amani-sender';
import { webhookEvent } from '../../local/api-gateway-events';
import { startAwsEmulator, type AwsEmulator, type BusEvent } from '../../local/aws-emulator';
import { createLedgerTable, startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb';
import { lambdaContext } from '../../local/lambda-context';
import { localAwsEnvironment } from '../../local/runtime';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { closedPort } from '../helpers/ports';

const TOKEN = `token-${randomBytes(12).toString('hex')}`;
const WINDOW_HOURS = 2;

let emulator: AwsEmulator;
let dynamo: LocalDynamoDb;
let output: CapturedOutput;
let count = 0;

beforeAll(async () => {
  emulator = await startAwsEmulator();
  dynamo = await startLocalDynamoDb();
  Object.assign(process.env, localAwsEnvironment(emulator.endpoint, 'eu-west-1'), { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  await dynamo.close();
  await emulator.close();
});
afterEach(() => {
  output?.restore();
  emulator.clearFaults();
  dynamo.clearFaults();
});

/** A receiver with its own secret, bus, queue and ledger table; `dynamodbEndpoint` replaces the local DynamoDB. */
async function receiver(options: { clock?: () => number; dynamodbEndpoint?: string; env?: Record<string, string> } = {}) {
  const name = `dedup-${++count}`;
  const queueUrl = emulator.createQueue(`fallback-${name}`);
  emulator.putSecret(`token-${name}`, JSON.stringify({ token: TOKEN }));
  const table = `deliveries-${name}`;
  await createLedgerTable(dynamo.endpoint, table);
  const config = loadReceiverConfig({
    ...toReceiverEnvironment({
      tokenSecretId: `token-${name}`,
      eventBusName: `bus-${name}`,
      fallbackQueueUrl: queueUrl,
      dedupTableName: table,
      dedupWindowHours: WINDOW_HOURS,
      observability: { logLevel: 'DEBUG' },
    }),
    ...options.env,
  });
  const clients = createReceiverClients();
  if (options.dynamodbEndpoint) {
    clients.dynamodb.destroy();
    const timeouts = clientOptions({ connectionTimeoutMs: 500, requestTimeoutMs: 800, maxAttempts: 3 });
    Object.assign(clients, { dynamodb: new DynamoDBClient({ ...timeouts, endpoint: options.dynamodbEndpoint }) });
  }
  output?.restore();
  output = captureOutput();
  const handler = buildReceiver(config, clients, options.clock ? { clock: options.clock } : {}) as unknown as (
    event: APIGatewayProxyEvent,
    context: Context,
  ) => Promise<APIGatewayProxyResult>;
  const ledgerClient = new DynamoDBClient({ endpoint: dynamo.endpoint });
  const ledger = new DynamoDbDeliveryLedger(ledgerClient, table);
  return {
    table,
    ledger,
    invoke: async (event: APIGatewayProxyEvent, remainingMs = 15_000) => {
      const answer = await handler(event, lambdaContext({ functionName: 'receiver', remainingMs }));
      return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
    },
    events: (): BusEvent[] => emulator.events().filter((event) => event['event-bus-name'] === `bus-${name}`),
    parked: () => emulator.queueMessages(`fallback-${name}`),
    record: (deliveryId: string) => ledger.read(deliveryId, 2000),
    metric: (metric: string) => output.metric(metric),
  };
}

function delivery(event = 'profile_status_change'): { event: APIGatewayProxyEvent; deliveryId: string } {
  const prepared = prepareDelivery({ payload: samplePayload(event, 7), token: TOKEN, authMode: 'signature' });
  return {
    event: webhookEvent({ body: prepared.body, headers: prepared.headers, base64: true }),
    deliveryId: createHash('sha256').update(prepared.signedText).digest('hex'),
  };
}

const metadataOf = (event: BusEvent) => (event.detail as { metadata: Record<string, unknown> }).metadata;

/** Resolves once the first copy holds the delivery (its in-progress record exists) or is done, however slow the machine. */
async function claimed(
  r: { record: (id: string) => Promise<LedgerRecord | undefined> },
  deliveryId: string,
  first: Promise<unknown>,
): Promise<void> {
  let done = false;
  void first.finally(() => {
    done = true;
  });
  for (let i = 0; i < 500; i++) {
    if (done || (await r.record(deliveryId))?.outcome === 'in-progress') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the first copy never claimed the delivery');
}

describe('a copy of a delivery', () => {
  test('is answered like the first (200, same deliveryId, marked duplicate); one event; the ledger counts it', async () => {
    const r = await receiver();
    const { event, deliveryId } = delivery();
    const first = await r.invoke(event);
    const second = await r.invoke(event);
    expect(first).toEqual({ status: 200, body: { deliveryId } });
    expect(second).toEqual({ status: 200, body: { deliveryId, duplicate: true } });
    expect(r.events()).toHaveLength(1);
    expect(metadataOf(r.events()[0]!).dedup).toBeUndefined();
    expect(await r.record(deliveryId)).toMatchObject({
      outcome: 'published',
      eventId: r.events()[0]!.id,
      eventName: 'profile_status_change',
      copies: 2,
      dedup: 'checked',
    });
    expect([r.metric('DeliveryAccepted'), r.metric('DuplicateSuppressed'), r.metric('DedupUnchecked')]).toEqual([1, 1, 0]);
  });

  test('of a parked delivery is answered 202, and nothing more is parked or published', async () => {
    const r = await receiver();
    emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'AccessDeniedException' }, { times: 1 });
    const { event, deliveryId } = delivery();
    expect((await r.invoke(event)).status).toBe(202);
    expect(await r.invoke(event)).toEqual({ status: 202, body: { deliveryId, duplicate: true } });
    expect([r.events().length, r.parked().length]).toEqual([0, 1]);
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'parked', copies: 2 });
  });

  test('arriving while the first is still publishing waits for it: same 200, never before the event is on the bus', async () => {
    const r = await receiver();
    emulator.injectFault('PutEvents', { kind: 'slow', ms: 700 }, { times: 1 });
    const { event, deliveryId } = delivery();
    const first = r.invoke(event);
    await claimed(r, deliveryId, first);
    const eventsWhenSecondAnswered = r.invoke(event).then((answer) => ({ answer, events: r.events().length }));
    const [a, b] = await Promise.all([first, eventsWhenSecondAnswered]);
    expect(a).toEqual({ status: 200, body: { deliveryId } });
    expect(b).toEqual({ answer: { status: 200, body: { deliveryId, duplicate: true } }, events: 1 });
    expect(r.events()).toHaveLength(1);
  });

  test('arriving while the first is failing takes over once the first released the delivery: exactly one event', async () => {
    const r = await receiver();
    // The first copy: the bus fails (three retried failures, then a refusal), the fallback queue is down: 503, release.
    emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'InternalFailure' }, { times: 3 });
    emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'AccessDeniedException' }, { times: 1 });
    emulator.injectFault('SendMessage', { kind: 'server-error' }, { times: 3 });
    const { event, deliveryId } = delivery();
    const first = r.invoke(event);
    await claimed(r, deliveryId, first);
    const [a, b] = await Promise.all([first, r.invoke(event)]);
    expect(a.status).toBe(503);
    expect(b).toEqual({ status: 200, body: { deliveryId } });
    expect([r.events().length, r.parked().length]).toEqual([1, 0]);
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'published', copies: 1 });
  });
});

describe('a delivery that could not be made durable', () => {
  test('releases its record: 503, then Amani’s retry publishes it (one event)', async () => {
    const r = await receiver();
    emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'AccessDeniedException' }, { times: 1 });
    emulator.injectFault('SendMessage', { kind: 'server-error' }, { times: 3 });
    const { event, deliveryId } = delivery();
    expect((await r.invoke(event)).status).toBe(503);
    expect(await r.record(deliveryId)).toBeUndefined();
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(r.events()).toHaveLength(1);
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'published', copies: 1 });
  });

  test('after a crash between claim and publish, a copy waits for the lease to end and publishes', async () => {
    const r = await receiver();
    const { event, deliveryId } = delivery();
    // What a receiver that died after claiming leaves behind: an in-progress record, lease 600 ms.
    const now = Date.now();
    const crashed = claimRecord(
      {
        deliveryId,
        eventName: 'profile_status_change',
        receivedAt: new Date(now).toISOString(),
        authMode: 'signature',
        tokenGeneration: 'current',
        bodySha256: 'x',
      },
      { claimId: 'crashed', nowMs: now, leaseMs: 600, windowHours: WINDOW_HOURS },
    );
    expect(await r.ledger.claim(crashed, now, 2000)).toEqual({ claimed: true });
    const started = Date.now();
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(r.events()).toHaveLength(1);
  });

  test('a lease longer than the wait: 503 (Amani retries later), the crashed claim is not published over', async () => {
    const r = await receiver();
    const { event, deliveryId } = delivery();
    const now = Date.now();
    const crashed: LedgerRecord = claimRecord(
      {
        deliveryId,
        eventName: 'x',
        receivedAt: new Date(now).toISOString(),
        authMode: 'signature',
        tokenGeneration: 'current',
        bodySha256: 'x',
      },
      { claimId: 'crashed', nowMs: now, leaseMs: 60_000, windowHours: WINDOW_HOURS },
    );
    await r.ledger.claim(crashed, now, 2000);
    // 7 s left: the wait is what remains after the publish, fallback and ledger budgets (about 1.5 s).
    const answer = await r.invoke(event, 7000);
    expect(answer.status).toBe(503);
    expect(r.events()).toHaveLength(0);
    expect(output.logs().find((log) => log.reason === 'copy-in-progress')).toMatchObject({ deliveryId, status: 503 });
  });
});

describe('DynamoDB unavailable: deduplication never costs a delivery', () => {
  test('nobody listening: published, marked dedup "unchecked", counted; every copy is published', async () => {
    const r = await receiver({ dynamodbEndpoint: `http://127.0.0.1:${await closedPort()}` });
    const { event, deliveryId } = delivery();
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(r.events().map((e) => metadataOf(e).dedup)).toEqual(['unchecked', 'unchecked']);
    expect([r.metric('DedupUnchecked'), r.metric('LedgerWriteFailed'), r.metric('DuplicateSuppressed')]).toEqual([2, 2, 0]);
    const log = output.logs().find((line) => line.outcome === 'published')!;
    expect(log).toMatchObject({ dedup: 'unchecked', ledger: 'not-recorded' });
    expect(String(log.dedupError)).toMatch(/^DynamoDB PutItem failed/);
  });

  test('access denied on the claim: published unchecked, and recorded once the store accepts writes again', async () => {
    const r = await receiver();
    dynamo.injectFault('PutItem', { kind: 'access-denied' }, { times: 1 });
    const { event, deliveryId } = delivery();
    expect((await r.invoke(event)).status).toBe(200);
    expect(metadataOf(r.events()[0]!).dedup).toBe('unchecked');
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'published', dedup: 'unchecked', eventId: r.events()[0]!.id });
    // The next copy finds that record: suppressed.
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId, duplicate: true } });
    expect(r.events()).toHaveLength(1);
  });

  test('throttled once: the SDK retries and the claim holds; throttled always: unchecked within the budget', async () => {
    // The SDK waits up to 1 s (its throttling backoff, jittered) before retrying: a budget that covers it.
    const once = await receiver({ env: { DEDUP_BUDGET_MS: '3000' } });
    dynamo.injectFault('PutItem', { kind: 'throttle' }, { times: 1 });
    const a = delivery();
    await once.invoke(a.event);
    expect(metadataOf(once.events()[0]!).dedup).toBeUndefined();
    expect(await once.record(a.deliveryId)).toMatchObject({ outcome: 'published', dedup: 'checked' });

    const always = await receiver({ env: { DEDUP_BUDGET_MS: '400' } });
    dynamo.injectFault('PutItem', { kind: 'throttle' });
    const b = delivery('document_upload');
    const started = Date.now();
    expect((await always.invoke(b.event)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(metadataOf(always.events()[0]!).dedup).toBe('unchecked');
  });

  test('a claim whose answer was lost is retried by the SDK and recognised as its own: published once, recorded', async () => {
    const r = await receiver();
    dynamo.injectFault('PutItem', { kind: 'lost-answer' }, { times: 1 });
    const { event, deliveryId } = delivery();
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(r.events()).toHaveLength(1);
    expect(metadataOf(r.events()[0]!).dedup).toBeUndefined();
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'published', dedup: 'checked', copies: 1 });
  });

  test('a claim that landed but never answered: published unchecked, and the record replaces that claim', async () => {
    const r = await receiver({ env: { DEDUP_BUDGET_MS: '600' } });
    // Every attempt lands and loses its answer: the SDK gives up, the claim is in the table.
    dynamo.injectFault('PutItem', { kind: 'lost-answer' }, { times: 3 });
    const { event, deliveryId } = delivery();
    expect((await r.invoke(event)).status).toBe(200);
    expect(metadataOf(r.events()[0]!).dedup).toBe('unchecked');
    const record = await r.record(deliveryId);
    expect(record).toMatchObject({ outcome: 'published', dedup: 'unchecked' });
    expect(record!.claimId).toBeUndefined();
  });

  test('a store slower than the budget is given up: unchecked, the answer not held hostage', async () => {
    const r = await receiver({ env: { DEDUP_BUDGET_MS: '300' } });
    dynamo.injectFault('PutItem', { kind: 'slow', ms: 2000 });
    const started = Date.now();
    expect((await r.invoke(delivery().event)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(metadataOf(r.events()[0]!).dedup).toBe('unchecked');
  });

  test('the record cannot be settled after publishing: still 200, counted as LedgerWriteFailed', async () => {
    const r = await receiver();
    dynamo.injectFault('UpdateItem', { kind: 'server-error' });
    const { event, deliveryId } = delivery();
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(r.metric('LedgerWriteFailed')).toBe(1);
    expect(await r.record(deliveryId)).toMatchObject({ outcome: 'in-progress' });
  });
});

describe('the deduplication window', () => {
  test('a copy inside the window is suppressed; after it, the delivery is published again', async () => {
    let now = Date.now();
    const r = await receiver({ clock: () => now });
    const { event, deliveryId } = delivery();
    expect((await r.invoke(event)).status).toBe(200);
    now += WINDOW_HOURS * 3600_000 - 60_000;
    expect((await r.invoke(event)).body.duplicate).toBe(true);
    now += 120_000;
    expect(await r.invoke(event)).toEqual({ status: 200, body: { deliveryId } });
    expect(r.events()).toHaveLength(2);
    expect(await r.record(deliveryId)).toMatchObject({ copies: 1, receivedAt: new Date(now).toISOString() });
  });
});

test('the ledger record holds only safe fields: no body, no personal data', async () => {
  const r = await receiver();
  const prepared = prepareDelivery({ payload: samplePayload('profile_update', 3), token: TOKEN, authMode: 'signature' });
  await r.invoke(webhookEvent({ body: prepared.body, headers: prepared.headers, base64: true }));
  const id = (output.logs().find((line) => line.outcome === 'published') as { deliveryId: string }).deliveryId;
  const record = (await r.record(id))!;
  expect(Object.keys(record).sort()).toEqual(
    [
      'authMode',
      'bodySha256',
      'copies',
      'dedup',
      'deliveryId',
      'eventId',
      'eventName',
      'expiresAt',
      'outcome',
      'publishedAt',
      'receivedAt',
      'signatureForm',
      'tokenGeneration',
    ].sort(),
  );
  const payload = samplePayload('profile_update', 3) as { profile: { first_name: string; last_name: string; id_card_number: string } };
  const text = JSON.stringify(record);
  for (const personal of [payload.profile.last_name, payload.profile.id_card_number]) expect(text).not.toContain(personal);
});
