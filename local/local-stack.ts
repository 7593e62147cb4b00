/**
 * The whole product on this machine, with no AWS account: the AWS stand-ins (Secrets Manager,
 * EventBridge, SQS) with state under `.local/`, the Amani simulator, the real receiver handler
 * behind an API Gateway stand-in, and the real rotator. Used by `npm start` and the end-to-end
 * tests; the CLI finds a running one through `<dataDir>/runtime.json`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAmaniClient } from '../lambda/adapters/amani-client';
import { loadReceiverConfig, toReceiverEnvironment, type ReceiverSettings } from '../lambda/receiver/env';
import { buildReceiver, createReceiverClients } from '../lambda/receiver/build-receiver';
import { loadRotatorConfig, toRotatorEnvironment } from '../lambda/rotator/env';
import { buildRotator, createRotatorClients } from '../lambda/rotator/build-rotator';
import { describeDeployedStack } from './deployed-stack';
import { lambdaContext } from './lambda-context';
import { startAmaniSimulator, type AmaniSimulator } from './amani-simulator';
import { AMANI_EVENTS, eventSwitches } from '../lambda/core/amani-events';
import { startReceiverEndpoint, type ReceiverEndpoint } from './api-gateway-bridge';
import { startAwsEmulator, EMULATOR_REGION, type AwsEmulator, type BusEvent } from './aws-emulator';

export const LOCAL_NAMES = {
  tokenSecret: 'amani-webhooks-local-webhook-token',
  credentialsSecret: 'amani-webhooks-local-amani-credentials',
  eventBus: 'amani-webhooks-local',
  fallbackQueue: 'amani-webhooks-local-fallback',
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
  readonly authMode?: 'signature' | 'token';
  /** May be fractional locally (0.1 = 6 s), to watch a grace window end. */
  readonly previousTokenGraceMinutes?: number;
  /** Receiver settings over the local ones (e.g. a shorter publish budget for tests). */
  readonly receiver?: Partial<ReceiverSettings>;
  readonly onEvent?: (event: BusEvent) => void;
  readonly onAmaniRequest?: (line: string) => void;
}

/** What `runtime.json` holds: everything a CLI needs to reach this local stack (no secrets). */
export interface LocalRuntime {
  readonly pid: number;
  readonly startedAt: string;
  readonly receiverUrl: string;
  readonly amaniBaseUrl: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly eventBusName: string;
  readonly fallbackQueueUrl: string;
  readonly authMode: 'signature' | 'token';
  readonly signatureHeader: string;
  readonly tokenHeader: string;
  readonly previousTokenGraceMinutes: number;
  /** The local receiver's secret cache lifetime: a revoked token is refused within it. */
  readonly secretCacheTtlSeconds: number;
  readonly eventsFile: string;
  /** Set when the endpoint uses a deployed stack's AWS services (`npm start -- --stage`). */
  readonly stack?: { readonly name: string; readonly rotatorFunctionName: string };
}

export interface LocalStack {
  readonly runtime: LocalRuntime;
  readonly emulator: AwsEmulator;
  readonly amani: AmaniSimulator;
  readonly endpoint: ReceiverEndpoint;
  rotate(payload: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

export function runtimeFile(dataDir: string): string {
  return join(resolve(dataDir), 'runtime.json');
}

/** The SDK settings that point the product's AWS clients at the local stand-ins. */
export function localAwsEnvironment(awsEndpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_REGION: EMULATOR_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.local');
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const authMode = options.authMode ?? 'signature';
  const graceMinutes = options.previousTokenGraceMinutes ?? 60;

  const started: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };
  try {
    const emulator = await startAwsEmulator({ port: options.awsPort ?? 0, dataDir, onEvent: options.onEvent });
    started.push(emulator);
    const fallbackQueueUrl = emulator.createQueue(LOCAL_NAMES.fallbackQueue);
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
    Object.assign(process.env, localAwsEnvironment(emulator.endpoint));
    const receiverConfig = loadReceiverConfig(
      toReceiverEnvironment({
        tokenSecretId: LOCAL_NAMES.tokenSecret,
        eventBusName: LOCAL_NAMES.eventBus,
        fallbackQueueUrl,
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
      fallbackQueueUrl,
      authMode,
      signatureHeader: receiverConfig.signatureHeader,
      tokenHeader: receiverConfig.tokenHeader,
      previousTokenGraceMinutes: graceMinutes,
      secretCacheTtlSeconds: receiverConfig.secretCacheTtlMs / 1000,
      eventsFile: join(dataDir, 'events.jsonl'),
    };
    const runtimePath = runtimeFile(dataDir);
    writeFileSync(runtimePath, `${JSON.stringify(runtime, null, 2)}\n`);
    started.push({ close: async () => rmSync(runtimePath, { force: true }) });

    return { runtime, emulator, amani, endpoint, rotate, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The real rotator, configured for a local stack (its SDK client reaches the AWS stand-ins
 * through AWS_ENDPOINT_URL). Rotations are never skipped for age locally.
 */
export function buildLocalRotator(settings: {
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly amaniBaseUrl: string;
  readonly previousTokenGraceMinutes: number;
}) {
  return buildRotator(
    loadRotatorConfig(
      toRotatorEnvironment({
        tokenSecretId: settings.tokenSecretId,
        credentialsSecretId: settings.credentialsSecretId,
        amaniBaseUrl: settings.amaniBaseUrl,
        previousTokenGraceMs: Math.round(settings.previousTokenGraceMinutes * 60) * 1000,
        minRotationAgeMs: 0,
      }),
    ),
    createRotatorClients(),
  );
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
  mkdirSync(dataDir, { recursive: true });
  if (options.region) process.env.AWS_REGION = options.region;
  const stack = await describeDeployedStack(options.stage, options.region, options.cloudFormation);
  const { outputs } = stack;
  const authMode = outputs.AuthMode === 'token' ? 'token' : 'signature';
  // Outputs are strings: the receiver's own loader reads them as its environment would hold them.
  const config = loadReceiverConfig({
    ...toReceiverEnvironment({ tokenSecretId: outputs.TokenSecretArn, eventBusName: outputs.EventBusName, fallbackQueueUrl: outputs.FallbackQueueUrl, authMode }),
    SIGNATURE_HEADER: outputs.SignatureHeader,
    TOKEN_HEADER: outputs.TokenHeader,
    SECRET_CACHE_TTL_SECONDS: outputs.SecretCacheTtlSeconds,
  });
  const receiver = buildReceiver(config, createReceiverClients()) as unknown as (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
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
    fallbackQueueUrl: outputs.FallbackQueueUrl,
    authMode,
    signatureHeader: config.signatureHeader,
    tokenHeader: config.tokenHeader,
    previousTokenGraceMinutes: 60,
    secretCacheTtlSeconds: config.secretCacheTtlMs / 1000,
    eventsFile: '',
    stack: { name: stack.name, rotatorFunctionName: outputs.RotatorFunctionName },
  };
  const runtimePath = runtimeFile(dataDir);
  writeFileSync(runtimePath, `${JSON.stringify(runtime, null, 2)}\n`);
  return {
    runtime,
    close: async () => {
      await endpoint.close();
      rmSync(runtimePath, { force: true });
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

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Calls a Lambda handler in process, with a context like the platform's. */
export async function invokeLocally(handler: unknown, payload: unknown, functionName: string, timeoutMs = 60_000): Promise<unknown> {
  const context = lambdaContext({ functionName, remainingMs: timeoutMs, memoryMb: 256 });
  return (handler as LambdaHandler)(payload, context);
}
