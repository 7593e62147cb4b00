/**
 * The whole product on this machine, with no AWS account: the AWS stand-ins (Secrets Manager,
 * EventBridge with an archive, SQS; DynamoDB is dynalite) with state under `.local/`, the Amani simulator, the real receiver handler
 * behind an API Gateway stand-in, and the real rotator. Used by `npm start` and the end-to-end
 * tests; the CLI finds a running one through `<dataDir>/runtime.json`. One local mode per state
 * folder (local/state-lock.ts).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAmaniClient } from '../lambda/adapters/amani-client';
import { loadReceiverConfig, RECEIVER_DEFAULTS, toReceiverEnvironment, type ReceiverSettings } from '../lambda/receiver/env';
import { buildReceiver, createReceiverClients } from '../lambda/receiver/build-receiver';
import { describeDeployedStack } from './deployed-stack';
import { createLedgerTable, type LocalDynamoDb, startLocalDynamoDb } from './dynamodb';
import { installFaults, type FaultSpec, type FaultSwitchboard, type LocalFault } from './faults';
import { buildLocalRotator, invokeLocally } from './local-rotator';
import { localAwsEnvironment, runtimeFile, type LocalRuntime } from './runtime';
import { LOCK_FILE, lockStateFolder } from './state-lock';
import { startAmaniSimulator, type AmaniSimulator } from './amani-simulator';
import { AMANI_EVENTS, eventSwitches } from '../lambda/core/amani-events';
import { startReceiverEndpoint, type ReceiverEndpoint } from './api-gateway-bridge';
import { startAwsEmulator, EMULATOR_REGION, type AwsEmulator, type BusEvent } from './aws-emulator';

export { buildLocalRotator, invokeLocally } from './local-rotator';
export { localAwsEnvironment, runtimeFile, type LocalRuntime } from './runtime';

export const LOCAL_NAMES = {
  tokenSecret: 'amani-webhooks-local-webhook-token',
  credentialsSecret: 'amani-webhooks-local-amani-credentials',
  eventBus: 'amani-webhooks-local',
  fallbackQueue: 'amani-webhooks-local-fallback',
  ledgerTable: 'amani-webhooks-local-deliveries',
  archive: 'amani-webhooks-local',
  operator: 'local-operator',
} as const;

/** Locally a rotation or revocation shows up within seconds. */
const LOCAL_SECRET_CACHE_TTL_SECONDS = 5;

export interface LocalStackOptions {
  readonly dataDir?: string;
  readonly fresh?: boolean;
  readonly receiverPort?: number;
  readonly amaniPort?: number;
  readonly awsPort?: number;
  readonly dynamodbPort?: number;
  readonly authMode?: 'signature' | 'token';
  /** May be fractional locally (0.1 = 6 s), to watch a grace window end. */
  readonly previousTokenGraceMinutes?: number;
  /** Receiver settings over the local ones (e.g. a shorter publish budget for tests). */
  readonly receiver?: Partial<ReceiverSettings>;
  readonly onEvent?: (event: BusEvent) => void;
  readonly onAmaniRequest?: (line: string) => void;
  /** Simulated outages (`npm start -- --fault`), see local/faults.ts. */
  readonly faults?: readonly FaultSpec[];
  /** Called when a fault with a duration ends. */
  readonly onFaultCleared?: (fault: LocalFault) => void;
}

