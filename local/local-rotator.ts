/**
 * The product's rotator run in this process, as the local mode and the CLI's local target run
 * it: the real handler with a Lambda-like context, its SDK clients reaching whatever
 * AWS_ENDPOINT_URL names.
 */
import type { Context } from 'aws-lambda';
import { buildRotator, createRotatorClients } from '../lambda/rotator/build-rotator';
import { loadRotatorConfig, toRotatorEnvironment } from '../lambda/rotator/env';
import { lambdaContext } from './lambda-context';

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

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Calls a Lambda handler in process, with a context like the platform's. */
export async function invokeLocally(handler: unknown, payload: unknown, functionName: string, timeoutMs = 60_000): Promise<unknown> {
  const context = lambdaContext({ functionName, remainingMs: timeoutMs, memoryMb: 256 });
  return (handler as LambdaHandler)(payload, context);
}
