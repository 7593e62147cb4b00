import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA, type LedgerFilter, type LedgerRecord, ledgerDay, ledgerDaysBetween, matchesFilter } from '../core/delivery-ledger';
import { SafeError } from '../core/errors';
import type { ClaimResult, DeliveryLedger, Settlement } from '../core/ports';
import { classifyAwsError, describeAwsError, isAwsError, sendWithin, withCallDeadlines } from './aws-clients';

/** The port this store implements, for its callers. */
export type { DeliveryLedger } from '../core/ports';

type Item = Record<string, AttributeValue>;

/** Attribute names used in expressions (several are DynamoDB reserved words). */
const NAMES = {
  '#id': LEDGER_SCHEMA.partitionKey,
  '#expiresAt': LEDGER_SCHEMA.ttlAttribute,
  '#outcome': 'outcome',
  '#lease': 'claimExpiresAt',
  '#claim': 'claimId',
} as const;

/** A claim succeeds over no record, one past its window, or one in progress past its lease. */
const CLAIMABLE = 'attribute_not_exists(#id) OR #expiresAt < :nowSeconds OR (#outcome = :inProgress AND #lease < :nowMs)';

/** What `list` is asked for. */
export interface LedgerQuery {
  readonly since: Date;
  readonly until?: Date;
  readonly eventName?: string;
  readonly filter?: LedgerFilter;
  readonly limit: number;
}

/**
 * The delivery ledger on DynamoDB (docs/architecture.md, "Exactly-once ingest"): one item per
 * delivery id, written with condition expressions so that concurrent copies never both claim
 * it, and a global index by UTC day and receipt time for listing. Each call is bounded by its
 * budget (`sendWithin`: over the SDK's own attempts); a failure is a SafeError naming the
 * operation and the AWS error, classified.
 */
