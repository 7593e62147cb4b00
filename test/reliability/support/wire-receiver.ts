/**
 * The real receiver, built exactly as its Lambda entry builds it (`loadReceiverConfig` +
 * `buildReceiver(config, createReceiverClients())`), with its SDK clients reaching the emulator
 * through AWS_ENDPOINT_URL. Each one gets its own token secret, bus name and fallback queue, so
 * many can share one emulator side by side.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { TokenSecret } from '../../../lambda/core/token-secret';
import { buildReceiver, createReceiverClients } from '../../../lambda/receiver/build-receiver';
import { loadReceiverConfig, toReceiverEnvironment } from '../../../lambda/receiver/env';
import { lambdaContext as sharedLambdaContext } from '../../../local/lambda-context';
import type { AwsEmulator } from './aws-fake';
import { storedCopies } from './delivery-invariant';

export function lambdaContext(
  remainingMs = 10_000,
  requestId = randomBytes(8).toString('hex'),
  functionName = 'amani-webhooks-receiver',
): Context {
  return sharedLambdaContext({ functionName, remainingMs, requestId });
}

let receivers = 0;

export interface WireReceiverOptions {
  /** The token secret's initial SecretString value (object or raw string). */
  readonly secret: TokenSecret | string;
  /** Extra receiver environment (AUTH_MODE, budgets, cache settings...). */
  readonly env?: Record<string, string>;
  /** Readable part of the resource names. */
  readonly name?: string;
  /** Use this token secret instead of creating one (e.g. the rotator's). */
  readonly secretId?: string;
}

export function wireReceiver(emulator: AwsEmulator, options: WireReceiverOptions) {
  const name = `${options.name ?? 'receiver'}-${++receivers}-${randomBytes(3).toString('hex')}`;
  const secretId = options.secretId ?? `token-${name}`;
  const bus = `bus-${name}`;
  const queueName = `fallback-${name}`;
  const queueUrl = emulator.createQueue(queueName);
  if (options.secretId === undefined)
    emulator.putSecret(secretId, typeof options.secret === 'string' ? options.secret : JSON.stringify(options.secret));
  const environment = toReceiverEnvironment({
    tokenSecretId: secretId,
    eventBusName: bus,
    fallbackQueueUrl: queueUrl,
    observability: { logLevel: 'DEBUG' },
  });
  const config = loadReceiverConfig({ ...environment, ...options.env });
  const handler = buildReceiver(config, createReceiverClients()) as unknown as (
    event: APIGatewayProxyEvent,
    context: Context,
  ) => Promise<APIGatewayProxyResult>;
  return {
    name,
    secretId,
    bus,
    queueName,
    queueUrl,
    config,
    invoke: (event: APIGatewayProxyEvent, remainingMs = 10_000) => handler(event, lambdaContext(remainingMs)),
    setSecret: (secret: TokenSecret) => emulator.putSecret(secretId, JSON.stringify(secret)),
    copies: () => storedCopies(emulator, { bus, queue: queueName }),
  };
}

export type WireReceiver = ReturnType<typeof wireReceiver>;
