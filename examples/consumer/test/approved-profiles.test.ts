/**
 * The consumer's handler on sample events, with Powertools idempotency persisting to a real
 * DynamoDB API implementation (dynalite on 127.0.0.1) through the real SDK v3 client: each
 * delivery is handled once, whether its duplicate comes later (an Amani retry, a redrive) or at
 * the same time; a failed attempt is handled again on retry; a malformed event is refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { approvedProfilesHandler, type ApprovedEvent } from '../src/approved-profiles';

const sample = (name: string) => JSON.parse(readFileSync(join(__dirname, 'events', `${name}.json`), 'utf8')) as ApprovedEvent;
const context = (requestId: string) =>
  ({ awsRequestId: requestId, functionName: 'approved-profiles', getRemainingTimeInMillis: () => 30_000 }) as unknown as Context;

let server: ReturnType<typeof dynalite>;
let client: DynamoDBClient;
let table = 0;
let activated: string[];
let handler: ReturnType<typeof approvedProfilesHandler>;
let failNext: boolean;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

beforeEach(async () => {
  const tableName = `idempotency-${++table}`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  activated = [];
  failNext = false;
  handler = approvedProfilesHandler({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
    eventSource: 'amani',
    logger: new Logger({ serviceName: 'approved-profiles-test', logLevel: 'SILENT' }),
    activate: async (profileId) => {
      await new Promise((r) => setTimeout(r, 20));
      if (failNext) {
        failNext = false;
        throw new Error('downstream unavailable');
      }
      activated.push(profileId);
    },
  });
});

describe('the approved-profiles consumer', () => {
  it('activates the profile of an approval, in either status spelling', async () => {
    expect(await handler(sample('profile-approved'), context('r1'))).toMatchObject({ outcome: 'activated' });
    expect(await handler(sample('profile-approved-title-case'), context('r2'))).toMatchObject({ outcome: 'activated' });
    expect(activated).toEqual(['8d1f0c2e-5b7a-4c39-9e1d-2f6a7b8c9d01', '8d1f0c2e-5b7a-4c39-9e1d-2f6a7b8c9d02']);
  });

  it('handles a duplicate delivery once: a redrive or replay republishes it with a new EventBridge id, same deliveryId', async () => {
    const first = sample('profile-approved');
    const again = { ...first, id: 'a-new-eventbridge-id', time: '2026-11-30T11:00:00Z' };
    const answers = [await handler(first, context('r1')), await handler(again, context('r2'))];
    expect(activated).toHaveLength(1);
    expect(answers[1]).toEqual(answers[0]);
  });

  it('handles concurrent copies once: the one that loses the race fails, so Lambda retries it later and it finds the result', async () => {
    const event = sample('profile-approved');
    const settled = await Promise.allSettled([handler(event, context('r1')), handler(event, context('r2'))]);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect((settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason.name).toBe('IdempotencyAlreadyInProgressError');
    expect(activated).toHaveLength(1);
    expect(await handler(event, context('r3'))).toMatchObject({ outcome: 'activated' });
    expect(activated).toHaveLength(1);
  });

  it('a failed attempt releases the delivery, so the retry does the work', async () => {
    failNext = true;
    await expect(handler(sample('profile-approved'), context('r1'))).rejects.toThrow('downstream unavailable');
    expect(activated).toEqual([]);
    expect(await handler(sample('profile-approved'), context('r2'))).toMatchObject({ outcome: 'activated' });
    expect(activated).toHaveLength(1);
  });

  it('ignores what is not an approval, and refuses what is not an amani-webhooks event without echoing its data', async () => {
    expect(await handler(sample('profile-rejected'), context('r1'))).toMatchObject({ outcome: 'ignored' });
    const broken = sample('profile-approved') as unknown as { detail: { metadata: Record<string, unknown> } };
    broken.detail.metadata.tokenGeneration = 'Ada Example';
    await expect(handler(broken, context('r2'))).rejects.toThrow(/detail\.metadata\.tokenGeneration/);
    await expect(handler(broken, context('r3'))).rejects.not.toThrow(/Ada/);
    await expect(handler({ ...sample('profile-approved'), 'detail-type': 'document_upload' }, context('r4'))).rejects.toThrow(
      /not one of the events handled here/,
    );
    expect(activated).toEqual([]);
  });
});