export class DynamoDbDeliveryLedger implements DeliveryLedger {
  private readonly client: DynamoDBClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.client = withCallDeadlines(client);
  }

  async claim(record: LedgerRecord, nowMs: number, budgetMs: number): Promise<ClaimResult> {
    const written = await this.conditional(
      'PutItem',
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem(record),
        ConditionExpression: CLAIMABLE,
        ExpressionAttributeNames: pick('#id', '#expiresAt', '#outcome', '#lease'),
        ExpressionAttributeValues: claimableValues(nowMs),
        // The existing item comes back with the refusal: no second read in the common case.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      budgetMs,
    );
    if (written.ok) return { claimed: true };
    return { claimed: false, existing: written.item ? fromItem(written.item) : await this.read(record.deliveryId, budgetMs) };
  }

  async read(deliveryId: string, budgetMs: number): Promise<LedgerRecord | undefined> {
    const answer = await this.call<GetItemCommandOutput>(
      'GetItem',
      new GetItemCommand({ TableName: this.tableName, Key: key(deliveryId), ConsistentRead: true }),
      budgetMs,
    );
    return answer.Item ? fromItem(answer.Item) : undefined;
  }

  async settle(deliveryId: string, claimId: string, settlement: Settlement, budgetMs: number): Promise<void> {
    const written = await this.conditional(
      'UpdateItem',
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: key(deliveryId),
        UpdateExpression: `SET #outcome = :outcome, publishedAt = :publishedAt${settlement.eventId ? ', eventId = :eventId' : ''} REMOVE #claim, #lease`,
        ConditionExpression: '#claim = :claimId',
        ExpressionAttributeNames: pick('#outcome', '#claim', '#lease'),
        ExpressionAttributeValues: {
          ':outcome': { S: settlement.outcome },
          ':publishedAt': { S: settlement.publishedAt },
          ':claimId': { S: claimId },
          ...(settlement.eventId ? { ':eventId': { S: settlement.eventId } } : {}),
        },
      }),
      budgetMs,
    );
    if (!written.ok) throw new SafeError('DynamoDB UpdateItem: the claim no longer holds the delivery record', { failure: 'client' });
  }

  async release(deliveryId: string, claimId: string, budgetMs: number): Promise<void> {
    // Refused: another claim holds it now, it is no longer ours to release.
    await this.conditional(
      'DeleteItem',
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: key(deliveryId),
        ConditionExpression: '#claim = :claimId',
        ExpressionAttributeNames: pick('#claim'),
        ExpressionAttributeValues: { ':claimId': { S: claimId } },
      }),
      budgetMs,
    );
  }

  async countCopy(deliveryId: string, at: string, budgetMs: number): Promise<void> {
    // Refused: gone meanwhile (past its window), nothing to count on.
    await this.conditional(
      'UpdateItem',
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: key(deliveryId),
        UpdateExpression: 'ADD copies :one SET lastCopyAt = :at',
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: pick('#id'),
        ExpressionAttributeValues: { ':one': { N: '1' }, ':at': { S: at } },
      }),
      budgetMs,
    );
  }

  async recordUnchecked(record: LedgerRecord, nowMs: number, budgetMs: number): Promise<void> {
    // Refused: another copy made a record meanwhile; it stands (this copy was a duplicate on the bus).
    await this.conditional(
      'PutItem',
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem({ ...record, claimId: undefined, claimExpiresAt: undefined }),
        ConditionExpression: `${CLAIMABLE} OR #claim = :claimId`,
        ExpressionAttributeNames: pick('#id', '#expiresAt', '#outcome', '#lease', '#claim'),
        ExpressionAttributeValues: { ...claimableValues(nowMs), ':claimId': { S: record.claimId ?? '' } },
      }),
      budgetMs,
    );
  }

  /**
   * Deliveries received in [since, until], newest first, at most `limit`: one query per UTC day
   * on the time index (never a scan), which holds the keys and the event name only (so that
   * settling a delivery writes no index entry), then the records themselves, 100 per
   * BatchGetItem. The event filter is applied by the query, the outcome filter to the records.
   */
  async list(query: LedgerQuery, budgetMs: number): Promise<LedgerRecord[]> {
    const until = query.until ?? new Date();
    const found: LedgerRecord[] = [];
    for (const day of ledgerDaysBetween(query.since, until)) {
      let startKey: Item | undefined;
      do {
        const answer: QueryCommandOutput = await this.call<QueryCommandOutput>(
          'Query',
          new QueryCommand({
            TableName: this.tableName,
            IndexName: LEDGER_SCHEMA.timeIndex,
            KeyConditionExpression: '#day = :day AND #at BETWEEN :since AND :until',
            ExpressionAttributeNames: {
              '#day': LEDGER_SCHEMA.timeIndexPartitionKey,
              '#at': LEDGER_SCHEMA.timeIndexSortKey,
              ...(query.eventName ? { '#event': 'eventName' } : {}),
            },
            ExpressionAttributeValues: {
              ':day': { S: day },
              ':since': { S: query.since.toISOString() },
              ':until': { S: until.toISOString() },
              ...(query.eventName ? { ':event': { S: query.eventName } } : {}),
            },
            ...(query.eventName ? { FilterExpression: '#event = :event' } : {}),
            ScanIndexForward: false,
            ExclusiveStartKey: startKey,
          }),
          budgetMs,
        );
        const ids = (answer.Items ?? []).map((item) => item[LEDGER_SCHEMA.partitionKey]?.S ?? '');
        const records = await this.readMany(ids, budgetMs);
        for (const id of ids) {
          const record = records.get(id);
          if (!record || (query.filter && !matchesFilter(record, query.filter))) continue;
          found.push(record);
          if (found.length >= query.limit) return found;
        }
        startKey = answer.LastEvaluatedKey;
      } while (startKey);
    }
    return found;
  }

  /** The records of `ids` (those that still exist), by id; BatchGetItem in chunks of 100, unprocessed keys asked again. */
  private async readMany(ids: readonly string[], budgetMs: number): Promise<Map<string, LedgerRecord>> {
    const records = new Map<string, LedgerRecord>();
    for (let start = 0; start < ids.length; start += 100) {
      let keys: Item[] | undefined = ids.slice(start, start + 100).map(key);
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const answer: BatchGetItemCommandOutput = await this.call<BatchGetItemCommandOutput>(
          'BatchGetItem',
          new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
          budgetMs,
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) {
          const record = fromItem(item);
          records.set(record.deliveryId, record);
        }
        keys = answer.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return records;
  }

  /** A conditional write: refused (its condition false) is an answer, with the existing item when DynamoDB returned it. */
  private async conditional(
    operation: string,
    command: { readonly input: object },
    budgetMs: number,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly item?: Item }> {
    try {
      await this.call(operation, command, budgetMs);
      return { ok: true };
    } catch (error) {
      if (!SafeError.is(error) || !isAwsError(error.unloggedCause(), 'ConditionalCheckFailedException')) throw error;
      const item = (error.unloggedCause() as { Item?: Item }).Item;
      return item ? { ok: false, item } : { ok: false };
    }
  }

  private async call<Output = unknown>(operation: string, command: { readonly input: object }, budgetMs: number): Promise<Output> {
    if (budgetMs <= 0) throw new SafeError(`DynamoDB ${operation}: no time left`, { failure: 'transient' });
    try {
      return (await sendWithin(command, budgetMs, (bounded) => this.client.send(bounded as never))) as Output;
    } catch (error) {
      throw new SafeError(`DynamoDB ${operation} failed: ${describeAwsError(error)}`, { failure: classifyAwsError(error), cause: error });
    }
  }
}

