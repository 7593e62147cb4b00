/**
 * DynamoDB on 127.0.0.1 for the local mode and the tests: dynalite (a real implementation of the
 * DynamoDB API on LevelDB, from npm) behind a thin loopback proxy that can inject faults per
 * operation, the way the AWS emulator does for the other services (throttling, 500s, slow
 * answers, connection resets, answers lost after the call took effect, access denied). The
 * product reaches it through its real SDK client (`AWS_ENDPOINT_URL_DYNAMODB`).
 *
 * State lives in memory, or in LevelDB files under `dataDir` (the local mode's `.local/dynamodb`).
 */
import { mkdirSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { LEDGER_SCHEMA } from '../lambda/core/delivery-ledger';
import type { Fault } from './aws-emulator';
import { listen, ScheduledFaults, type FaultSchedule } from './loopback-server';

export type DynamoDbOperation =
  | 'PutItem'
  | 'GetItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'BatchGetItem'
  | 'CreateTable'
  | 'DescribeTable';

/** The emulator's faults that apply to any AWS call (all but PutEvents' partial failure). */
export type DynamoDbFault = Exclude<Fault, { readonly kind: 'partial' }>;

export interface LocalDynamoDb {
  /** Where the product's SDK client is pointed (the fault layer). */
  readonly endpoint: string;
  /** Every call of `operation` gets `fault` (by default from now on; see `FaultSchedule`). */
  injectFault(operation: DynamoDbOperation, fault: DynamoDbFault, schedule?: FaultSchedule): void;
  /** Consulted for every call before the scheduled faults (the local mode's `--fault dynamodb-down`). */
  setCallHook(hook: ((operation: string) => DynamoDbFault | undefined) | undefined): void;
  clearFaults(): void;
  /** Calls received per operation (faulted ones included). */
  readonly calls: Record<string, number>;
  close(): Promise<void>;
}

export interface LocalDynamoDbOptions {
  readonly port?: number;
  /** LevelDB files here (state survives restarts); in memory when unset. */
  readonly dataDir?: string;
}

export async function startLocalDynamoDb(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const backend: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: join(options.dataDir) } : {}),
  });
  const backendAddress = await listen(backend, 0, '127.0.0.1');
  const faults = new ScheduledFaults<string, DynamoDbFault>(Number.POSITIVE_INFINITY);
  const calls: Record<string, number> = {};
  let hook: ((operation: string) => DynamoDbFault | undefined) | undefined;

  const proxy = createServer((incoming, outgoing) => {
    const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    calls[operation] = (calls[operation] ?? 0) + 1;
    const fault = hook?.(operation) ?? faults.take(operation);
    void forward(incoming, outgoing, backendAddress.port, fault);
  });
  proxy.keepAliveTimeout = 1000;
  const { port } = await listen(proxy, options.port ?? 0, '127.0.0.1');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injectFault: (operation, fault, schedule) => faults.add(operation, fault, schedule),
    setCallHook: (next) => {
      hook = next;
    },
    clearFaults: () => faults.clear(),
    calls,
    close: async () => {
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      });
      await new Promise<void>((resolve) => {
        backend.close(() => resolve());
        backend.closeAllConnections();
      });
    },
  };
}

/** DynamoDB's error answer: JSON 1.0 with `__type`. */
function answerError(outgoing: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  outgoing.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
  outgoing.end(body);
}

async function forward(incoming: IncomingMessage, outgoing: ServerResponse, backendPort: number, fault: DynamoDbFault | undefined) {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  if (fault?.kind === 'reset') return void incoming.socket.destroy();
  if (fault?.kind === 'throttle')
    return answerError(outgoing, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
  if (fault?.kind === 'server-error') return answerError(outgoing, 500, 'InternalServerError', 'Internal server error');
  if (fault?.kind === 'access-denied')
    return answerError(outgoing, 400, 'AccessDeniedException', 'User is not authorized to perform this action');
  // A slow answer must not keep a process alive that is done with this stand-in.
  if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
  const upstream = httpRequest(
    { host: '127.0.0.1', port: backendPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
    (answer) => {
      const body: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => body.push(chunk));
      answer.on('end', () => {
        if (fault?.kind === 'lost-answer' || outgoing.destroyed) return void incoming.socket.destroy();
        outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
        outgoing.end(Buffer.concat(body));
      });
    },
  );
  upstream.on('error', () => incoming.socket.destroy());
  upstream.end(Buffer.concat(chunks));
}

/**
 * Creates the delivery ledger table as the stack defines it (key, time index), unless it exists.
 * TTL is not set: dynalite has no UpdateTimeToLive, and the protocol never relies on TTL's
 * deletion (a record past its window counts as absent).
 */
export async function createLedgerTable(endpoint: string, tableName: string, region = 'eu-west-1'): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: LEDGER_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_SCHEMA.timeIndexPartitionKey, AttributeType: 'S' },
          { AttributeName: LEDGER_SCHEMA.timeIndexSortKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: LEDGER_SCHEMA.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: LEDGER_SCHEMA.timeIndex,
            KeySchema: [
              { AttributeName: LEDGER_SCHEMA.timeIndexPartitionKey, KeyType: 'HASH' },
              { AttributeName: LEDGER_SCHEMA.timeIndexSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['eventName'] },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  // dynalite answers ACTIVE at once with createTableMs 0; wait anyway, as one would on AWS.
  for (let i = 0; i < 50; i++) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  client.destroy();
}
