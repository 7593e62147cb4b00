/**
 * Hot path, in process: one delivery through the full receiver handler (middy, API Gateway
 * adaptation, secret cache, signature check, canonical form when needed, validation, mapping,
 * PutEvents through the real SDK client and a no-network request handler) against two
 * baselines measured in the same run, on the same bodies:
 *
 * - floor: HMAC-SHA256 of the body bytes + UTF-8 decode + `JSON.parse` + `JSON.stringify` of
 *   the PutEvents request holding the entry (Detail = the body text). Nothing else can be
 *   skipped by any receiver that authenticates, validates and forwards a body.
 * - naive: a plain receiver (base64-decode the API Gateway body, HMAC of the raw body,
 *   `JSON.parse`, one SDK `PutEvents` with Detail = the body text) through the same kind of
 *   no-network client.
 *
 * Variants run round-robin in small batches, in a freshly shuffled order each round, so that
 * machine noise (other tenants, GC, frequency changes) lands on all of them alike.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { payloadOfSize, prepareDelivery, type WireFormat } from '../local/amani-sender';
import { buildReceiver, createReceiverClients } from '../lambda/receiver/build-receiver';
import { loadReceiverConfig, toReceiverEnvironment, type ReceiverConfig } from '../lambda/receiver/env';
import { webhookEvent } from '../local/api-gateway-events';
import { lambdaContext } from '../local/lambda-context';
import {
  BENCH_TOKEN,
  callsTo,
  cannedAnswers,
  naiveDynamoDbClient,
  naiveEventBridgeClient,
  noNetworkHandler,
  publishedCopyFailure,
  withoutNetwork,
  type NoNetworkHandler,
} from './no-network';
import { seededRandom, shuffled, summarise, type Summary } from './stats';

/** As deployed: with the delivery ledger (its DynamoDB calls answered by the no-network handler). */
export const BENCH_ENVIRONMENT = toReceiverEnvironment({
  tokenSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-webhook-token-AbCdEf',
  eventBusName: 'amani-webhooks-bench',
  fallbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/amani-webhooks-fallback',
  dedupTableName: 'amani-webhooks-bench-deliveries',
});

/** A suppressed copy is timed up to this body size: what it costs does not grow with the body. */
const DUPLICATE_VARIANT_MAX_BYTES = 16 * 1024;

