/**
 * A request handler for the real AWS SDK v3 clients that never opens a socket: every request
 * still goes through the client's whole middleware stack (endpoint resolution, JSON
 * serialisation, SigV4 signing of the payload hash, retries, response deserialisation), and
 * the "network" answers a canned AWS JSON-protocol response (Secrets Manager, EventBridge, SQS,
 * DynamoDB). Counts calls per operation, so Secrets Manager calls are counted at the client.
 */
import { HttpResponse } from '@smithy/core/transport';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toItem } from '../lambda/adapters/delivery-ledger';
import { claimRecord } from '../lambda/core/delivery-ledger';

/** What a canned answer sees of the request. */
interface CannedRequest {
  readonly headers: Record<string, string>;
}

export interface NoNetworkHandler {
  /** Requests seen per X-Amz-Target operation (e.g. `secretsmanager.GetSecretValue`). */
  readonly calls: Map<string, number>;
  readonly metadata: { readonly handlerProtocol: string };
  handle(request: CannedRequest): Promise<{ response: HttpResponse }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

export interface NoNetworkOptions {
  /** Canned response body per operation name (the part of X-Amz-Target after the dot). */
  readonly answers: Record<string, string>;
  /** Canned error answers per operation name, in place of `answers` (e.g. a refused conditional write). */
  readonly failures?: Record<string, { readonly status: number; readonly body: string }>;
  /** Simulated round trip per operation name; absent answers on the next microtask. */
  readonly latencyMs?: Record<string, number>;
}

export function noNetworkHandler(options: NoNetworkOptions): NoNetworkHandler {
  const answers = new Map(Object.entries(options.answers).map(([operation, body]) => [operation, Buffer.from(body, 'utf8')]));
  const latencyMs = new Map(Object.entries(options.latencyMs ?? {}));
  const handler: NoNetworkHandler = {
    calls: new Map(),
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request) {
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '';
      handler.calls.set(target, (handler.calls.get(target) ?? 0) + 1);
      const operation = target.slice(target.indexOf('.') + 1);
      const body = answers.get(operation);
      const delay = latencyMs.get(operation) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const failure = options.failures?.[operation];
      if (failure) {
        const error = Buffer.from(failure.body, 'utf8');
        return {
          response: new HttpResponse({
            statusCode: failure.status,
            headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(error.length) },
            body: error,
          }),
        };
      }
      if (body === undefined) {
        const error = Buffer.from(JSON.stringify({ __type: 'UnknownOperationException', message: `no canned answer for ${target}` }));
        return { response: new HttpResponse({ statusCode: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: error }) };
      }
      return {
        response: new HttpResponse({
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(body.length), 'x-amzn-requestid': 'bench' },
          body,
        }),
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return handler;
}

export function callsTo(handler: NoNetworkHandler, operation: string): number {
  let total = 0;
  for (const [target, count] of handler.calls) if (target.endsWith(`.${operation}`)) total += count;
  return total;
}

export const BENCH_TOKEN = 'bench-current-token-0123456789abcdef';

export function cannedAnswers(secret: Record<string, unknown> = { token: BENCH_TOKEN }): Record<string, string> {
  return {
    GetSecretValue: JSON.stringify({
      ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-webhook-token-AbCdEf',
      Name: 'amani-webhook-token',
      VersionId: '00000000-0000-4000-8000-000000000001',
      SecretString: JSON.stringify(secret),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_764_460_800,
    }),
    PutEvents: JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: '11111111-2222-3333-4444-555555555555' }] }),
    SendMessage: JSON.stringify({ MessageId: 'bench-message', MD5OfMessageBody: '00000000000000000000000000000000' }),
    // The delivery ledger (DynamoDB): a claim that holds, a settle, a read, a release.
    PutItem: '{}',
    UpdateItem: '{}',
    GetItem: '{}',
    DeleteItem: '{}',
  };
}

/**
 * The ledger's refusal of a claim because a copy was already published: DynamoDB's
 * ConditionalCheckFailedException with the existing item (ReturnValuesOnConditionCheckFailure).
 */
export function publishedCopyFailure(): Record<string, { status: number; body: string }> {
  const now = Date.now();
  const item = toItem({
    ...claimRecord(
      {
        deliveryId: 'bench-delivery',
        eventName: 'profile_update',
        receivedAt: new Date(now).toISOString(),
        authMode: 'signature',
        signatureForm: 'raw',
        tokenGeneration: 'current',
        bodySha256: '0'.repeat(64),
      },
      { claimId: 'first', nowMs: now, leaseMs: 15_000, windowHours: 168 },
    ),
    claimId: undefined,
    claimExpiresAt: undefined,
    outcome: 'published',
    publishedAt: new Date(now).toISOString(),
    eventId: '11111111-2222-3333-4444-555555555555',
  });
  return {
    PutItem: {
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: item,
      }),
    },
  };
}

/**
 * Puts the no-network handler into clients built by the product itself (so their options -
 * attempts, timeouts, protocol settings, the cached middleware stack - are exactly the
 * product's). Before the clients' first send, and before the adapters are built around them: a
 * client keeps the transport its cached stack was built with, and the adapters wrap this one in
 * the product's deadline transport (`withCallDeadlines`) as they would the real one.
 */
export function withoutNetwork<T extends object>(clients: T, handler: NoNetworkHandler): T {
  const swapped: Record<string, unknown> = {};
  for (const [name, client] of Object.entries(clients)) {
    if (typeof client === 'function') {
      // A client made on first use (lazyClient): swapped when it is made.
      const make = client as () => Promise<{ config: { requestHandler: unknown } }>;
      swapped[name] = async () => {
        const made = await make();
        made.config.requestHandler = handler;
        return made;
      };
    } else {
      (client as { config: { requestHandler: unknown } }).config.requestHandler = handler;
    }
  }
  return Object.assign(clients, swapped);
}

/** Counts commands by name at the client (initialize step: once per `send`, before any retry). */
export function countCommands(client: { middlewareStack: { add: (...args: never[]) => void } }): Map<string, number> {
  const counts = new Map<string, number>();
  const add = client.middlewareStack.add as unknown as (
    middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ) => void;
  add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCommandCounter' },
  );
  return counts;
}

/** A plain EventBridge client for the naive receiver: one attempt, like the product's. */
export function naiveEventBridgeClient(handler: NoNetworkHandler): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 1, requestHandler: handler });
}

/** A plain DynamoDB client for the naive receiver's ledger calls: one attempt, like the product's. */
export function naiveDynamoDbClient(handler: NoNetworkHandler): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 1, requestHandler: handler });
}