export interface LocalStack {
  readonly runtime: LocalRuntime;
  readonly emulator: AwsEmulator;
  readonly dynamodb: LocalDynamoDb;
  readonly amani: AmaniSimulator;
  readonly endpoint: ReceiverEndpoint;
  readonly faults: FaultSwitchboard;
  rotate(payload: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.local');
  const lock = lockStateFolder(dataDir);
  if (options.fresh) {
    for (const entry of readdirSync(dataDir)) if (entry !== LOCK_FILE) rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
  const authMode = options.authMode ?? 'signature';
  const graceMinutes = options.previousTokenGraceMinutes ?? 60;

  const started: Array<{ close(): Promise<void> }> = [{ close: async () => lock.release() }];
  const closeAll = async () => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };
  try {
    const emulator = await startAwsEmulator({ port: options.awsPort ?? 0, dataDir, onEvent: options.onEvent });
    started.push(emulator);
    const fallbackQueueUrl = emulator.createQueue(LOCAL_NAMES.fallbackQueue);
    const dynamodb = await startLocalDynamoDb({ port: options.dynamodbPort ?? 0, dataDir: join(dataDir, 'dynamodb') });
    started.push(dynamodb);
    const archiveArn = emulator.createArchive({
      name: LOCAL_NAMES.archive,
      busName: LOCAL_NAMES.eventBus,
      source: options.receiver?.eventSource ?? RECEIVER_DEFAULTS.eventSource,
    });
    if (emulator.secretString(LOCAL_NAMES.tokenSecret) === undefined) emulator.putSecret(LOCAL_NAMES.tokenSecret, '{}');
    let credentials = parseCredentials(emulator.secretString(LOCAL_NAMES.credentialsSecret));
    if (!credentials) {
      credentials = { username: LOCAL_NAMES.operator, password: randomBytes(16).toString('hex') };
      emulator.putSecret(LOCAL_NAMES.credentialsSecret, JSON.stringify(credentials));
    }

    const amani = await startAmaniSimulator({
      port: options.amaniPort ?? 0,
      users: [credentials],
      statePath: join(dataDir, 'amani-simulator.json'),
      ...(options.onAmaniRequest ? { log: options.onAmaniRequest } : {}),
    });
    started.push(amani);

    // From here on the product's own code runs, with its SDK clients pointed at the stand-ins.
    Object.assign(process.env, localAwsEnvironment(emulator.endpoint, EMULATOR_REGION, dynamodb.endpoint));
    await createLedgerTable(dynamodb.endpoint, LOCAL_NAMES.ledgerTable, EMULATOR_REGION);
    const receiverConfig = loadReceiverConfig(
      toReceiverEnvironment({
        tokenSecretId: LOCAL_NAMES.tokenSecret,
        eventBusName: LOCAL_NAMES.eventBus,
        fallbackQueueUrl,
        dedupTableName: LOCAL_NAMES.ledgerTable,
        authMode,
        // A rotation should show up at once locally.
        secretCacheTtlMs: LOCAL_SECRET_CACHE_TTL_SECONDS * 1000,
        secretRefreshMinIntervalMs: 1000,
        ...options.receiver,
      }),
    );
    const receiver = buildReceiver(receiverConfig, createReceiverClients()) as unknown as (
      event: APIGatewayProxyEvent,
      context: Context,
    ) => Promise<APIGatewayProxyResult>;
    const endpoint = await startReceiverEndpoint({ handler: receiver, port: options.receiverPort ?? 0 });
    started.push(endpoint);

    const rotator = buildLocalRotator({
      tokenSecretId: LOCAL_NAMES.tokenSecret,
      credentialsSecretId: LOCAL_NAMES.credentialsSecret,
      amaniBaseUrl: amani.url,
      previousTokenGraceMinutes: graceMinutes,
    });
    const rotate = (payload: Record<string, unknown>) => invokeLocally(rotator, payload, 'amani-webhooks-rotator-local');

    // What the registration custom resource does at deploy time: register, then bootstrap.
    const client = createAmaniClient({ baseUrl: amani.url, credentials });
    await client.registerWebhook({
      url: endpoint.url,
      signatureEnabled: authMode === 'signature',
      events: eventSwitches(AMANI_EVENTS),
    });
    await rotate({ action: 'sync' });
    // After the bootstrap, so a simulated outage never keeps the local mode from starting.
    const faults = installFaults({ emulator, amani, dynamodb }, options.faults ?? [], options.onFaultCleared);
    started.push({ close: async () => faults.close() });

    const runtime: LocalRuntime = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      receiverUrl: endpoint.url,
      amaniBaseUrl: amani.url,
      awsEndpoint: emulator.endpoint,
      region: EMULATOR_REGION,
      tokenSecretId: LOCAL_NAMES.tokenSecret,
      credentialsSecretId: LOCAL_NAMES.credentialsSecret,
      eventBusName: LOCAL_NAMES.eventBus,
      eventSource: receiverConfig.eventSource,
      fallbackQueueUrl,
      authMode,
      signatureHeader: receiverConfig.signatureHeader,
      tokenHeader: receiverConfig.tokenHeader,
      previousTokenGraceMinutes: graceMinutes,
      secretCacheTtlSeconds: receiverConfig.secretCacheTtlMs / 1000,
      eventsFile: join(dataDir, 'events.jsonl'),
      dynamodbEndpoint: dynamodb.endpoint,
      ledgerTableName: LOCAL_NAMES.ledgerTable,
      dedupWindowHours: receiverConfig.dedupWindowHours,
      archiveArn,
      eventBusArn: emulator.busArn(LOCAL_NAMES.eventBus),
    };
    const runtimePath = runtimeFile(dataDir);
    writeFileSync(runtimePath, `${JSON.stringify(runtime, null, 2)}\n`);
    started.push({ close: async () => rmSync(runtimePath, { force: true }) });

    return { runtime, emulator, dynamodb, amani, endpoint, faults, rotate, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * `npm start -- --stage <stage>`: the same local endpoint and receiver code, but on the real AWS
 * services of a deployed stack (its token secret, bus and fallback queue, found through the
 * stack's outputs) through the default credential chain. No stand-ins, no simulator: deliveries
 * must be signed with that stack's token (`npx amani-webhooks send` does, reading it from Amani).
 */
export async function startDeployedStackEndpoint(options: {
  readonly stage: string;
  readonly region?: string;
  readonly dataDir?: string;
  readonly receiverPort?: number;
  readonly cloudFormation?: CloudFormationClient;
}): Promise<{ readonly runtime: LocalRuntime; close(): Promise<void> }> {
  const dataDir = resolve(options.dataDir ?? '.local');
  const lock = lockStateFolder(dataDir);
  try {
    return await startEndpointOnStack(options, dataDir, lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startEndpointOnStack(
  options: Parameters<typeof startDeployedStackEndpoint>[0],
  dataDir: string,
  releaseLock: () => void,
): Promise<{ readonly runtime: LocalRuntime; close(): Promise<void> }> {
  if (options.region) process.env.AWS_REGION = options.region;
  const stack = await describeDeployedStack(options.stage, options.region, options.cloudFormation);
  const { outputs } = stack;
  const authMode = outputs.AuthMode === 'token' ? 'token' : 'signature';
  // Outputs are strings: the receiver's own loader reads them as its environment would hold them.
  const config = loadReceiverConfig({
    ...toReceiverEnvironment({
      tokenSecretId: outputs.TokenSecretArn,
      eventBusName: outputs.EventBusName,
      fallbackQueueUrl: outputs.FallbackQueueUrl,
      authMode,
      ...(outputs.DeliveryLedgerTableName ? { dedupTableName: outputs.DeliveryLedgerTableName } : {}),
    }),
    DEDUP_WINDOW_HOURS: outputs.DedupWindowHours,
    SIGNATURE_HEADER: outputs.SignatureHeader,
    TOKEN_HEADER: outputs.TokenHeader,
    SECRET_CACHE_TTL_SECONDS: outputs.SecretCacheTtlSeconds,
    ...(outputs.EventSource ? { EVENT_SOURCE: outputs.EventSource } : {}),
  });
  const receiver = buildReceiver(config, createReceiverClients()) as unknown as (
    event: APIGatewayProxyEvent,
    context: Context,
  ) => Promise<APIGatewayProxyResult>;
  const endpoint = await startReceiverEndpoint({ handler: receiver, port: options.receiverPort ?? 0 });
  const runtime: LocalRuntime = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    receiverUrl: endpoint.url,
    amaniBaseUrl: outputs.AmaniBaseUrl,
    awsEndpoint: '',
    region: stack.region,
    tokenSecretId: outputs.TokenSecretArn,
    credentialsSecretId: outputs.CredentialsSecretArn,
    eventBusName: outputs.EventBusName,
    eventSource: config.eventSource,
    fallbackQueueUrl: outputs.FallbackQueueUrl,
    authMode,
    signatureHeader: config.signatureHeader,
    tokenHeader: config.tokenHeader,
    previousTokenGraceMinutes: 60,
    secretCacheTtlSeconds: config.secretCacheTtlMs / 1000,
    eventsFile: '',
    ...(config.dedupTableName ? { ledgerTableName: config.dedupTableName, dedupWindowHours: config.dedupWindowHours } : {}),
    ...(outputs.ArchiveArn ? { archiveArn: outputs.ArchiveArn } : {}),
    ...(outputs.EventBusArn ? { eventBusArn: outputs.EventBusArn } : {}),
    stack: { name: stack.name, rotatorFunctionName: outputs.RotatorFunctionName },
  };
  const runtimePath = runtimeFile(dataDir);
  writeFileSync(runtimePath, `${JSON.stringify(runtime, null, 2)}\n`);
  return {
    runtime,
    close: async () => {
      await endpoint.close();
      rmSync(runtimePath, { force: true });
      releaseLock();
    },
  };
}

function parseCredentials(secretString: string | undefined): { username: string; password: string } | undefined {
  if (!secretString) return undefined;
  try {
    const parsed = JSON.parse(secretString) as { username?: unknown; password?: unknown };
    return typeof parsed.username === 'string' && typeof parsed.password === 'string'
      ? { username: parsed.username, password: parsed.password }
      : undefined;
  } catch {
    return undefined;
  }
}