/** The product's defaults, parsed by the product's own loader. */
export function benchReceiverConfig(overrides: Partial<ReceiverConfig> = {}): ReceiverConfig {
  return { ...loadReceiverConfig(BENCH_ENVIRONMENT), ...overrides };
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface SizeCase {
  readonly label: string;
  readonly targetBytes: number;
  /** Body bytes on the wire per variant family. */
  readonly rawBodyBytes: number;
  readonly compactBodyBytes: number;
  readonly results: Partial<Record<VariantName, Summary>>;
}

export type VariantName =
  | 'floor-raw'
  | 'naive-raw'
  | 'naive-raw-ledger'
  | 'full-raw'
  | 'floor-canonical'
  | 'naive-canonical'
  | 'naive-canonical-ledger'
  | 'full-canonical'
  | 'full-raw-logged'
  | 'full-raw-no-dedup'
  | 'full-canonical-no-dedup'
  | 'full-raw-duplicate';

export const VARIANT_LABELS: Record<VariantName, string> = {
  'floor-raw': 'floor',
  'naive-raw': 'naive receiver',
  'naive-raw-ledger': 'naive receiver + the same two ledger calls',
  'full-raw': 'full handler',
  'floor-canonical': 'floor',
  'naive-canonical': 'naive receiver',
  'naive-canonical-ledger': 'naive receiver + the same two ledger calls',
  'full-canonical': 'full handler',
  'full-raw-logged': 'full handler, INFO logs + EMF metrics on (null sink)',
  'full-raw-no-dedup': 'full handler without the delivery ledger (no deduplication)',
  'full-canonical-no-dedup': 'full handler without the delivery ledger (no deduplication)',
  'full-raw-duplicate': 'full handler, a copy of a published delivery (suppressed)',
};

export interface Prepared {
  readonly body: Buffer;
  readonly signature: Buffer;
  readonly event: APIGatewayProxyEvent;
  /** The same body with a signature over its raw bytes (what the naive receiver can check). */
  readonly naiveEvent: APIGatewayProxyEvent;
}

/** An Amani-like payload of about `targetBytes` of compact JSON (payloadOfSize is quadratic: build once). */
export function benchPayload(targetBytes: number): Record<string, unknown> {
  return payloadOfSize('profile_update', targetBytes, 7);
}

export function prepare(payload: Record<string, unknown>, wire: WireFormat): Prepared {
  const delivery = prepareDelivery({ payload, token: BENCH_TOKEN, authMode: 'signature', wire });
  const rawSignature = createHmac('sha256', BENCH_TOKEN).update(delivery.body).digest('base64');
  return {
    body: delivery.body,
    signature: Buffer.from(rawSignature, 'base64'),
    event: webhookEvent({ body: delivery.body, headers: delivery.headers }),
    naiveEvent: webhookEvent({ body: delivery.body, headers: { ...delivery.headers, 'Webhook-Signature': rawSignature } }),
  };
}

const KEY = Buffer.from(BENCH_TOKEN, 'utf8');

/** The floor: what any authenticating, validating forwarder must do at least. */
export function floor(body: Buffer, signature: Buffer, eventBusName: string): string {
  const digest = createHmac('sha256', KEY).update(body).digest();
  if (!timingSafeEqual(digest, signature)) throw new Error('floor: bad signature');
  const text = body.toString('utf8');
  const parsed = JSON.parse(text) as { event?: unknown };
  return JSON.stringify({
    Entries: [
      {
        Source: 'amani',
        DetailType: typeof parsed.event === 'string' ? parsed.event : 'webhook',
        Detail: text,
        EventBusName: eventBusName,
      },
    ],
  });
}

/** What a naive receiver that deduplicates adds: a conditional claim before the publish and the outcome after it. */
export interface NaiveLedger {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/**
 * The naive receiver: HMAC of the raw body, JSON.parse, one PutEvents. With `ledger`, the same
 * I/O as the product's deduplicating receiver: a conditional `PutItem` claiming the body's
 * SHA-256 before the publish and an `UpdateItem` recording the event id after it, through a
 * stock DynamoDB client (what the product's ledger costs beyond its two SDK calls is the difference).
 */
export function naiveReceiver(client: EventBridgeClient, eventBusName: string, ledger?: NaiveLedger): Handler {
  return async (event) => {
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const presented = Buffer.from(event.headers['Webhook-Signature'] ?? '', 'base64');
    const digest = createHmac('sha256', KEY).update(body).digest();
    if (presented.length !== digest.length || !timingSafeEqual(digest, presented))
      return { statusCode: 401, body: '{"message":"Unauthorized"}' };
    const text = body.toString('utf8');
    const payload = JSON.parse(text) as { event?: unknown };
    const detailType = typeof payload.event === 'string' ? payload.event : 'webhook';
    const id = ledger ? createHash('sha256').update(body).digest('hex') : '';
    if (ledger) {
      await ledger.client.send(
        new PutItemCommand({
          TableName: ledger.tableName,
          Item: { id: { S: id }, eventName: { S: detailType }, receivedAt: { S: new Date().toISOString() }, outcome: { S: 'in-progress' } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    }
    const published = await client.send(
      new PutEventsCommand({ Entries: [{ Source: 'amani', DetailType: detailType, Detail: text, EventBusName: eventBusName }] }),
    );
    if (ledger) {
      await ledger.client.send(
        new UpdateItemCommand({
          TableName: ledger.tableName,
          Key: { id: { S: id } },
          UpdateExpression: 'SET outcome = :outcome, eventId = :eventId',
          ExpressionAttributeValues: { ':outcome': { S: 'published' }, ':eventId': { S: published.Entries?.[0]?.EventId ?? '' } },
        }),
      );
    }
    return { statusCode: 200, body: '{"ok":true}' };
  };
}

export interface HotPathOptions {
  readonly sizes: readonly { readonly label: string; readonly bytes: number; readonly samples: number; readonly batch: number }[];
  /** Also time the full handler with INFO logs and metrics on (stdout swapped for a null sink). */
  readonly withLoggedVariant: boolean;
  readonly seed?: number;
}

export interface HotPathResult {
  readonly cases: SizeCase[];
  /** Secrets Manager reads during the whole hot-path run (one cache per receiver built). */
  readonly secretReads: number;
  readonly receiversBuilt: number;
  readonly putEvents: number;
  /** Bytes the logged variant wrote to stdout per delivery (log line + EMF metrics), per size. */
  readonly loggedBytesPerDelivery: Record<string, number>;
  /** The deliveries that were timed, for the breakdown and the cost model. */
  readonly prepared: { readonly label: string; readonly raw: Prepared; readonly compact: Prepared }[];
}

/** stdout swapped for a counting null sink while the logged variant runs. */
const nullSink = { bytes: 0, writes: 0 };
async function withNullStdout<T>(action: () => Promise<T>): Promise<T> {
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    nullSink.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    nullSink.writes++;
    return true;
  }) as typeof process.stdout.write;
  try {
    return await action();
  } finally {
    process.stdout.write = original;
  }
}

export async function runHotPath(options: HotPathOptions): Promise<HotPathResult> {
  const config = benchReceiverConfig();
  const network: NoNetworkHandler = noNetworkHandler({ answers: cannedAnswers() });
  let receiversBuilt = 0;
  // The product's own clients (createReceiverClients: attempts, timeouts, protocol), with the
  // no-network handler swapped in. Logs and metrics: silenced through the environment the
  // product reads (POWERTOOLS_LOG_LEVEL=SILENT, POWERTOOLS_METRICS_DISABLED=true, set by run.ts).
  const build = (): Handler => {
    receiversBuilt++;
    return buildReceiver(config, withoutNetwork(createReceiverClients(), network)) as unknown as Handler;
  };
  const full = build();
  let logged: Handler | undefined;
  if (options.withLoggedVariant) {
    // As deployed: INFO logs and EMF metrics written to stdout, here swapped for a null sink.
    const saved = { level: process.env.POWERTOOLS_LOG_LEVEL, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    logged = build();
    process.env.POWERTOOLS_LOG_LEVEL = saved.level;
    if (saved.disabled !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved.disabled;
  }
  // What deduplication adds: the same receiver without the ledger, and a copy the ledger suppresses.
  const { dedupTableName: _ledger, ...withoutLedger } = config;
  receiversBuilt++;
  const noDedup = buildReceiver(withoutLedger, withoutNetwork(createReceiverClients(), network)) as unknown as Handler;
  const copyNetwork = noNetworkHandler({ answers: cannedAnswers(), failures: publishedCopyFailure() });
  receiversBuilt++;
  const duplicate = buildReceiver(config, withoutNetwork(createReceiverClients(), copyNetwork)) as unknown as Handler;
  const naive = naiveReceiver(naiveEventBridgeClient(network), config.eventBusName);
  const naiveLedger = naiveReceiver(naiveEventBridgeClient(network), config.eventBusName, {
    client: naiveDynamoDbClient(network),
    tableName: config.dedupTableName ?? 'amani-webhooks-bench-deliveries',
  });
  const loggedBytesPerDelivery: Record<string, number> = {};
  // A fresh context per invocation, as Lambda gives (its deadline drives middy's early timeout
  // and the publish budget); creating one costs well under a microsecond.
  const context = () => lambdaContext({ functionName: 'amani-webhooks-receiver-bench', remainingMs: 29_000 });
  const random = seededRandom(options.seed ?? 20261130);
  const cases: SizeCase[] = [];
  const prepared: HotPathResult['prepared'] = [];

  for (const size of options.sizes) {
    const payload = benchPayload(size.bytes);
    const raw = prepare(payload, 'python');
    const compact = prepare(payload, 'compact');
    prepared.push({ label: size.label, raw, compact });
    const variants: Array<{ name: VariantName; once: () => Promise<unknown> | unknown }> = [
      { name: 'floor-raw', once: () => floor(raw.body, raw.signature, config.eventBusName) },
      { name: 'naive-raw', once: () => naive(raw.naiveEvent, context()) },
      { name: 'naive-raw-ledger', once: () => naiveLedger(raw.naiveEvent, context()) },
      { name: 'full-raw', once: () => full(raw.event, context()) },
      { name: 'floor-canonical', once: () => floor(compact.body, compact.signature, config.eventBusName) },
      { name: 'naive-canonical', once: () => naive(compact.naiveEvent, context()) },
      { name: 'naive-canonical-ledger', once: () => naiveLedger(compact.naiveEvent, context()) },
      { name: 'full-canonical', once: () => full(compact.event, context()) },
    ];
    if (logged) {
      const handler = logged;
      variants.push({ name: 'full-raw-logged', once: () => withNullStdout(() => handler(raw.event, context())) });
    }
    variants.push({ name: 'full-raw-no-dedup', once: () => noDedup(raw.event, context()) });
    variants.push({ name: 'full-canonical-no-dedup', once: () => noDedup(compact.event, context()) });
    if (size.bytes <= DUPLICATE_VARIANT_MAX_BYTES) {
      variants.push({ name: 'full-raw-duplicate', once: () => duplicate(raw.event, context()) });
    }

    // Every variant must really succeed on its input before it is timed.
    for (const variant of variants) {
      const answer = (await variant.once()) as APIGatewayProxyResult | string;
      if (typeof answer !== 'string' && answer.statusCode !== 200) {
        throw new Error(`${variant.name} at ${size.label} answered ${answer.statusCode}: ${answer.body}`);
      }
    }
    if (logged) {
      const before = nullSink.bytes;
      await withNullStdout(() => (logged as Handler)(raw.event, context()));
      loggedBytesPerDelivery[size.label] = nullSink.bytes - before;
    }

    // Warm-up (JIT, caches, first allocations), untimed.
    const warmup = Math.max(5, Math.round(size.samples / 10));
    for (let round = 0; round < warmup; round++) for (const variant of variants) await variant.once();

    const samples = new Map<VariantName, number[]>(variants.map((variant) => [variant.name, []]));
    const rounds = Math.ceil(size.samples / size.batch);
    for (let round = 0; round < rounds; round++) {
      for (const variant of shuffled(variants, random)) {
        const bucket = samples.get(variant.name) as number[];
        for (let index = 0; index < size.batch; index++) {
          const started = performance.now();
          await variant.once();
          bucket.push(performance.now() - started);
        }
      }
    }
    const results = Object.fromEntries([...samples].map(([name, values]) => [name, summarise(values)])) as Partial<
      Record<VariantName, Summary>
    >;
    cases.push({
      label: size.label,
      targetBytes: size.bytes,
      rawBodyBytes: raw.body.length,
      compactBodyBytes: compact.body.length,
      results,
    });
  }
  return {
    cases,
    secretReads: callsTo(network, 'GetSecretValue'),
    receiversBuilt,
    putEvents: callsTo(network, 'PutEvents'),
    loggedBytesPerDelivery,
    prepared,
  };
}