/** The values of the CLAIMABLE condition at `nowMs`. */
function claimableValues(nowMs: number): Record<string, AttributeValue> {
  return { ':nowSeconds': { N: String(Math.floor(nowMs / 1000)) }, ':nowMs': { N: String(nowMs) }, ':inProgress': { S: 'in-progress' } };
}

function pick(...names: (keyof typeof NAMES)[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, NAMES[name]]));
}

function key(deliveryId: string): Item {
  return { [LEDGER_SCHEMA.partitionKey]: { S: deliveryId } };
}

/** The item of a record: its fields, plus the time index's partition (the UTC day). */
export function toItem(record: LedgerRecord): Item {
  const item: Item = { [LEDGER_SCHEMA.timeIndexPartitionKey]: { S: ledgerDay(record.receivedAt) } };
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    item[name] = typeof value === 'number' ? { N: String(value) } : { S: String(value) };
  }
  return item;
}

/** The record an item holds (unknown attributes ignored). */
export function fromItem(item: Item): LedgerRecord {
  const s = (name: string) => item[name]?.S;
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const record = {
    deliveryId: s('deliveryId') ?? '',
    eventName: s('eventName') ?? '',
    receivedAt: s('receivedAt') ?? '',
    outcome: (s('outcome') ?? 'in-progress') as LedgerRecord['outcome'],
    publishedAt: s('publishedAt'),
    eventId: s('eventId'),
    authMode: (s('authMode') ?? 'signature') as LedgerRecord['authMode'],
    signatureForm: s('signatureForm') as LedgerRecord['signatureForm'],
    tokenGeneration: (s('tokenGeneration') ?? 'current') as LedgerRecord['tokenGeneration'],
    bodySha256: s('bodySha256') ?? '',
    copies: n('copies') ?? 1,
    lastCopyAt: s('lastCopyAt'),
    dedup: s('dedup') === 'unchecked' ? 'unchecked' : 'checked',
    expiresAt: n('expiresAt') ?? 0,
    claimId: s('claimId'),
    claimExpiresAt: n('claimExpiresAt'),
  } as const;
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as LedgerRecord;
}
