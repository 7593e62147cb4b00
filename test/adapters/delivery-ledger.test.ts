/**
 * The DynamoDB ledger over the wire: the real SDK client against dynalite (a real DynamoDB
 * implementation) behind the local fault layer. Conditions, concurrency, the time index and the
 * failure classification are what is tested, never a mock of the client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { DynamoDbDeliveryLedger, fromItem, toItem } from '../../lambda/adapters/delivery-ledger';
import { claimRecord, type DeliveryFacts, type LedgerRecord } from '../../lambda/core/delivery-ledger';
import { SafeError } from '../../lambda/core/errors';
import { createLedgerTable, startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb';
import { listen } from '../../local/loopback-server';
import { closedPort } from '../helpers/ports';

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const BUDGET = 2000;

function facts(deliveryId: string, receivedAt = new Date(T0).toISOString(), eventName = 'profile_status_change'): DeliveryFacts {
  return {
    deliveryId,
    eventName,
    receivedAt,
    authMode: 'signature',
    signatureForm: 'raw',
    tokenGeneration: 'current',
    bodySha256: 'ab'.repeat(32),
  };
}

const claimOf = (deliveryId: string, claimId: string, nowMs = T0, extra: Partial<DeliveryFacts> = {}) =>
  claimRecord({ ...facts(deliveryId), ...extra }, { claimId, nowMs, leaseMs: 10_000, windowHours: 1 });

function client(endpoint: string, maxAttempts = 1): DynamoDBClient {
  return new DynamoDBClient({
    ...clientOptions({ connectionTimeoutMs: 500, requestTimeoutMs: 1000, maxAttempts }),
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

let dynamo: LocalDynamoDb;
let ledger: DynamoDbDeliveryLedger;
let table = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  dynamo.clearFaults();
  const name = `ledger-${++table}`;
  await createLedgerTable(dynamo.endpoint, name);
  ledger = new DynamoDbDeliveryLedger(client(dynamo.endpoint), name);
});

describe('claim', () => {
  test('the first claim holds the record; a second finds it as the first wrote it', async () => {
    expect(await ledger.claim(claimOf('d-1', 'first'), T0, BUDGET)).toEqual({ claimed: true });
    const second = await ledger.claim(claimOf('d-1', 'second', T0 + 5), T0 + 5, BUDGET);
    expect(second).toEqual({ claimed: false, existing: claimOf('d-1', 'first') });
  });

  test('ten concurrent claims of one delivery: exactly one holds it', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.claim(claimOf('d-race', `c${i}`), T0, BUDGET)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const holder = (await ledger.read('d-race', BUDGET))!.claimId;
    for (const result of results) if (!result.claimed) expect(result.existing?.claimId).toBe(holder);
  });

  test('an in-progress record past its lease is claimed over (a crashed invocation)', async () => {
    await ledger.claim(claimOf('d-2', 'crashed'), T0, BUDGET);
    expect((await ledger.claim(claimOf('d-2', 'early', T0 + 9_999), T0 + 9_999, BUDGET)).claimed).toBe(false);
    expect(await ledger.claim(claimOf('d-2', 'late', T0 + 10_001), T0 + 10_001, BUDGET)).toEqual({ claimed: true });
    expect((await ledger.read('d-2', BUDGET))!.claimId).toBe('late');
  });

  test('a settled record holds until its window ends, then is claimed over (TTL deletion is not waited for)', async () => {
    await ledger.claim(claimOf('d-3', 'first'), T0, BUDGET);
    await ledger.settle('d-3', 'first', { outcome: 'published', publishedAt: new Date(T0).toISOString(), eventId: 'ev-1' }, BUDGET);
    const windowEnd = T0 + 3600 * 1000;
    expect((await ledger.claim(claimOf('d-3', 'inside', windowEnd - 1000), windowEnd - 1000, BUDGET)).claimed).toBe(false);
    expect(await ledger.claim(claimOf('d-3', 'after', windowEnd + 2000), windowEnd + 2000, BUDGET)).toEqual({ claimed: true });
    expect(await ledger.read('d-3', BUDGET)).toMatchObject({ outcome: 'in-progress', copies: 1, claimId: 'after' });
  });
});

describe('settle, release, copies', () => {
  test('settle records the outcome and event id and drops the claim', async () => {
    await ledger.claim(claimOf('d-4', 'mine'), T0, BUDGET);
    await ledger.settle('d-4', 'mine', { outcome: 'published', publishedAt: '2026-11-30T10:00:00.050Z', eventId: 'ev-4' }, BUDGET);
    const record = await ledger.read('d-4', BUDGET);
    expect(record).toMatchObject({ outcome: 'published', eventId: 'ev-4', publishedAt: '2026-11-30T10:00:00.050Z', copies: 1 });
    expect(record!.claimId).toBeUndefined();
    expect(record!.claimExpiresAt).toBeUndefined();
  });

  test('settle by a claim that no longer holds the record is refused (SafeError, client)', async () => {
    await ledger.claim(claimOf('d-5', 'old'), T0, BUDGET);
    await ledger.claim(claimOf('d-5', 'new', T0 + 20_000), T0 + 20_000, BUDGET);
    const refused = await ledger.settle('d-5', 'old', { outcome: 'parked', publishedAt: 'x' }, BUDGET).catch((e: unknown) => e);
    expect(SafeError.is(refused) && refused.failure).toBe('client');
    expect((await ledger.read('d-5', BUDGET))!.outcome).toBe('in-progress');
  });

  test('release deletes only its own claim', async () => {
    await ledger.claim(claimOf('d-6', 'mine'), T0, BUDGET);
    await ledger.release('d-6', 'someone-else', BUDGET);
    expect(await ledger.read('d-6', BUDGET)).toBeDefined();
    await ledger.release('d-6', 'mine', BUDGET);
    expect(await ledger.read('d-6', BUDGET)).toBeUndefined();
    await ledger.release('d-6', 'mine', BUDGET); // already gone: nothing to do
  });

  test('countCopy adds a copy to an existing record and creates none', async () => {
    await ledger.claim(claimOf('d-7', 'mine'), T0, BUDGET);
    await ledger.countCopy('d-7', '2026-11-30T10:01:00.000Z', BUDGET);
    await ledger.countCopy('d-7', '2026-11-30T10:02:00.000Z', BUDGET);
    expect(await ledger.read('d-7', BUDGET)).toMatchObject({ copies: 3, lastCopyAt: '2026-11-30T10:02:00.000Z' });
    await ledger.countCopy('absent', '2026-11-30T10:02:00.000Z', BUDGET);
    expect(await ledger.read('absent', BUDGET)).toBeUndefined();
  });

  test('recordUnchecked writes over its own claim or nothing, never over another live record', async () => {
    const unchecked = (id: string, claimId: string): LedgerRecord => ({
      ...claimOf(id, claimId),
      outcome: 'published',
      dedup: 'unchecked',
      eventId: 'ev-u',
      claimExpiresAt: undefined,
    });
    await ledger.recordUnchecked(unchecked('d-8', 'u'), T0, BUDGET);
    expect(await ledger.read('d-8', BUDGET)).toMatchObject({ outcome: 'published', dedup: 'unchecked', eventId: 'ev-u' });

    await ledger.claim(claimOf('d-9', 'ambiguous'), T0, BUDGET); // the claim landed, its answer was lost
    await ledger.recordUnchecked(unchecked('d-9', 'ambiguous'), T0, BUDGET);
    expect(await ledger.read('d-9', BUDGET)).toMatchObject({ dedup: 'unchecked', outcome: 'published' });

    await ledger.claim(claimOf('d-10', 'other-copy'), T0, BUDGET);
    await ledger.recordUnchecked(unchecked('d-10', 'mine'), T0, BUDGET);
    expect(await ledger.read('d-10', BUDGET)).toMatchObject({ claimId: 'other-copy', dedup: 'checked' });
  });
});

describe('list: newest first over the time index, never a scan', () => {
  test('across UTC days, filtered by event and outcome, bounded by limit', async () => {
    const at = (iso: string, id: string, eventName = 'profile_status_change') =>
      claimRecord(facts(id, iso, eventName), { claimId: id, nowMs: Date.parse(iso), leaseMs: 10_000, windowHours: 48 });
    const rows = [
      at('2026-11-29T23:59:00.000Z', 'yesterday'),
      at('2026-11-30T00:01:00.000Z', 'midnight', 'document_upload'),
      at('2026-11-30T09:00:00.000Z', 'morning'),
      at('2026-11-30T11:00:00.000Z', 'late'),
    ];
    for (const row of rows) await ledger.claim(row, Date.parse(row.receivedAt), BUDGET);
    await ledger.settle('morning', 'morning', { outcome: 'parked', publishedAt: '2026-11-30T09:00:01.000Z' }, BUDGET);
    await ledger.countCopy('midnight', '2026-11-30T00:02:00.000Z', BUDGET);

    const since = new Date('2026-11-29T12:00:00.000Z');
    const until = new Date('2026-11-30T10:00:00.000Z');
    const ids = async (query: Partial<Parameters<DynamoDbDeliveryLedger['list']>[0]> = {}) =>
      (await ledger.list({ since, until, limit: 100, ...query }, BUDGET)).map((r) => r.deliveryId);
    expect(await ids()).toEqual(['morning', 'midnight', 'yesterday']);
    expect(await ids({ limit: 2 })).toEqual(['morning', 'midnight']);
    expect(await ids({ eventName: 'document_upload' })).toEqual(['midnight']);
    expect(await ids({ filter: 'parked' })).toEqual(['morning']);
    expect(await ids({ filter: 'duplicate' })).toEqual(['midnight']);
    expect(await ids({ filter: 'in-progress' })).toEqual(['midnight', 'yesterday']);
    expect(await ids({ since: new Date('2026-11-30T00:00:00.000Z') })).toEqual(['morning', 'midnight']);
    expect(dynamo.calls.Scan).toBeUndefined();
  });
});

describe('failures are SafeErrors, classified, bounded by the budget', () => {
  test('throttling, server errors and access denied', async () => {
    dynamo.injectFault('PutItem', { kind: 'throttle' }, { times: 1 });
    dynamo.injectFault('GetItem', { kind: 'server-error' }, { times: 1 });
    dynamo.injectFault('UpdateItem', { kind: 'access-denied' }, { times: 1 });
    const failures = await Promise.all([
      ledger.claim(claimOf('f-1', 'x'), T0, BUDGET).catch((e: unknown) => e),
      ledger.read('f-1', BUDGET).catch((e: unknown) => e),
      ledger.countCopy('f-1', 'x', BUDGET).catch((e: unknown) => e),
    ]);
    expect(failures.map((e) => (SafeError.is(e) ? [e.failure, e.message] : e))).toEqual([
      ['throttled', 'DynamoDB PutItem failed: ThrottlingException HTTP 400'],
      ['transient', 'DynamoDB GetItem failed: InternalServerError HTTP 500'],
      ['client', 'DynamoDB UpdateItem failed: AccessDeniedException HTTP 400'],
    ]);
  });

  test('a slow store is given up at the budget; a store nobody listens on fails the call', async () => {
    dynamo.injectFault('GetItem', { kind: 'slow', ms: 1500 }, { times: 1 });
    const started = Date.now();
    const slow = await ledger.read('f-2', 300).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(SafeError.is(slow) && slow.failure).toBe('transient');
    const down = new DynamoDbDeliveryLedger(client(`http://127.0.0.1:${await closedPort()}`), 'any');
    const refused = await down.claim(claimOf('f-3', 'x'), T0, BUDGET).catch((e: unknown) => e);
    expect(SafeError.is(refused) && refused.message).toMatch(/^DynamoDB PutItem failed: /);
    expect((refused as Error).message).not.toContain('127.0.0.1');
  });

  test('the existing item of a refused claim is taken from the refusal when the store returns it (ALL_OLD)', async () => {
    const existing = claimOf('d-old', 'first');
    const stub = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const body = JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
          message: 'The conditional request failed',
          Item: toItem(existing),
        });
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      });
    });
    const { port } = await listen(stub, 0, '127.0.0.1');
    try {
      const viaStub = new DynamoDbDeliveryLedger(client(`http://127.0.0.1:${port}`), 'any');
      expect(await viaStub.claim(claimOf('d-old', 'second'), T0, BUDGET)).toEqual({ claimed: false, existing });
    } finally {
      await new Promise<void>((resolve) => stub.close(() => resolve()));
    }
  });
});

test('items round-trip, holding only the record fields and the day partition', () => {
  const record: LedgerRecord = { ...claimOf('r-1', 'c'), eventId: 'ev', publishedAt: 'p', lastCopyAt: 'l', copies: 4 };
  const item = toItem(record);
  expect(Object.keys(item).sort()).toEqual([...Object.keys(record), 'day'].sort());
  expect(item.day).toEqual({ S: '2026-11-30' });
  expect(fromItem(item)).toEqual(record);
});
